"""Where the smoke check finds the stage and its callback key: stack outputs, Secrets Manager, SSM."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devtools.smoke import callback_key, stack_outputs


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(region_name="eu-west-1")


def test_the_current_key_is_the_first_of_a_rotating_secret(aws: boto3.Session) -> None:
    arn = aws.client("secretsmanager").create_secret(Name="cb", SecretString=json.dumps(["new", "old"]))["ARN"]
    assert callback_key(arn, aws) == "new"


def test_a_key_in_ssm(aws: boto3.Session) -> None:
    aws.client("ssm").put_parameter(Name="/playhub/callback", Value="k-1", Type="SecureString")
    assert callback_key("ssm:/playhub/callback", aws) == "k-1"


def test_the_stack_outputs_name_the_url_and_the_secret(aws: boto3.Session) -> None:
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "CallbackBaseUrl": {"Value": "https://x.execute-api.eu-west-1.amazonaws.com/live"},
            "CallbackKeySecret": {"Value": "arn:aws:secretsmanager:eu-west-1:1:secret:cb"},
        },
    }
    aws.client("cloudformation").create_stack(StackName="wallet", TemplateBody=json.dumps(template))

    outputs = stack_outputs("wallet", aws)

    assert outputs["CallbackBaseUrl"].endswith("/live")
    assert outputs["CallbackKeySecret"].startswith("arn:aws:secretsmanager")


def test_make_smoke_without_a_stage_is_one_line() -> None:
    import subprocess

    from devtools.template import ROOT

    done = subprocess.run(
        ["make", "--no-print-directory", "smoke", "STAGE_URL=", "STACK="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    ours, make = done.stderr.splitlines()[-2:]  # and make's own line, which every failed target gets
    assert done.returncode == 2
    assert ours == "error: make smoke needs STAGE_URL=https://…/live (or STACK=<stack name>)"
    assert re.fullmatch(r"make(\[\d+\])?: \*\*\* \[Makefile:\d+: smoke\] Error 2", make)  # make[1] under make test

"""No secret in the files a deploy or a local run reads, but the documented local sample keys.

template.yaml, samconfig.toml, env.json and events/ are committed and shared: a key, a password or
an AWS credential there is leaked. The check (tests/support/deploy_secrets.py) is detect-secrets
plus what it misses; the planted cases show each kind of leak is caught.
"""

from __future__ import annotations

import json
import secrets
import shutil
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.deploy_secrets import (
    SAMPLE_API_KEY,
    SAMPLE_CALLBACK_KEY,
    SAMPLE_SWIPE_API_KEY,
    deploy_files,
    find_secrets,
)

from devtools.callbacks import SAMPLE_CALLBACK_KEY as TOOLS_CALLBACK_KEY
from devtools.core_api_stub import LOCAL_API_KEY
from devtools.swipe_core_api_stub import LOCAL_SWIPE_API_KEY
from devtools.template import ROOT
from playhub_wallet.signing import SIGNATURE_HEADER, sign


def test_the_deploy_files_hold_no_secret_but_the_local_sample_keys() -> None:
    checked = {path.relative_to(ROOT).as_posix() for path in deploy_files(ROOT)}
    assert {"template.yaml", "samconfig.toml", "env.json", "events/bet.json"} <= checked

    findings = find_secrets(ROOT)

    assert not findings, "secrets in the deploy files:\n" + "\n".join(map(str, findings))


def test_the_allowed_keys_are_the_samples_the_local_tools_use() -> None:
    environment = json.loads((ROOT / "env.json").read_text(encoding="utf-8"))
    assert SAMPLE_CALLBACK_KEY == TOOLS_CALLBACK_KEY == environment["Parameters"]["CALLBACK_KEYS"]
    assert SAMPLE_API_KEY == LOCAL_API_KEY == environment["OperatorFunction"]["API_KEYS"]
    for function in ("LaunchFunction", "OperatorFunction", "CatalogueFunction"):
        assert SAMPLE_SWIPE_API_KEY == LOCAL_SWIPE_API_KEY == environment[function]["SWIPE_API_KEYS"]


# A copy of the deploy files to plant secrets in: env.json, samconfig.toml, two signed sample
# events, and the template's parameters (the whole template would only make each case slower).
@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    for name in ("env.json", "samconfig.toml", "events/balance.json", "events/bet.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    parameters = template[template.index("\nParameters:") : template.index("\nConditions:")]
    (tmp_path / "template.yaml").write_text(parameters.lstrip("\n") + "\n", encoding="utf-8")
    return tmp_path


def test_the_copy_to_plant_in_is_clean(deploy_copy: Path) -> None:
    assert find_secrets(deploy_copy) == []


def _edit_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def _env_parameter(name: str, value: str) -> Callable[[Path], None]:
    def plant(root: Path) -> None:
        _edit_json(root / "env.json", lambda env: env["Parameters"].__setitem__(name, value))

    return plant


def _append(name: str, text: str) -> Callable[[Path], None]:
    def plant(root: Path) -> None:
        with (root / name).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return plant


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def plant(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    return plant


def _random_hex_key_in_an_event(root: Path) -> None:
    (root / "events" / "planted.json").write_text(json.dumps({"note": secrets.token_hex(32)}), encoding="utf-8")


def _signature_made_with_another_key(root: Path) -> None:
    def resign(event: dict[str, Any]) -> None:
        event["headers"][SIGNATURE_HEADER] = sign("casino-production-key", event["body"].encode("utf-8"))

    _edit_json(root / "events" / "balance.json", resign)


def _key_in_an_event_body(root: Path) -> None:
    def add_field(event: dict[str, Any]) -> None:
        body = json.loads(event["body"])
        event["body"] = json.dumps({**body, "api_key": "casino-api-key"})

    _edit_json(root / "events" / "bet.json", add_field)


def _aws_access_key_id() -> str:  # made here: a literal one would be a finding of its own
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


PLANTED: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # case: (plant, file, kind of finding)
    "a random 64-hex key in events/": (_random_hex_key_in_an_event, "events/planted.json", "Hex High Entropy"),
    "a real-looking callback key in env.json (detect-secrets' keywords miss CALLBACK_KEYS)": (
        _env_parameter("CALLBACK_KEYS", "casino-prod-callback-key"),
        "env.json",
        "a value for CALLBACK_KEYS",
    ),
    "an AWS access key id": (_env_parameter("NOTE", _aws_access_key_id()), "env.json", "AWS access key id"),
    "AWS credentials, even DynamoDB Local's placeholder": (
        _env_parameter("AWS_SECRET_ACCESS_KEY", "local"),
        "env.json",
        "AWS credential AWS_SECRET_ACCESS_KEY",
    ),
    "a sample event signed with another key than the sample's": (
        _signature_made_with_another_key,
        "events/balance.json",
        "Hex High Entropy",
    ),
    "a key in an event's body": (_key_in_an_event_body, "events/bet.json", "a value for api_key"),
    "a template parameter with a default key": (
        _append("template.yaml", '  CallbackKey:\n    Type: String\n    NoEcho: true\n    Default: "casino-key"\n'),
        "template.yaml",
        "a default for CallbackKey",
    ),
    "a template parameter for a key that is not NoEcho": (
        _append("template.yaml", "  DatabasePassword:\n    Type: String\n"),
        "template.yaml",
        "DatabasePassword carries a secret but is not NoEcho",
    ),
    "a random key as an SSM parameter name's default": (
        _replace(
            "template.yaml",
            'ApiKeyParameterName:\n    Type: String\n    Default: ""',
            f"ApiKeyParameterName:\n    Type: String\n    Default: {secrets.token_hex(32)}",
        ),
        "template.yaml",
        "Hex High Entropy",
    ),
    "a secret's value written in the template": (
        _append(
            "template.yaml",
            "Resources:\n  Planted:\n    Type: AWS::SecretsManager::Secret\n"
            "    Properties:\n      SecretString: casino-callback-key\n",
        ),
        "template.yaml",
        "a value for SecretString",
    ),
    "a key in samconfig's parameter_overrides": (
        _replace("samconfig.toml", "StageName=live ", "StageName=live CallbackKey=casino-callback-key "),
        "samconfig.toml",
        "a value for CallbackKey",
    ),
}


@pytest.mark.parametrize("case", PLANTED)
def test_a_planted_secret_is_caught(deploy_copy: Path, case: str) -> None:
    plant, path, kind = PLANTED[case]

    plant(deploy_copy)
    findings = find_secrets(deploy_copy, only=path)  # the rest of the copy is clean (the test above)

    assert [finding for finding in findings if finding.path == path and kind in finding.kind], findings


@pytest.mark.parametrize(
    ("parameter", "variable", "reference"),
    [
        (
            "CallbackKeySecretArn",
            "CALLBACK_KEY_SECRET",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:playhub-AbCdEf",
        ),
        ("CallbackKeyParameterName", "CALLBACK_KEY_PARAMETER", "/playhub/callback-key"),
    ],
)
def test_where_a_key_lives_is_not_a_secret(deploy_copy: Path, parameter: str, variable: str, reference: str) -> None:
    _replace(
        "template.yaml",
        f'{parameter}:\n    Type: String\n    Default: ""',
        f"{parameter}:\n    Type: String\n    Default: {json.dumps(reference)}",
    )(deploy_copy)
    _env_parameter(variable, reference)(deploy_copy)

    assert find_secrets(deploy_copy) == []

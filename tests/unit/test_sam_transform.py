"""What CloudFormation gets from template.yaml once SAM has transformed it (devtools/sam_transform.py,
run offline with aws-sam-cli's own samtranslator): every route and schedule calls an alias, each
callback's alias moves through CodeDeploy after the pre-traffic check, rolled back by its alarms."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from typing import Any

import pytest

from devtools.template import ROOT

SAM_PYTHON = ROOT / ".cache" / "sam-cli" / "bin" / "python"
CALLBACKS = ("Balance", "Bet", "Win", "Refund", "Callback", "SwipeBalance", "SwipeBet", "SwipeWin", "SwipeRefund")


@cache
def transformed(*parameters: str) -> dict[str, Any]:
    if not SAM_PYTHON.exists():
        pytest.fail("aws-sam-cli's venv is missing: run `make test`, which installs it")
    arguments = [f"--parameter={parameter}" for parameter in parameters]
    done = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "devtools" / "sam_transform.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)
    return output


def resources(*parameters: str) -> dict[str, Any]:
    found: dict[str, Any] = transformed(*parameters)["Resources"]
    return found


def of_type(kind: str, *parameters: str) -> dict[str, Any]:
    return {name: r for name, r in resources(*parameters).items() if r["Type"] == kind}


def test_every_route_of_the_api_calls_a_functions_alias_never_latest() -> None:
    body = resources()["CallbackApi"]["Properties"]["Body"]
    uris = [
        operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for operations in body["paths"].values()
        for operation in operations.values()
    ]
    assert len(uris) == 30  # 9 callbacks (Playhub 5, Swipe 4), launch, health and 19 operator routes
    assert all(uri.endswith("Aliaslive}/invocations") for uri in uris), uris
    permissions = of_type("AWS::Lambda::Permission")
    assert all(p["Properties"]["FunctionName"]["Ref"].endswith("Aliaslive") for p in permissions.values())


def test_the_schedules_call_the_aliases_too() -> None:
    rules = of_type("AWS::Events::Rule")
    targets = sorted(target["Arn"]["Ref"] for rule in rules.values() for target in rule["Properties"]["Targets"])
    assert targets == ["CatalogueFunctionAliaslive", "ReconciliationFunctionAliaslive"]


def test_only_the_callbacks_have_a_codedeploy_group_with_our_alarms_and_automatic_rollback() -> None:
    groups = of_type("AWS::CodeDeploy::DeploymentGroup")
    assert set(groups) == {f"{name}FunctionDeploymentGroup" for name in CALLBACKS}
    for name in CALLBACKS:
        properties = groups[f"{name}FunctionDeploymentGroup"]["Properties"]
        assert "DEPLOYMENT_STOP_ON_ALARM" in properties["AutoRollbackConfiguration"]["Events"]
        assert properties["AutoRollbackConfiguration"]["Enabled"] is True
        condition, watched, otherwise = properties["AlarmConfiguration"]["Fn::If"]
        assert (condition, otherwise) == ("AlarmsRollBackReleases", {})
        assert watched["Enabled"] is True
        assert [alarm["Name"]["Ref"] for alarm in watched["Alarms"]] == [
            "CallbackServerErrorsAlarm",
            f"{name}LatencyAlarm",
            f"{name}FunctionErrorsAlarm",
        ]


@pytest.mark.parametrize(
    ("parameters", "config"),
    [
        ((), "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        (("DeploymentType=AllAtOnce",), "CodeDeployDefault.LambdaAllAtOnce"),
        (("DeploymentType=Linear10PercentEvery1Minute",), "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
    ],
)
def test_the_stacks_deployment_type_becomes_codedeploys_configuration(parameters: tuple[str, ...], config: str) -> None:
    for group in of_type("AWS::CodeDeploy::DeploymentGroup", *parameters).values():
        template, values = group["Properties"]["DeploymentConfigName"]["Fn::Sub"]
        assert template.replace("${ConfigName}", values["ConfigName"]) == config


def test_each_callbacks_alias_waits_for_the_pre_traffic_check_of_the_version_it_publishes() -> None:
    everything = resources()
    hook_variables = everything["PreTrafficCheckFunction"]["Properties"]["Environment"]["Variables"]
    for name in CALLBACKS:
        alias = everything[f"{name}FunctionAliaslive"]
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        assert update["BeforeAllowTrafficHook"] == {"Ref": "PreTrafficCheckFunction"}
        assert update["DeploymentGroupName"] == {"Ref": f"{name}FunctionDeploymentGroup"}
        version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        variable = "CHECK_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()  # SwipeBet: CHECK_SWIPE_BET
        assert hook_variables[variable] == {"Ref": version}  # the new version, not the alias


def test_no_other_alias_waits_for_codedeploy() -> None:
    aliases = of_type("AWS::Lambda::Alias")
    assert len(aliases) == 15
    gradual = {name for name, alias in aliases.items() if "UpdatePolicy" in alias}
    assert gradual == {f"{name}FunctionAliaslive" for name in CALLBACKS}


def test_the_stage_keeps_the_throttles_and_the_access_log() -> None:
    (stage,) = of_type("AWS::ApiGateway::Stage").values()
    properties = stage["Properties"]
    assert properties["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    paths = {setting["ResourcePath"]: setting for setting in properties["MethodSettings"]}
    assert set(paths) == {"/*", "/~1balance", "/~1bet", "/~1win", "/~1refund", "/~1callback"} | {
        f"/~1swipe~1{callback}" for callback in ("balance", "bet", "win", "refund")
    }
    assert paths["/~1bet"]["ThrottlingRateLimit"] == {"Ref": "CallbackThrottleRate"}
    assert paths["/*"]["ThrottlingRateLimit"] == {"Ref": "OperatorThrottleRate"}

"""template.yaml releases and runs like a payment service's: versions behind an alias, canaries
rolled back by our alarms after a pre-traffic check, access logs without secrets, throttles that
keep the callbacks and the operator apart, and a health route. (What SAM makes of it:
test_sam_transform.py.)"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest

from devtools.template import ROOT, load_template
from playhub_wallet.pre_traffic import ALL_CHECKS

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
CALLBACKS = {
    "Balance": "/balance",
    "Bet": "/bet",
    "Win": "/win",
    "Refund": "/refund",
    "Callback": "/callback",
    "SwipeBalance": "/swipe/balance",
    "SwipeBet": "/swipe/bet",
    "SwipeWin": "/swipe/win",
    "SwipeRefund": "/swipe/refund",
}
FUNCTIONS = {name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def overrides(environment: str) -> dict[str, str]:
    text = SAMCONFIG[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', text))


def statements(function: str) -> list[dict[str, Any]]:
    return [s for p in RESOURCES[function]["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]]


# 1. Safe releases ---------------------------------------------------------------------------


def test_every_function_publishes_a_version_behind_the_live_alias() -> None:
    assert TEMPLATE["Globals"]["Function"]["AutoPublishAlias"] == "live"
    assert not [name for name in FUNCTIONS if "AutoPublishAlias" in RESOURCES[name]["Properties"]]


@pytest.mark.parametrize(("name", "path"), CALLBACKS.items())
def test_each_callback_releases_gradually_and_rolls_back_on_its_own_alarms(name: str, path: str) -> None:
    preference = RESOURCES[f"{name}Function"]["Properties"]["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "DeploymentType"}
    assert preference["Hooks"] == {"PreTraffic": {"Ref": "PreTrafficCheckFunction"}}
    condition, alarms, otherwise = preference["Alarms"]["Fn::If"]
    assert (condition, otherwise) == ("AlarmsRollBackReleases", [])
    names = [alarm["Ref"] for alarm in alarms]
    assert names == ["CallbackServerErrorsAlarm", f"{name}LatencyAlarm", f"{name}FunctionErrorsAlarm"]
    # ... and those alarms watch this callback: its route's latency, its function's errors.
    latency = RESOURCES[f"{name}LatencyAlarm"]["Properties"]
    assert {"Name": "Resource", "Value": path} in latency["Dimensions"]
    errors = json.dumps(RESOURCES[f"{name}FunctionErrorsAlarm"]["Properties"]["Metrics"])
    assert f'{{"Ref": "{name}Function"}}' in errors


def test_only_the_callbacks_release_through_codedeploy() -> None:
    gradual = {name for name in FUNCTIONS if "DeploymentPreference" in RESOURCES[name]["Properties"]}
    assert gradual == {f"{name}Function" for name in CALLBACKS}


def test_a_release_is_a_canary_unless_the_stack_says_otherwise_and_dev_goes_all_at_once() -> None:
    deployment = PARAMETERS["DeploymentType"]
    assert deployment["Default"] == "Canary10Percent5Minutes"
    assert "AllAtOnce" in deployment["AllowedValues"]
    assert overrides("default")["DeploymentType"] == "AllAtOnce"  # the dev stack
    for environment in ("staging", "production"):
        assert "DeploymentType" not in overrides(environment)
        assert "RollbackOnAlarms" not in overrides(environment)
    assert PARAMETERS["RollbackOnAlarms"]["Default"] == "true"
    assert TEMPLATE["Conditions"]["AlarmsRollBackReleases"] == {"Fn::Equals": [{"Ref": "RollbackOnAlarms"}, "true"]}


def test_the_pre_traffic_check_is_a_function_codedeploys_role_may_invoke() -> None:
    """SAM's CodeDeploy role (AWSCodeDeployRoleForLambda) invokes only functions named CodeDeployHook_*."""
    properties = RESOURCES["PreTrafficCheckFunction"]["Properties"]
    assert properties["FunctionName"] == {"Fn::Sub": "CodeDeployHook_${AWS::StackName}"}
    assert len("CodeDeployHook_") + len(SAMCONFIG["production"]["global"]["parameters"]["stack_name"]) <= 64
    assert properties["Timeout"] >= 120  # five checks at once, each up to two 20 s invokes, then the report
    assert "Events" not in properties  # nothing but CodeDeploy calls it
    assert "DeploymentPreference" not in properties  # it checks releases; its own is immediate


def test_the_pre_traffic_check_sends_to_each_callbacks_new_version() -> None:
    variables = RESOURCES["PreTrafficCheckFunction"]["Properties"]["Environment"]["Variables"]
    checked = {name: value for name, value in variables.items() if name.startswith("CHECK_")}
    snake = {name: re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in CALLBACKS}  # SwipeBet: SWIPE_BET
    assert checked == {f"CHECK_{snake[name]}": {"Ref": f"{name}Function.Version"} for name in CALLBACKS}
    assert set(checked) == set(ALL_CHECKS)  # what the code reads
    for variable, (route, _) in ALL_CHECKS.items():  # and each variable names the function of its route
        function = checked[variable]["Ref"].removesuffix(".Version")
        (event,) = RESOURCES[function]["Properties"]["Events"].values()
        assert event["Properties"]["Path"] == route


def test_the_pre_traffic_check_may_invoke_only_the_callbacks_report_and_read_the_catalogue() -> None:
    allowed = statements("PreTrafficCheckFunction")
    assert [s["Action"] for s in allowed] == [
        "lambda:InvokeFunction",
        "codedeploy:PutLifecycleEventHookExecutionStatus",
        ["dynamodb:GetItem"],  # the cached catalogue's currencies; it writes nothing
    ]
    assert allowed[0]["Resource"] == [{"Fn::Sub": f"${{{name}Function.Arn}}:*"} for name in CALLBACKS]
    assert allowed[1]["Resource"]["Fn::Sub"].endswith(":deploymentgroup:${ServerlessDeploymentApplication}/*")
    key_policies = [
        p["Fn::If"][0] for p in RESOURCES["PreTrafficCheckFunction"]["Properties"]["Policies"] if "Fn::If" in p
    ]
    assert key_policies == ["UseKeyParameter", "UseSwipeKeyParameter"]  # each provider's key, to sign as it does


# 2. Logs and limits ---------------------------------------------------------------------------

API = RESOURCES["CallbackApi"]["Properties"]
ACCESS_LOG_FIELDS = {
    "requestId", "sourceIp", "httpMethod", "resourcePath", "path", "status", "responseLatency", "integrationLatency",
}  # fmt: skip


def access_log_line(values: dict[str, str] | None = None) -> dict[str, Any]:
    """The access log format with its $context variables filled in, as API Gateway writes a line."""
    values = values or {}
    line = re.sub(r"\$context\.[A-Za-z.]+", lambda m: values.get(m.group(0), "-"), API["AccessLogSetting"]["Format"])
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_the_api_writes_one_json_access_log_line_per_request_to_a_group_kept_for_the_retention() -> None:
    assert API["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    group = RESOURCES["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["LogGroupName"] == {"Fn::Sub": "/playhub/${AWS::StackName}/api-access"}
    assert "\n" not in API["AccessLogSetting"]["Format"]
    line = access_log_line({"$context.status": "200", "$context.identity.sourceIp": "34.22.222.37"})
    assert set(line) >= ACCESS_LOG_FIELDS
    assert (line["status"], line["sourceIp"]) == ("200", "34.22.222.37")


def test_no_header_body_or_signature_can_reach_a_log() -> None:
    log_format = API["AccessLogSetting"]["Format"]
    variables = set(re.findall(r"\$[A-Za-z.]+", log_format))
    assert all(variable.startswith("$context.") for variable in variables)  # never $input (the body)
    assert not [v for v in variables if re.search(r"header|requestOverride|authorizer", v, re.IGNORECASE)]
    assert "sign" not in log_format.lower()
    # Execution logging would write each request's headers (X-REQUEST-SIGN) and body: it stays off.
    for setting in API["MethodSettings"]:
        assert "LoggingLevel" not in setting
        assert "DataTraceEnabled" not in setting


def test_api_gateways_account_role_is_created_only_when_asked_and_outlives_the_stack() -> None:
    assert PARAMETERS["ApiGatewayLoggingRole"]["AllowedValues"] == ["create", "existing"]
    role, account = RESOURCES["ApiGatewayCloudWatchRole"], RESOURCES["ApiGatewayAccount"]
    assert role["Condition"] == account["Condition"] == "CreateApiGatewayLoggingRole"
    assert (role["DeletionPolicy"], role["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    policies = json.dumps(role["Properties"]["ManagedPolicyArns"])
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in policies
    # The stage logs to the group, and the group waits for the account's role when the stack sets it.
    ready = RESOURCES["ApiAccessLogGroup"]["Metadata"]["LoggingRoleReady"]["Fn::If"]
    assert ready[:2] == ["CreateApiGatewayLoggingRole", {"Ref": "ApiGatewayAccount"}]


def method_path(resource_path: str) -> str:
    """MethodSettings' ResourcePath: "/" then the path with every "/" written "~1" (/a/b is /~1a~1b)."""
    assert resource_path.startswith("/~1")
    return resource_path[1:].replace("~1", "/")


def api_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> function, for every Api event of the template."""
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"]): name
        for name in FUNCTIONS
        for event in RESOURCES[name]["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    }


def test_each_callback_route_has_the_callbacks_throttle_and_every_other_route_the_operators() -> None:
    default, *routes = API["MethodSettings"]
    assert (default["ResourcePath"], default["HttpMethod"]) == ("/*", "*")
    assert default["ThrottlingRateLimit"] == {"Ref": "OperatorThrottleRate"}
    assert default["ThrottlingBurstLimit"] == {"Ref": "OperatorThrottleBurst"}
    throttled = {(setting["HttpMethod"], method_path(setting["ResourcePath"])): setting for setting in routes}
    assert set(throttled) == {("GET" if path == "/swipe/balance" else "POST", path) for path in CALLBACKS.values()}
    known = api_routes()
    for route, setting in throttled.items():
        assert known[route] in {f"{name}Function" for name in CALLBACKS}  # a real route, spelled as API Gateway does
        assert setting["ThrottlingRateLimit"] == {"Ref": "CallbackThrottleRate"}
        assert setting["ThrottlingBurstLimit"] == {"Ref": "CallbackThrottleBurst"}
        assert setting["MetricsEnabled"] is True  # the latency alarms read the per-route metrics
    for name in ("CallbackThrottleRate", "CallbackThrottleBurst", "OperatorThrottleRate", "OperatorThrottleBurst"):
        assert PARAMETERS[name]["Type"] == "Number"
        assert PARAMETERS[name]["MinValue"] >= 1


def test_the_callbacks_reserved_concurrency_is_a_parameter_off_by_default() -> None:
    assert (
        PARAMETERS["CallbackReservedConcurrency"]["Default"],
        PARAMETERS["CallbackReservedConcurrency"]["MinValue"],
    ) == (0, 0)
    # 0 reserved would throttle every call: 0 means "no reservation", never ReservedConcurrentExecutions 0.
    condition = TEMPLATE["Conditions"]["ReserveCallbackConcurrency"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CallbackReservedConcurrency"}, "0"]}]}
    reserved = {name for name in FUNCTIONS if "ReservedConcurrentExecutions" in RESOURCES[name]["Properties"]}
    assert reserved == {f"{name}Function" for name in CALLBACKS}
    for name in reserved:
        assert RESOURCES[name]["Properties"]["ReservedConcurrentExecutions"] == {
            "Fn::If": ["ReserveCallbackConcurrency", {"Ref": "CallbackReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
        }


def test_health_is_an_iam_route_that_reads_the_table_and_every_key_and_writes_nothing() -> None:
    assert api_routes()[("GET", "/health")] == "HealthFunction"
    properties = RESOURCES["HealthFunction"]["Properties"]
    (event,) = properties["Events"].values()
    assert event["Properties"]["Auth"] == {"Authorizer": "AWS_IAM"}
    assert [s["Action"] for s in statements("HealthFunction")] == [["dynamodb:GetItem"]]
    key_policies = [p["Fn::If"][0] for p in properties["Policies"] if "Fn::If" in p]
    assert key_policies == [  # Playhub's callback and API keys, Swipe's callback key, Swipe's API key if served
        "UseKeyParameter",
        "UseApiKeyParameter",
        "UseSwipeKeyParameter",
        "UseSwipeApiKeyParameter",
        "ReadSwipeApiKeySecret",
    ]
    # The same sources the callbacks and the operator functions read, never others.
    variables = properties["Environment"]["Variables"]
    for function in ("HealthFunction", "SwipeBetFunction"):  # both keys' places from Globals, never their own
        assert not {
            name for name in RESOURCES[function]["Properties"]["Environment"]["Variables"] if "CALLBACK_KEY" in name
        }
    for name in ("SWIPE_CORE_URL", "SWIPE_API_KEY_SECRET", "SWIPE_API_KEY_PARAMETER"):
        assert variables[name] == RESOURCES["LaunchFunction"]["Properties"]["Environment"]["Variables"][name]

"""template.yaml says what we intend: the four callbacks, their runtime, and only the access they use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.iam import WRITE_ACTIONS, allowed, dynamodb_statements, string_like

from devtools.template import load_template
from playhub_wallet.dynamodb.keys import (
    CURRENCIES_KEY,
    GAMES_LOADED_KEY,
    RECONCILIATION_STATE,
    SWIPE_GAMES_LOADED_KEY,
    checkpoint_key,
    game_key,
    profile_key,
    recheck_key,
    session_key,
    swipe_game_key,
    wallet_key,
)
from playhub_wallet.observability import CALLBACK_SERVICE
from playhub_wallet.state import WalletKey

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
DEDICATED = {"BalanceFunction": "/balance", "BetFunction": "/bet", "WinFunction": "/win", "RefundFunction": "/refund"}
CALLBACKS = {**DEDICATED, "CallbackFunction": "/callback"}  # and the one URL for all four
# Swipe Games' four, under their own base path; GET /balance, the others POST (SWIPE.md §5).
SWIPE_CALLBACKS = {
    "SwipeBalanceFunction": ("GET", "/swipe/balance"),
    "SwipeBetFunction": ("POST", "/swipe/bet"),
    "SwipeWinFunction": ("POST", "/swipe/win"),
    "SwipeRefundFunction": ("POST", "/swipe/refund"),
}
ALL_CALLBACKS = [*CALLBACKS, *SWIPE_CALLBACKS]
# A transaction is authorised item by item: Put as PutItem, Update as UpdateItem, ConditionCheck
# as ConditionCheckItem. tests/integration/test_iam_actions.py checks these against what each
# function's code sends.
TABLE_ACTIONS = {
    "BalanceFunction": ["dynamodb:GetItem", "dynamodb:BatchGetItem"],
    "BetFunction": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    "WinFunction": [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",  # a win counted as an anomaly checks its round is still betless
    ],
    "RefundFunction": [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    ],
}
# The one URL may do what the four may do together, and no more: that union is the refund's list.
TABLE_ACTIONS["CallbackFunction"] = TABLE_ACTIONS["RefundFunction"]
# Swipe's callbacks run the same wallet code, so they need exactly what Playhub's do.
for _swipe, _playhub in [("Balance", "Balance"), ("Bet", "Bet"), ("Win", "Win"), ("Refund", "Refund")]:
    TABLE_ACTIONS[f"Swipe{_swipe}Function"] = TABLE_ACTIONS[f"{_playhub}Function"]


def test_the_one_url_may_do_what_the_four_callbacks_may_do_together() -> None:
    four = {action for function in DEDICATED for action in TABLE_ACTIONS[function]}
    assert set(TABLE_ACTIONS["CallbackFunction"]) == four


def test_functions_run_python_3_13_on_arm64_within_playhubs_timeout() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert (function_globals["Runtime"], function_globals["Architectures"]) == ("python3.13", ["arm64"])
    assert function_globals["Timeout"] <= 5
    assert function_globals["Layers"] == [
        {"Ref": "PlayhubLayer"},
        {"Fn::If": ["TracingActive", {"Ref": "PlayhubTracingLayer"}, {"Ref": "AWS::NoValue"}]},
    ]


def test_tracing_is_the_stacks_choice_and_off_by_default() -> None:
    assert TEMPLATE["Parameters"]["Tracing"]["Default"] == "Disabled"
    assert RESOURCES["PlayhubTracingLayer"]["Condition"] == "TracingActive"
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Tracing"] == {"Fn::If": ["TracingActive", "Active", "PassThrough"]}
    disabled = function_globals["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]
    assert disabled == {"Fn::If": ["TracingActive", "false", "true"]}


@pytest.mark.parametrize(("function", "path"), CALLBACKS.items())
def test_each_callback_is_its_own_function_on_its_own_route(function: str, path: str) -> None:
    properties = RESOURCES[function]["Properties"]
    (event,) = properties["Events"].values()
    assert event["Properties"] == {"RestApiId": {"Ref": "CallbackApi"}, "Path": path, "Method": "post"}
    assert properties["CodeUri"] == f"functions{path}/"


@pytest.mark.parametrize(("function", "actions"), TABLE_ACTIONS.items())
def test_each_function_may_use_only_the_table_actions_it_needs(function: str, actions: list[str]) -> None:
    statements = [s for p in RESOURCES[function]["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]]
    assert statements == [{"Effect": "Allow", "Action": actions, "Resource": {"Fn::GetAtt": ["LedgerTable", "Arn"]}}]


@pytest.mark.parametrize(("layer_name", "folder"), [("PlayhubLayer", "playhub"), ("PlayhubTracingLayer", "tracing")])
def test_the_layers_are_built_by_our_layer_builder_for_the_functions_architecture(layer_name: str, folder: str) -> None:
    layer = RESOURCES[layer_name]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == f"layers/{folder}/"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_the_ledger_table_is_kept_recoverable_and_only_sessions_expire() -> None:
    table = RESOURCES["LedgerTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def _deny(index: int) -> tuple[str, dict[str, Any]]:
    """The policy's deny statement at index: the condition it applies under, and the statement."""
    _, policy, _ = RESOURCES["CallbackApi"]["Properties"]["Policy"]["Fn::If"]
    condition, deny, otherwise = policy["Statement"][index]["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    return condition, deny


@pytest.mark.parametrize(("index", "parameter"), [(1, "PlayhubSourceIps"), (2, "SwipeSourceIps")])
def test_each_providers_ip_allow_list_applies_only_when_its_parameter_is_set(index: int, parameter: str) -> None:
    conditions = TEMPLATE["Conditions"]
    condition, deny = _deny(index)
    assert conditions[condition] == {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": parameter}]}, ""]}]}
    any_condition, _, otherwise = RESOURCES["CallbackApi"]["Properties"]["Policy"]["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert {"Fn::Condition": condition} in conditions[any_condition]["Fn::Or"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"NotIpAddress": {"aws:SourceIp": {"Ref": parameter}}}


def test_no_secret_is_a_plain_environment_value() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CALLBACK_KEYS"] == ""  # only local runs set it
    assert "Fn::If" in variables["CALLBACK_KEY_SECRET"]


def test_the_outputs_give_swipe_its_base_url_and_say_where_its_key_lives() -> None:
    assert TEMPLATE["Outputs"]["SwipeCallbackBaseUrl"]["Value"]["Fn::Sub"].endswith("/${StageName}/swipe")
    assert "SwipeCallbackKeySecret" in TEMPLATE["Outputs"]


def test_swipes_callbacks_read_swipes_key_and_not_playhubs() -> None:
    for function in SWIPE_CALLBACKS:
        properties = RESOURCES[function]["Properties"]
        conditions = [policy["Fn::If"][0] for policy in properties["Policies"] if "Fn::If" in policy]
        assert conditions == ["UseSwipeKeyParameter"], function
        assert not {"SWIPE_CALLBACK_KEYS", "CALLBACK_KEYS"} & set(properties["Environment"]["Variables"])
    # Where Swipe's key lives is every function's to know, as Playhub's is; only these may read it.
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SWIPE_CALLBACK_KEYS"] == ""  # only local runs set it
    assert "Fn::If" in variables["SWIPE_CALLBACK_KEY_SECRET"]


def test_the_outputs_give_playhub_the_four_callback_urls_and_the_one_url() -> None:
    for name, path in [
        ("BalanceUrl", "/balance"),
        ("BetUrl", "/bet"),
        ("WinUrl", "/win"),
        ("RefundUrl", "/refund"),
        ("CallbackUrl", "/callback"),
    ]:
        assert TEMPLATE["Outputs"][name]["Value"]["Fn::Sub"].endswith("/${StageName}" + path)


@pytest.mark.parametrize(("function", "path"), DEDICATED.items())
def test_the_one_url_counts_each_callback_under_its_dedicated_functions_service(function: str, path: str) -> None:
    """observability.attribute_to names the service the way the template names the four functions."""
    service = RESOURCES[function]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    assert service == CALLBACK_SERVICE.format(action=path.removeprefix("/"))


OPERATOR_FUNCTIONS = ("LaunchFunction", "OperatorFunction")


@pytest.mark.parametrize("function", [*OPERATOR_FUNCTIONS, "HealthFunction"])
def test_every_operator_route_requires_iam(function: str) -> None:
    events = RESOURCES[function]["Properties"]["Events"].values()
    assert events
    assert all(event["Properties"]["Auth"] == {"Authorizer": "AWS_IAM"} for event in events)


@pytest.mark.parametrize("function", ALL_CALLBACKS)
def test_the_providers_callbacks_are_not_behind_iam(function: str) -> None:
    (event,) = RESOURCES[function]["Properties"]["Events"].values()
    assert "Auth" not in event["Properties"]


@pytest.mark.parametrize(("function", "route"), SWIPE_CALLBACKS.items())
def test_swipes_callbacks_are_served_under_their_own_base_path(function: str, route: tuple[str, str]) -> None:
    (event,) = RESOURCES[function]["Properties"]["Events"].values()
    method, path = route
    assert (event["Properties"]["Method"].upper(), event["Properties"]["Path"]) == (method, path)
    variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "swipe-" + path.rsplit("/", 1)[1]


def test_each_ip_allow_list_covers_only_its_providers_callbacks() -> None:
    assert _deny(1)[1]["Resource"] == [f"execute-api:/*/POST{path}" for path in CALLBACKS.values()]
    assert _deny(2)[1]["Resource"] == [f"execute-api:/*/{method}{path}" for method, path in SWIPE_CALLBACKS.values()]


@pytest.mark.parametrize("function", OPERATOR_FUNCTIONS)
def test_operator_functions_read_the_api_key_not_the_callback_key(function: str) -> None:
    policies = RESOURCES[function]["Properties"]["Policies"]
    conditions = [policy["Fn::If"][0] for policy in policies if "Fn::If" in policy]
    assert conditions == ["UseApiKeyParameter", "UseSwipeApiKeyParameter", "ReadSwipeApiKeySecret"]
    assert RESOURCES[function]["Properties"]["Environment"]["Variables"]["API_KEYS"] == ""


@pytest.mark.parametrize("function", [*OPERATOR_FUNCTIONS, "CatalogueFunction"])
def test_swipes_key_is_read_only_where_the_stack_serves_swipe_and_from_the_one_source_set(function: str) -> None:
    """SwipeCoreUrl empty: no Swipe key to read, and no permission to read one. Set: the parameter
    if named, else the given or created secret, as for Playhub's API key."""
    policies = {
        policy["Fn::If"][0]: policy["Fn::If"][1:]
        for policy in RESOURCES[function]["Properties"]["Policies"]
        if "Fn::If" in policy
    }
    assert policies["UseSwipeApiKeyParameter"][1] == {"Ref": "AWS::NoValue"}
    assert policies["ReadSwipeApiKeySecret"][1] == {"Ref": "AWS::NoValue"}
    assert policies["ReadSwipeApiKeySecret"][0]["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"] == {
        "Fn::If": ["UseGivenSwipeApiKeySecret", {"Ref": "SwipeApiKeySecretArn"}, {"Ref": "SwipeApiKeySecret"}]
    }
    variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
    assert variables["SWIPE_CORE_URL"] == {"Ref": "SwipeCoreUrl"}
    assert variables["SWIPE_API_KEYS"] == ""
    conditions = TEMPLATE["Conditions"]
    assert {"Fn::Condition": "SwipeServed"} in conditions["UseSwipeApiKeyParameter"]["Fn::And"]
    assert {"Fn::Condition": "SwipeServed"} in conditions["ReadSwipeApiKeySecret"]["Fn::And"]
    assert RESOURCES["SwipeApiKeySecret"]["Condition"] == "CreateSwipeApiKeySecret"


def test_a_stack_that_serves_swipe_must_name_its_cid_and_extcid() -> None:
    rule = TEMPLATE["Rules"]["SwipeNeedsItsIds"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SwipeCoreUrl"}, ""]}]}
    asserted = [assertion["Assert"] for assertion in rule["Assertions"]]
    assert asserted == [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]} for name in ("SwipeClientId", "SwipeExternalClientId")
    ]
    assert TEMPLATE["Parameters"]["SwipeCoreUrl"]["Default"] == ""


ALARM_METRICS_FROM_CODE = {
    ("Balance5xx", "playhub-balance"),
    ("Bet5xx", "playhub-bet"),
    ("Win5xx", "playhub-win"),
    ("Refund5xx", "playhub-refund"),
    ("Callback5xx", "playhub-callback"),  # the one URL, before its body named a callback
    ("SignatureFailures", "playhub-balance"),
    ("SignatureFailures", "playhub-bet"),
    ("SignatureFailures", "playhub-win"),
    ("SignatureFailures", "playhub-refund"),
    ("SignatureFailures", "playhub-callback"),
    ("RefundsOfUnknownTransactions", "playhub-refund"),
    ("Anomalies", "playhub-win"),
    ("Anomalies", "playhub-refund"),
    ("ReconciliationMismatches", "playhub-reconciliation"),
    ("ServerErrors", "playhub-launch"),
    ("ServerErrors", "playhub-operator"),
    ("ServerErrors", "playhub-health"),
    *((f"{callback.capitalize()}5xx", f"swipe-{callback}") for callback in ("balance", "bet", "win", "refund")),
    *(("SignatureFailures", f"swipe-{callback}") for callback in ("balance", "bet", "win", "refund")),
    ("RefundsOfUnknownTransactions", "swipe-refund"),
    ("Anomalies", "swipe-bet"),  # a txID back with another payload (SWIPE.md §12)
    ("Anomalies", "swipe-win"),
    ("Anomalies", "swipe-refund"),
}


def alarms() -> dict[str, Any]:
    return {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_every_alarm_notifies_the_alarm_topic() -> None:
    assert len(alarms()) == 32  # 2 for 5xx, 9 latency, 15 functions, 2 DynamoDB, 4 of our own metrics
    for properties in alarms().values():
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert properties["TreatMissingData"] == "notBreaching"


def test_our_own_alarms_watch_metrics_the_code_emits_under_each_functions_service_name() -> None:
    watched = set()
    for properties in alarms().values():
        for query in properties.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == "PlayhubWallet":
                watched.add((metric["MetricName"], metric["Dimensions"][0]["Value"]))
    assert watched == ALARM_METRICS_FROM_CODE
    services = {
        r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert {service for _, service in watched} <= services
    assert (
        TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "PlayhubWallet"
    )


@pytest.mark.parametrize("callback", ["balance", "bet", "win", "refund", "callback"])
def test_each_callback_has_a_p99_latency_alarm_at_one_second(callback: str) -> None:
    alarm = alarms()[f"{callback.capitalize()}LatencyAlarm"]
    assert (alarm["ExtendedStatistic"], alarm["Threshold"]) == ("p99", 1000)
    assert {"Name": "Resource", "Value": f"/{callback}"} in alarm["Dimensions"]


@pytest.mark.parametrize(("function", "route"), SWIPE_CALLBACKS.items())
def test_each_swipe_callback_has_a_p99_latency_alarm_on_its_route_and_method(
    function: str, route: tuple[str, str]
) -> None:
    alarm = alarms()[function.replace("Function", "LatencyAlarm")]
    method, path = route
    assert (alarm["ExtendedStatistic"], alarm["Threshold"]) == ("p99", 1000)
    assert {"Name": "Resource", "Value": path} in alarm["Dimensions"]
    assert {"Name": "Method", "Value": method} in alarm["Dimensions"]


def test_every_function_has_an_errors_and_throttles_alarm() -> None:
    functions = {name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    assert {f"{name}ErrorsAlarm" for name in functions} <= set(alarms())


def test_the_dashboard_body_is_json_with_four_widgets() -> None:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed = json.loads(
        body.replace("${AWS::Region}", "eu-west-1").replace("${AWS::StackName}", "s").replace("${StageName}", "live")
    )
    assert len(parsed["widgets"]) == 4


def test_the_catalogue_loads_hourly_and_may_wait_for_playhubs_slow_games_list() -> None:
    function = RESOURCES["CatalogueFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(1 hour)")
    assert function["Timeout"] >= 120  # GET /games: 10-20 s, retried once, then the writes
    assert allowed("CatalogueFunction") == {"GetItem", "PutItem", "Query", "BatchWriteItem"}


def test_the_catalogue_is_loaded_during_the_deploy_before_any_callback_runs() -> None:
    """Callbacks take decimal places from the catalogue: none may start before its first load."""
    assert RESOURCES["CatalogueLoad"]["Type"] == "Custom::PlayhubCatalogue"
    assert RESOURCES["CatalogueLoad"]["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["CatalogueFunction", "Arn"]}
    for function in ALL_CALLBACKS:
        assert RESOURCES[function]["DependsOn"] == "CatalogueLoad", function


def test_reconciliation_runs_on_a_schedule_and_reads_only_through_indexes() -> None:
    function = RESOURCES["ReconciliationFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(15 minutes)")
    (statements,) = [p["Statement"] for p in function["Policies"]]
    assert "dynamodb:Scan" not in json.dumps(statements)
    indexes = {index["IndexName"] for index in RESOURCES["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes == {"history", "changes"}


def test_deletion_protection_is_on_unless_a_stack_turns_it_off() -> None:
    assert TEMPLATE["Parameters"]["LedgerDeletionProtection"]["Default"] == "true"
    assert RESOURCES["LedgerTable"]["Properties"]["DeletionProtectionEnabled"] == {"Ref": "LedgerDeletionProtection"}


@pytest.mark.parametrize("function", ALL_CALLBACKS)
def test_callbacks_run_with_the_memory_and_timeout_we_intend(function: str) -> None:
    properties = RESOURCES[function]["Properties"]
    assert properties.get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]) == 5
    assert properties.get("MemorySize", TEMPLATE["Globals"]["Function"]["MemorySize"]) == 512


@pytest.mark.parametrize(
    "function", sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
)
def test_a_function_brings_no_dependencies_of_its_own_and_says_so_to_sam(function: str) -> None:
    """Every dependency is the layer's. An empty requirements.txt also keeps `sam build` from
    printing "requirements.txt file not found" once per function."""
    from devtools.template import ROOT

    requirements = ROOT / RESOURCES[function]["Properties"]["CodeUri"] / "requirements.txt"
    lines = requirements.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.strip() and not line.lstrip().startswith("#")] == []


def test_every_function_logs_to_its_own_declared_group_kept_for_the_stacks_retention() -> None:
    """Not Lambda's implicit /aws/lambda/<name> group, which is kept forever and outlives the stack."""
    functions = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    groups = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
    used = [function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions.values()]
    assert len(functions) == 15
    groups.pop("ApiAccessLogGroup")  # API Gateway's, not a function's
    assert sorted(used) == sorted(groups)  # one group per function, and no group without its function
    names = [group["Properties"]["LogGroupName"]["Fn::Sub"] for group in groups.values()]
    assert len(set(names)) == len(names)
    assert all(name.startswith("/playhub/${AWS::StackName}/") for name in names)  # never an implicit group's
    assert all(group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for group in groups.values())
    retention = TEMPLATE["Parameters"]["LogRetentionDays"]
    assert retention["Default"] in retention["AllowedValues"]
    assert 3653 in retention["AllowedValues"]  # CloudWatch's own choices, up to ten years


# Least privilege on the table -----------------------------------------------------------------
# Outside a callback, only the operator's function moves a wallet's money. The other functions
# write only their own partitions (dynamodb:LeadingKeys), held by IAM, not by convention; launch
# may also create an empty wallet, but write no attribute of it beyond its identity.
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
WALLET_WRITERS = {*ALL_CALLBACKS, "OperatorFunction"}
WALLET = wallet_key(WalletKey("p-1", "EUR"))
OWN_PARTITIONS = {  # each function's writes, and items of each it must be able to write
    "LaunchFunction": (["SESSION#*", "CATALOGUE"], [session_key("s-1"), CURRENCIES_KEY]),
    "CatalogueFunction": (
        ["CATALOGUE", "CATALOGUE#GAMES", "CATALOGUE#SWIPE#GAMES"],
        [CURRENCIES_KEY, GAMES_LOADED_KEY, game_key("g-1"), SWIPE_GAMES_LOADED_KEY, swipe_game_key("g-1")],
    ),
    "ReconciliationFunction": (
        ["RECONCILIATION", "RECONCILIATION#RECHECK", "RECONCILED#*"],
        [RECONCILIATION_STATE, recheck_key(WalletKey("p-1", "EUR")), checkpoint_key(WalletKey("p-1", "EUR"))],
    ),
}
EMPTY_WALLET_ATTRIBUTES = ["pk", "sk", "entity", "player_id", "currency"]


def writes(statement: dict[str, Any]) -> set[str]:
    return {action.removeprefix("dynamodb:") for action in statement["Action"]} & WRITE_ACTIONS


def could_start_with(pattern: str, prefix: str) -> bool:
    """Whether IAM's StringLike pattern matches some value that starts with prefix."""
    if not prefix:
        return True  # whatever is left of the pattern matches some ending
    if not pattern:
        return False
    if pattern[0] == "*":
        return True  # it takes the rest of the prefix
    return pattern[0] in {"?", prefix[0]} and could_start_with(pattern[1:], prefix[1:])


@pytest.mark.parametrize(
    ("pattern", "reaches_wallets", "sample"),
    [
        ("PLAYER#*", True, "PLAYER#p-1"),
        ("*", True, "PLAYER#p-1"),
        ("P?AYER#x", True, "PLAYER#x"),
        ("PLAY*", True, "PLAYER#p-1"),
        ("PLAYER", False, "PLAYER"),
        ("SESSION#*", False, "SESSION#s-1"),
        ("RECONCILED#*", False, "RECONCILED#p-1#EUR"),
    ],
)
def test_a_pattern_reaches_wallets_if_any_value_it_matches_could_be_a_wallets_partition(
    pattern: str, reaches_wallets: bool, sample: str
) -> None:
    assert could_start_with(pattern, "PLAYER#") is reaches_wallets
    assert string_like(pattern, sample)
    assert string_like(pattern, WALLET["pk"]) is (reaches_wallets and sample != "PLAYER#x")


def test_string_like_reads_patterns_as_iam_does() -> None:
    assert string_like("CATALOGUE", "CATALOGUE")
    assert not string_like("CATALOGUE", "CATALOGUE#GAMES")  # no wildcard: the whole value
    assert not string_like("catalogue", "CATALOGUE")  # case-sensitive
    assert string_like("A?C", "ABC")
    assert not string_like("A?C", "AC")
    assert string_like("[x]*", "[x]-1")
    assert not string_like("[x]*", "x-1")


def conditioned_writers(function: str) -> list[dict[str, Any]]:
    return [s for s in dynamodb_statements(function) if writes(s)]


@pytest.mark.parametrize("function", sorted(OWN_PARTITIONS))
def test_outside_callbacks_and_the_operator_table_writes_are_held_to_partitions_that_are_no_wallets(
    function: str,
) -> None:
    patterns, items = OWN_PARTITIONS[function]
    granted = []
    for statement in conditioned_writers(function):
        condition = statement["Condition"]
        # ForAllValues alone also passes a request without the key: Null false requires it.
        assert condition["Null"] == {"dynamodb:LeadingKeys": "false"}
        leading = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        if condition.get("ForAllValues:StringEquals") == {"dynamodb:Attributes": EMPTY_WALLET_ATTRIBUTES}:
            assert function == "LaunchFunction"  # its empty wallet: the next test
            continue
        assert [p for p in leading if could_start_with(p, "PLAYER#")] == [], f"{function} may write wallets"
        granted += leading
    assert sorted(granted) == sorted(patterns)
    for item in items:  # and what the function does write is inside them
        assert any(string_like(p, item["pk"]) for p in granted), item


def test_launch_may_create_an_empty_wallet_but_write_no_money_version_or_block() -> None:
    (wallet,) = [s for s in conditioned_writers("LaunchFunction") if "ForAllValues:StringEquals" in s["Condition"]]
    assert writes(wallet) == {"UpdateItem"}  # never a Put, which would replace the item
    assert wallet["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["PLAYER#*"]},
        "ForAllValues:StringEquals": {"dynamodb:Attributes": EMPTY_WALLET_ATTRIBUTES},
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]},  # ALL_NEW would name every attribute
        "Null": {"dynamodb:LeadingKeys": "false"},
    }
    assert string_like("PLAYER#*", profile_key("p-1")["pk"])  # the profile too, and its block is not allowed


@pytest.mark.parametrize("function", FUNCTIONS)
def test_only_the_callbacks_and_the_operator_write_the_table_without_a_condition(function: str) -> None:
    unconditioned = [s for s in dynamodb_statements(function) if writes(s) and "Condition" not in s]
    if function in WALLET_WRITERS:
        assert all(s["Effect"] == "Allow" for s in unconditioned)
    else:
        assert unconditioned == []
        assert (function in OWN_PARTITIONS) is bool(conditioned_writers(function))  # every writer is listed above

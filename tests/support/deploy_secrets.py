"""Secrets in the files a deploy or a local run reads: template.yaml, samconfig.toml, env.json, events/.

Two kinds of check. Yelp's detect-secrets reads each file as text (high-entropy strings, known key
formats, keywords such as `api_key = ...`). Then checks it cannot make: AWS access key ids, and AWS
credential variables whatever their value; a literal value under any name that ends in key,
secret, password or token (detect-secrets' keywords miss e.g. CALLBACK_KEYS), also inside a
samconfig `parameter_overrides` or an event's body; and the template's parameters: one that would
carry the secret itself (CallbackKey) has no default and is NoEcho, one for where it lives
(CallbackKeySecretArn, ApiKeyParameterName) defaults to nothing but an ARN or a parameter name.
An ARN is never a secret.

Allowed, and nothing else: the documented local sample keys, and an event's X-REQUEST-SIGN when it
is the sample callback key's signature of that event's body (a signature made with any other key
is reported: the sample events are signed with the sample key).
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings

from devtools.template import load_template
from playhub_wallet import swipe_signing
from playhub_wallet.signing import SIGNATURE_HEADER, sign

# The local-only sample keys: CALLBACK_KEYS, SWIPE_CALLBACK_KEYS, API_KEYS and SWIPE_API_KEYS in
# env.json, SAMPLE_CALLBACK_KEY and SAMPLE_SWIPE_CALLBACK_KEY in devtools/callbacks.py (the README's
# curl signs with the first), LOCAL_API_KEY in devtools/core_api_stub.py and LOCAL_SWIPE_API_KEY in
# devtools/swipe_core_api_stub.py.
# Nothing on AWS accepts them: a deployed stack reads its keys from Secrets Manager or SSM.
SAMPLE_CALLBACK_KEY = "local-callback-key"
SAMPLE_SWIPE_CALLBACK_KEY = "local-swipe-callback-key"
SAMPLE_API_KEY = "local-api-key"
SAMPLE_SWIPE_API_KEY = "local-swipe-api-key"
ALLOWED_VALUES = frozenset({SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY, SAMPLE_API_KEY, SAMPLE_SWIPE_API_KEY})

# A name for a secret itself: its last word is one of these (CALLBACK_KEYS, ApiKey, db_password,
# or SecretString: see _is_secret_name), not a name for where it lives (CallbackKeySecretArn,
# API_KEY_PARAMETER) or for a kind of key (KeyType, KmsMasterKeyId).
SECRET_WORDS = frozenset(
    {"key", "keys", "secret", "secrets", "password", "passwords", "passwd", "pwd", "passphrase", "token", "tokens"}
    | {"credential", "credentials", "authorization"}
)
# Any word of a template parameter's name: such a parameter gets no default.
SECRET_PARAMETER_WORDS = frozenset({"key", "keys", "secret", "secrets", "password", "passwd", "token", "tokens"})
AWS_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b")
# AWS_SECRET_ACCESS_KEY=..., "aws_session_token": "...", aws_access_key_id = ... in any syntax.
AWS_CREDENTIAL = re.compile(
    r"""(?i)\b(aws_?secret_?access_?key|aws_?session_?token|aws_?access_?key_?id|secret_?access_?key)\b"""
    r"""["']?\s*[:=]\s*["']?([^\s"',}\]]+)"""
)
ARN = re.compile(r"^arn:aws[a-z-]*:")
ARN_IN_TEXT = re.compile(r"arn:aws[a-z-]*:[^\s\"',]+")
SSM_NAME = re.compile(r"^/?[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*$")


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the scanned root
    where: str  # a line number or a path inside the document
    kind: str
    value: str

    def __str__(self) -> str:  # never the whole value: the report may land in a CI log
        shown = self.value[:4] + "…" if len(self.value) > 4 else self.value
        return f"{self.path}:{self.where}: {self.kind} ({shown!r})"


def deploy_files(root: Path) -> list[Path]:
    """The files checked: the ones a deploy or a local run reads, that exist under root."""
    files = [root / name for name in ("template.yaml", "samconfig.toml", "env.json")]
    files += sorted(path for path in (root / "events").rglob("*") if path.is_file())
    return [path for path in files if path.is_file()]


def find_secrets(root: Path, only: str | None = None) -> list[Finding]:
    """Every secret-looking value in root's deploy files (or the one named `only`), less the allowed ones."""
    findings: list[Finding] = []
    with default_settings():
        for path in deploy_files(root):
            if only is not None and path != root / only:
                continue
            relative = path.relative_to(root).as_posix()
            allowed = ALLOWED_VALUES | _sample_signatures(path)
            text = path.read_text(encoding="utf-8")
            findings += [f for f in _detect_secrets(path, relative) if f.value not in allowed and not _in_arn(f, text)]
            findings += _aws_credentials(text, relative)
            document = _parse(path)
            findings += [f for f in _named_values(path, relative, document) if f.value not in allowed]
            if path.name == "template.yaml":
                findings += _template_parameters(document, relative)
    return findings


def _detect_secrets(path: Path, relative: str) -> Iterator[Finding]:
    collection = SecretsCollection()
    collection.scan_file(str(path))
    for secrets in collection.data.values():
        for secret in secrets:
            yield Finding(
                relative, str(secret.line_number), f"detect-secrets: {secret.type}", secret.secret_value or ""
            )


def _in_arn(finding: Finding, text: str) -> bool:
    """detect-secrets reads `secret:name-AbCdEf` in a Secrets Manager ARN as a keyword's value."""
    lines = text.splitlines()
    line = lines[int(finding.where) - 1] if finding.where.isdigit() and int(finding.where) <= len(lines) else ""
    return any(finding.value in arn for arn in ARN_IN_TEXT.findall(line))


def _aws_credentials(text: str, relative: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in AWS_ACCESS_KEY_ID.finditer(line):
            yield Finding(relative, str(number), "AWS access key id", match.group(0))
        for match in AWS_CREDENTIAL.finditer(line):
            # No placeholder is allowed either: nothing here needs one (make invoke passes `local`
            # credentials for DynamoDB Local in its environment, not through these files).
            yield Finding(relative, str(number), f"AWS credential {match.group(1)}", match.group(2))


def _named_values(path: Path, relative: str, document: Any) -> Iterator[Finding]:
    """Literal values under a secret's name, anywhere in the parsed document; and the values inside
    a samconfig parameter_overrides or an event's body, which the text scan sees as one string."""
    inner: list[tuple[str, str]] = []
    for where, name, value in _leaves(document, ""):
        yield from _secret_named(relative, where, name, value)
        if name == "parameter_overrides":  # samconfig: "Name=value Name2=value2"
            for pair in shlex.split(value):
                override, _, override_value = pair.partition("=")
                yield from _secret_named(relative, f"{where}.{override}", override, override_value)
                inner.append((f"{where}.{override}", override_value))
        if name == "body" and path.parent.name == "events":
            try:
                body = json.loads(value)
            except ValueError:
                continue
            for inner_where, inner_name, inner_value in _leaves(body, f"{where}."):
                yield from _secret_named(relative, inner_where, inner_name, inner_value)
                inner.append((inner_where, inner_value))
    yield from _scan_values(relative, inner)


def _secret_named(relative: str, where: str, name: str, value: str) -> Iterator[Finding]:
    if _is_secret_name(name) and value and not ARN.match(value):
        yield Finding(relative, where, f"a value for {name}", value)


def _scan_values(relative: str, values: list[tuple[str, str]]) -> Iterator[Finding]:
    """detect-secrets on values found inside a string, one quoted value a line."""
    if not values:
        return
    with tempfile.TemporaryDirectory() as directory:
        lines = Path(directory) / "values.txt"
        lines.write_text("".join(f"value = {json.dumps(value)}\n" for _, value in values), encoding="utf-8")
        for finding in _detect_secrets(lines, relative):
            yield Finding(relative, values[int(finding.where) - 1][0], finding.kind, finding.value)


def _template_parameters(template: Any, relative: str) -> Iterator[Finding]:
    """A parameter for a secret itself (CallbackKey) has no default and is NoEcho; one for where a
    secret lives (CallbackKeySecretArn, ApiKeyParameterName) may default to an ARN or a parameter
    name, nothing else (a key pasted there is the text scan's high-entropy finding too)."""
    for name, parameter in (template.get("Parameters") or {}).items():
        if not set(_words(name)) & SECRET_PARAMETER_WORDS:
            continue
        default = str(parameter.get("Default", ""))
        if _is_secret_name(name):
            if default:
                yield Finding(relative, f"Parameters.{name}.Default", f"a default for {name}", default)
            if str(parameter.get("NoEcho")).lower() != "true":
                yield Finding(relative, f"Parameters.{name}", f"{name} carries a secret but is not NoEcho", "")
        elif default and not (ARN.match(default) or SSM_NAME.match(default)):
            yield Finding(relative, f"Parameters.{name}.Default", f"a default for {name}", default)


def _parse(path: Path) -> Any:
    if path.suffix in {".yaml", ".yml"}:
        return load_template(path)
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text(encoding="utf-8"))
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def _leaves(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(path, name, value) of every string under a named key; lists keep their parent's name."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _named_leaves(value, f"{where}{key}", str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, f"{where}[{index}].")


def _named_leaves(node: Any, where: str, name: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, str):
        yield where, name, node
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _named_leaves(value, f"{where}[{index}]", name)
    elif isinstance(node, dict) and not any(key == "Ref" or key.startswith("Fn::") for key in node):
        yield from _leaves(node, f"{where}.")


def _words(name: str) -> list[str]:
    """CallbackKeySecretArn -> callback, key, secret, arn; CALLBACK_KEYS -> callback, keys."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word.lower() for word in re.split(r"[\s_\-.]+", spaced) if word]


def _is_secret_name(name: str) -> bool:
    """CALLBACK_KEYS, ApiKey, db_password; and a secret's value: SecretString, PasswordValue. Not an
    IAM condition key (dynamodb:LeadingKeys names the partition keys a policy allows)."""
    if ":" in name:
        return False
    words = _words(name)
    if words and words[-1] in {"string", "value", "text"}:
        words = words[:-1]
    return bool(words) and words[-1] in SECRET_WORDS


def _sample_signatures(path: Path) -> frozenset[str]:
    """The X-REQUEST-SIGN of a sample event, when a sample callback key signed what it signs: the
    body (Playhub's and Swipe's POSTs) or, for Swipe's GET /balance, the query's first values."""
    if path.parent.name != "events" or path.suffix != ".json":
        return frozenset()
    event = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(event, dict):
        return frozenset()
    signature = (event.get("headers") or {}).get(SIGNATURE_HEADER)
    if not isinstance(signature, str):
        return frozenset()
    messages = []
    if isinstance(event.get("body"), str):
        messages.append(event["body"].encode("utf-8"))
    if event.get("httpMethod") == "GET" and event.get("multiValueQueryStringParameters"):
        messages.append(swipe_signing.query_message(swipe_signing.balance_query(event)))
    keys = (SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY)
    if any(signature == sign(key, message) for key in keys for message in messages):
        return frozenset({signature})
    return frozenset()

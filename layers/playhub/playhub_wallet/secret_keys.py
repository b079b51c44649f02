"""Secret keys: the Callback Token Key(s) Playhub signs callbacks with, and our API Token Key.

A deployed stack reads them from Secrets Manager or SSM (SecureString) through powertools'
parameters utility, cached per container; a local run reads them from an environment
variable. The value is one key, or a JSON array of keys while a key is being rotated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from playhub_wallet.errors import ServiceUnavailable


def parse_key_list(value: str) -> tuple[str, ...]:
    """A single key, or a JSON array of keys; blanks are refused so nobody can sign with ''."""
    text = value.strip()
    keys: list[object] = json.loads(text) if text.startswith("[") else [text]
    if not keys or not all(isinstance(key, str) and key.strip() for key in keys):
        raise ValueError("keys must be a non-empty string or a JSON array of non-empty strings")
    return tuple(str(key).strip() for key in keys)


@dataclass(frozen=True)
class KeySource:
    """Where one list of keys lives: exactly one of a local value, a secret or a parameter."""

    name: str  # what the keys are for, in error details
    local_value: str | None = None
    secret: str | None = None  # Secrets Manager name or ARN
    parameter: str | None = None  # SSM SecureString name
    cache_seconds: int = 300

    def current(self) -> tuple[str, ...]:
        if not self.local_value and (self.secret or self.parameter):
            # Imported here, outside the error mapping below, so a packaging fault is not mistaken
            # for an unreadable key; a local run (keys in the environment) never loads it.
            from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415
        try:
            if self.local_value:
                raw = self.local_value
            elif self.secret:
                raw = str(parameters.get_secret(self.secret, max_age=self.cache_seconds))
            elif self.parameter:
                raw = str(parameters.get_parameter(self.parameter, decrypt=True, max_age=self.cache_seconds))
            else:
                raise ValueError("no source configured")
            return parse_key_list(raw)
        except Exception as exc:  # a key we cannot read is our fault, never the caller's: 500
            raise ServiceUnavailable(f"{self.name} keys are not readable") from exc

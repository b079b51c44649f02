"""The Callback Token Key(s) that Playhub signs callbacks with.

A deployed stack reads them from Secrets Manager or SSM (SecureString) through powertools'
parameters utility, cached per container; a local run reads CALLBACK_KEYS. The value is one
key, or a JSON array of keys while a key is being rotated.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities import parameters

from playhub_wallet.errors import ServiceUnavailable
from playhub_wallet.settings import Settings


def parse_key_list(value: str) -> tuple[str, ...]:
    """A single key, or a JSON array of keys; blanks are refused so nobody can sign with ''."""
    text = value.strip()
    keys: list[object] = json.loads(text) if text.startswith("[") else [text]
    if not keys or not all(isinstance(key, str) and key.strip() for key in keys):
        raise ValueError("callback keys must be a non-empty string or a JSON array of non-empty strings")
    return tuple(str(key).strip() for key in keys)


class CallbackKeys:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def current(self) -> tuple[str, ...]:
        settings = self._settings
        try:
            if settings.callback_keys:
                raw = settings.callback_keys
            elif settings.callback_key_secret:
                raw = str(parameters.get_secret(settings.callback_key_secret, max_age=settings.key_cache_seconds))
            else:
                raw = str(
                    parameters.get_parameter(
                        str(settings.callback_key_parameter), decrypt=True, max_age=settings.key_cache_seconds
                    )
                )
            return parse_key_list(raw)
        except Exception as exc:  # a key we cannot read is our fault, never the caller's: 500
            raise ServiceUnavailable("callback keys are not readable") from exc

"""Configuration, parsed once per container from environment variables.

A misconfigured function fails at cold start with a message that names the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from playhub_wallet.secret_keys import KeySource


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=1)
    dynamodb_endpoint: str | None = None  # DynamoDB Local, moto's server; unset on AWS
    # Where the callback key(s) live: exactly one of these. CALLBACK_KEYS is for local runs only.
    callback_keys: str | None = None
    callback_key_secret: str | None = None  # Secrets Manager secret name or ARN
    callback_key_parameter: str | None = None  # SSM SecureString parameter name
    key_cache_seconds: int = Field(default=300, ge=0)
    session_idle_seconds: int = Field(default=4 * 3600, gt=0)
    session_retention_days: int = Field(default=90, gt=0)
    time_budget_ms: int = Field(default=3500, gt=0)  # Playhub gives up after 5 s
    currency_decimal_places: dict[str, int] = Field(default_factory=dict)

    @field_validator("currency_decimal_places", mode="before")
    @classmethod
    def _json_mapping(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("currency_decimal_places")
    @classmethod
    def _places_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        for currency, places in value.items():
            if not 0 <= places <= 8:
                raise ValueError(f"{currency}: decimal places must be 0 to 8")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        sources = [self.callback_keys, self.callback_key_secret, self.callback_key_parameter]
        if sum(1 for source in sources if source) != 1:
            raise ValueError("set exactly one of CALLBACK_KEYS, CALLBACK_KEY_SECRET, CALLBACK_KEY_PARAMETER")
        return self

    def callback_key_source(self) -> KeySource:
        return KeySource(
            "callback",
            self.callback_keys,
            self.callback_key_secret,
            self.callback_key_parameter,
            self.key_cache_seconds,
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {name: environ[name.upper()] for name in cls.model_fields if environ.get(name.upper())}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])).upper() or 'settings'}: {e['msg']}" for e in exc.errors()
            )
            raise RuntimeError(f"invalid configuration: {problems}") from None

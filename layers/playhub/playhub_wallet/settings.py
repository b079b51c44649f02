"""Configuration, parsed once per container from environment variables.

A misconfigured function fails at cold start with a message that names the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from playhub_wallet.secret_keys import KeySource


class EnvironmentSettings(BaseModel):
    """Fields named as lower-case environment variables; blank variables count as unset."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        values = {name: environ[name.upper()] for name in cls.model_fields if environ.get(name.upper())}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])).upper() or 'settings'}: {e['msg']}" for e in exc.errors()
            )
            raise RuntimeError(f"invalid configuration: {problems}") from None


def _given(*sources: str | None) -> int:
    return sum(1 for source in sources if source)


def _exactly_one(*sources: str | None) -> bool:
    return _given(*sources) == 1


class Settings(EnvironmentSettings):
    """What every function needs: the table and the callback keys."""

    table_name: str = Field(min_length=1)
    dynamodb_endpoint: str | None = None  # DynamoDB Local, moto's server; unset on AWS
    # Where the callback key(s) live: exactly one of these. CALLBACK_KEYS is for local runs only.
    callback_keys: str | None = None
    callback_key_secret: str | None = None  # Secrets Manager secret name or ARN
    callback_key_parameter: str | None = None  # SSM SecureString parameter name
    # Swipe's Integration API key(s), which sign Swipe's callbacks: at most one of these; only the
    # Swipe callback functions need one (swipe_callback_key_source). SWIPE_CALLBACK_KEYS: local only.
    swipe_callback_keys: str | None = None
    swipe_callback_key_secret: str | None = None
    swipe_callback_key_parameter: str | None = None
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
        if not _exactly_one(self.callback_keys, self.callback_key_secret, self.callback_key_parameter):
            raise ValueError("set exactly one of CALLBACK_KEYS, CALLBACK_KEY_SECRET, CALLBACK_KEY_PARAMETER")
        return self

    @model_validator(mode="after")
    def _at_most_one_swipe_key_source(self) -> Settings:
        if self._swipe_key_sources() > 1:
            raise ValueError(
                "set at most one of SWIPE_CALLBACK_KEYS, SWIPE_CALLBACK_KEY_SECRET, SWIPE_CALLBACK_KEY_PARAMETER"
            )
        return self

    def _swipe_key_sources(self) -> int:
        return _given(self.swipe_callback_keys, self.swipe_callback_key_secret, self.swipe_callback_key_parameter)

    def swipe_callback_key_source(self) -> KeySource:
        """Where Swipe's Integration API key(s) live; a Swipe callback function without one fails at start."""
        if not self._swipe_key_sources():
            raise RuntimeError(
                "invalid configuration: set one of SWIPE_CALLBACK_KEYS, SWIPE_CALLBACK_KEY_SECRET, "
                "SWIPE_CALLBACK_KEY_PARAMETER"
            )
        return KeySource(
            "Swipe callback",
            self.swipe_callback_keys,
            self.swipe_callback_key_secret,
            self.swipe_callback_key_parameter,
            self.key_cache_seconds,
        )

    def callback_key_source(self) -> KeySource:
        return KeySource(
            "callback",
            self.callback_keys,
            self.callback_key_secret,
            self.callback_key_parameter,
            self.key_cache_seconds,
        )


class CoreApiSettings(EnvironmentSettings):
    """What the functions that call Playhub's Core API need besides (launch, operator)."""

    playhub_core_url: str = Field(min_length=1)  # staging or production base URL, or a local stub
    playhub_cid: str = Field(min_length=1)  # our client id at Playhub
    playhub_extcid: str | None = None  # our own casino or brand id
    api_keys: str | None = None  # local runs only
    api_key_secret: str | None = None
    api_key_parameter: str | None = None
    key_cache_seconds: int = Field(default=300, ge=0)
    core_api_read_timeout_seconds: float = Field(default=8.0, gt=0)
    # GET /games takes 10-20 s: only the catalogue refresh waits for it, never a launch.
    games_read_timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _one_key_source(self) -> CoreApiSettings:
        if not _exactly_one(self.api_keys, self.api_key_secret, self.api_key_parameter):
            raise ValueError("set exactly one of API_KEYS, API_KEY_SECRET, API_KEY_PARAMETER")
        return self

    def api_key_source(self) -> KeySource:
        return KeySource("API", self.api_keys, self.api_key_secret, self.api_key_parameter, self.key_cache_seconds)


class SwipeCoreApiSettings(EnvironmentSettings):
    """Swipe Games' Core API for the launch, operator and catalogue functions (docs/swipe-contract.md).

    Optional: a stack without SWIPE_CORE_URL serves Playhub only (`swipe_from_environment` is
    None). Once the URL is set, the ids and exactly one key source are required: no extCID falls
    back to the cID (every Swipe call names a registered extCID).
    """

    swipe_core_url: str = Field(min_length=1)  # staging or production base URL, or a local stub
    swipe_cid: str = Field(min_length=1)  # our Client ID at Swipe
    swipe_extcid: str = Field(min_length=1)  # our brand's registered ExtCID; never the cID instead
    swipe_api_keys: str | None = None  # local runs only
    swipe_api_key_secret: str | None = None
    swipe_api_key_parameter: str | None = None
    key_cache_seconds: int = Field(default=300, ge=0)
    core_api_read_timeout_seconds: float = Field(default=8.0, gt=0)
    # Swipe's GET /games "may take 10-20 seconds": only the catalogue refresh waits for it.
    swipe_games_read_timeout_seconds: float = Field(default=60.0, gt=20)

    @model_validator(mode="after")
    def _one_key_source(self) -> SwipeCoreApiSettings:
        if not _exactly_one(self.swipe_api_keys, self.swipe_api_key_secret, self.swipe_api_key_parameter):
            raise ValueError("set exactly one of SWIPE_API_KEYS, SWIPE_API_KEY_SECRET, SWIPE_API_KEY_PARAMETER")
        return self

    def api_key_source(self) -> KeySource:
        return KeySource(
            "Swipe API",
            self.swipe_api_keys,
            self.swipe_api_key_secret,
            self.swipe_api_key_parameter,
            self.key_cache_seconds,
        )


def swipe_from_environment(environ: Mapping[str, str] | None = None) -> SwipeCoreApiSettings | None:
    """Swipe's settings, or None when SWIPE_CORE_URL is unset or blank (Swipe is off)."""
    environ = os.environ if environ is None else environ
    if not environ.get("SWIPE_CORE_URL", "").strip():
        return None
    return SwipeCoreApiSettings.from_environment(environ)

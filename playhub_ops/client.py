"""HTTP client of the operator API; requests are SigV4-signed for a deployed (IAM-guarded) stack."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import requests

DEFAULT_URL = "http://127.0.0.1:3000"
_EXECUTE_API = re.compile(r"^https://[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class OperatorApiError(Exception):
    def __init__(self, status: int, message: str, details: str) -> None:
        super().__init__(f"{status} {message}: {details}")
        self.status = status
        self.message = message
        self.details = details


class OperatorClient:
    def __init__(self, base_url: str = DEFAULT_URL, *, iam: bool | None = None, timeout: float = 20.0) -> None:
        self.base_url = base_url.rstrip("/")
        region = _EXECUTE_API.match(self.base_url)
        self._region = region.group(1) if region else None
        self._iam = bool(region) if iam is None else iam
        self._timeout = timeout
        self._session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        url = self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self._iam:
            headers = self._sigv4(method, url, data, headers, query)
        response = self._session.request(method, url, data=data, headers=headers, params=query, timeout=self._timeout)
        try:
            answer = response.json()
        except ValueError:
            answer = {"message": response.reason, "details": response.text[:200]}
        if response.status_code >= 400:
            raise OperatorApiError(response.status_code, str(answer.get("message", "")), str(answer.get("details", "")))
        return answer

    def _sigv4(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str], query: dict[str, str] | None
    ) -> dict[str, str]:
        import boto3  # noqa: PLC0415 - only for deployed stacks
        from botocore.auth import SigV4Auth  # noqa: PLC0415
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise OperatorApiError(0, "no AWS credentials", "configure a profile or environment credentials")
        request = AWSRequest(method=method, url=url, data=data, headers=headers, params=query)
        SigV4Auth(credentials, "execute-api", self._region or session.region_name or "us-east-1").add_auth(request)
        return dict(request.headers.items())

    # The operations ----------------------------------------------------------------------

    def launch(self, **fields: Any) -> Any:
        return self.call("POST", "/games/launch", fields)

    def transfer(self, direction: str, player_id: str, currency: str, amount: str, reference: str) -> Any:
        path = f"/players/{_seg(player_id)}/wallets/{_seg(currency)}/{direction}"
        return self.call("POST", path, {"amount": amount, "reference": reference})

    def wallets(self, player_id: str) -> Any:
        return self.call("GET", f"/players/{_seg(player_id)}/wallets")

    def history(self, player_id: str, currency: str, limit: int, cursor: str | None = None) -> Any:
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        return self.call("GET", f"/players/{_seg(player_id)}/wallets/{_seg(currency)}/transactions", query=query)

    def block(self, player_id: str, blocked: bool) -> Any:
        return self.call("PUT", f"/players/{_seg(player_id)}/block", {"blocked": blocked})


def _seg(value: str) -> str:
    return quote(value, safe="")

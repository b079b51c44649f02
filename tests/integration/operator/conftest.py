"""The operator's API through its handlers, on moto and DynamoDB Local, with Playhub's Core API
recorded by responses (support/operator.py): launch, transfers, history, blocking, the catalogue,
legal bets, campaigns and rounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import DYNAMO_BACKENDS, Backend, make_backend
from support.operator import Operator, serve_operator

from playhub_wallet.wallet import WalletService


@pytest.fixture(params=DYNAMO_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch, backend: Backend, wallet: WalletService) -> Iterator[Operator]:
    with serve_operator(monkeypatch, backend, wallet) as operator:
        yield operator

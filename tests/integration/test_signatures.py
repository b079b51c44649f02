"""X-REQUEST-SIGN: a missing, wrong or stale signature is a 401 that reads nothing from the store."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import Backend, Player, install_runtime
from support.harness import Playhub, round_payload
from support.requests import count_store_requests

from playhub_wallet.playhub_requests import api_gateway_event
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign
from playhub_wallet.wallet import WalletService


@pytest.mark.parametrize(
    "headers",
    [{}, {SIGNATURE_HEADER: ""}, {SIGNATURE_HEADER: "0" * 64}, {SIGNATURE_HEADER: sign("not-the-key", b"{}")}],
    ids=["missing", "empty", "zeros", "wrong-key"],
)
@pytest.mark.parametrize("endpoint", ["balance", "bet", "win", "refund"])
def test_a_missing_or_wrong_signature_is_401_and_touches_no_table(
    playhub: Playhub, player: Player, backend: Backend, endpoint: str, headers: dict[str, str]
) -> None:
    payload = {**round_payload("bet", player.session_id), "action": endpoint}
    with count_store_requests(backend) as requests:
        status, body = playhub.send_raw(endpoint, canonical_json(payload).decode(), headers)

    assert status == 401
    assert body == {"message": "invalid signature", "details": "X-REQUEST-SIGN is missing or does not match the body"}
    assert requests.total == 0
    assert backend.view.wallet(player.wallet_key).balance == 100


def test_a_body_changed_after_signing_is_401(playhub: Playhub, player: Player) -> None:
    payload = round_payload("bet", player.session_id)
    signature = sign(playhub.key, canonical_json(payload))
    tampered = canonical_json({**payload, "amount": "0.01"}).decode()

    status, _ = playhub.send_raw("bet", tampered, {SIGNATURE_HEADER: signature})

    assert status == 401


def test_a_signature_over_the_raw_bytes_is_accepted_when_they_are_not_canonical(
    playhub: Playhub, player: Player
) -> None:
    raw = json.dumps(round_payload("bet", player.session_id), indent=2)  # whitespace and Playhub's own key order
    status, body = playhub.send_raw("bet", raw, {SIGNATURE_HEADER: sign(playhub.key, raw.encode())})

    assert (status, body["balance"]) == (200, "95.00")


def test_a_signature_over_the_canonical_json_is_accepted_for_a_non_canonical_body(
    playhub: Playhub, player: Player
) -> None:
    payload = round_payload("bet", player.session_id)
    raw = json.dumps(payload, indent=1)
    status, _ = playhub.send_raw("bet", raw, {SIGNATURE_HEADER: sign(playhub.key, canonical_json(payload))})

    assert status == 200


def test_the_header_name_is_case_insensitive_and_hex_case_does_not_matter(playhub: Playhub, player: Player) -> None:
    raw = canonical_json(round_payload("bet", player.session_id))
    status, _ = playhub.send_raw("bet", raw.decode(), {"x-request-sign": sign(playhub.key, raw).upper()})

    assert status == 200


def test_a_base64_encoded_body_is_verified_on_its_decoded_bytes(playhub: Playhub, player: Player) -> None:
    raw = canonical_json(round_payload("bet", player.session_id))
    event = api_gateway_event("/bet", base64.b64encode(raw).decode(), {SIGNATURE_HEADER: sign(playhub.key, raw)})
    event["isBase64Encoded"] = True

    status, _ = playhub.invoke("bet", event)

    assert status == 200


def test_during_rotation_both_keys_are_valid_and_a_retired_key_is_not(
    monkeypatch: pytest.MonkeyPatch, wallet: WalletService, player: Player, backend: Backend
) -> None:
    install_runtime(monkeypatch, wallet, keys=["new-key", "old-key"])
    for key in ("new-key", "old-key"):
        assert Playhub(key).bet(player.session_id, "1.00").status == 200

    install_runtime(monkeypatch, wallet, keys=["new-key"])  # the old key is removed from the secret
    with count_store_requests(backend) as requests:
        stale = Playhub("old-key").bet(player.session_id, "1.00")
    assert (stale.status, requests.total) == (401, 0)
    assert Playhub("new-key").bet(player.session_id, "1.00").status == 200
    assert backend.view.wallet(player.wallet_key).balance == 97


def test_signature_failures_are_counted(playhub: Playhub, player: Player, capsys: pytest.CaptureFixture[str]) -> None:
    from integration.test_case_table import emitted_metrics

    Playhub("intruder-key").balance(player.session_id)

    assert emitted_metrics(capsys.readouterr().out).get("SignatureFailures") == [1.0]

"""A JSON object naming one member twice says two things about one field (RFC 7493 forbids it):
refused with `malformed_json`, the name said, on the API and on every callback (kept, nothing
credited), instead of the decoder's silent choice of the last."""
import json

import pytest

from kernel.clock import now_utc
from kernel.jsonobjects import DuplicateKey, unique_keys
from sandbox.bank import callback_request
from tests.api.test_input_hardening import inbox, payments, resign
from tests.factories import dossier_body, make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def twice(body: bytes, key: str, value) -> bytes:
    """The JSON body with `key` named a second time, at its end."""
    text = body.decode().rstrip()
    assert text.endswith("}") and f'"{key}"' in text
    return (text[:-1] + f', "{key}": {json.dumps(value)}}}').encode()


def test_the_hook_refuses_a_repeated_name_and_keeps_every_other_object():
    assert json.loads('{"a": 1, "b": {"a": 2}}', object_pairs_hook=unique_keys) == {"a": 1, "b": {"a": 2}}
    with pytest.raises(DuplicateKey, match="'a' twice"):
        json.loads('{"b": {"a": 1, "a": 1}}', object_pairs_hook=unique_keys)


@pytest.mark.parametrize("via,key", [("bank", "amount_vnd"), ("sepay", "transferAmount"), ("pos", "amount_vnd")])
def test_a_callback_naming_a_field_twice_is_malformed_kept_and_credits_nothing(client, auth, test_settings, db,
                                                                               via, key):
    code = make_request(client, auth)
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="dup-1", at=now_utc())
    body = twice(body, key, 5)
    r = client.post(path, data=body, headers=resign(test_settings, via, headers, body))
    assert r.status_code == 400 and r.json["code"] == "malformed_json" and repr(key) in r.json["message"]
    [row] = inbox(db)
    assert row.status == "rejected" and row.body == body
    assert payments(db) == []


def test_an_api_body_naming_a_field_twice_is_malformed_and_writes_nothing(client, auth):
    body = twice(json.dumps(dossier_body()).encode(), "code", "000.00.12.H40-261125-9999")
    r = client.post("/api/v1/dossiers", data=body, headers={**auth("intake"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_json" and "'code' twice" in r.json["message"]
    assert client.get("/api/v1/dossiers/000.00.12.H40-261125-9999", headers=auth("intake")).status_code == 404

"""An id in an address is ASCII digits. Python reads "１２" (fullwidth), "١٢" (Arabic-Indic) or "१२"
(Devanagari) as 12, and werkzeug's int converter matched them: such an address reached the route as
object 12 (a token revoked, a message shown) under a path no client of ours writes. It is not found."""
import pytest

from kernel.auth import ApiToken
from kernel.db import unit_of_work
from kernel.outbox import enqueue
from tests.conftest import T0

OTHER_DIGITS = {"fullwidth": "０１２３４５６７８９", "arabic-indic": "٠١٢٣٤٥٦٧٨٩", "devanagari": "०१२३४५६७८९"}


def written_in(digits: str, number: int) -> str:
    return "".join(digits[int(d)] for d in str(number))


@pytest.fixture(params=sorted(OTHER_DIGITS))
def digits(request):
    return OTHER_DIGITS[request.param]


def test_a_token_id_in_other_digits_is_not_found_and_revokes_nothing(client, auth, db, digits):
    created = client.post("/api/v1/admin/tokens", json={"role": "intake", "name": "Cổng DVC"}, headers=auth("admin"))
    token_id = created.json["id"]
    r = client.delete(f"/api/v1/admin/tokens/{written_in(digits, token_id)}", headers=auth("admin"))
    assert r.status_code == 404 and r.json["code"] == "not_found", r.json
    with db() as s:
        assert s.get(ApiToken, token_id).revoked_at is None
    assert client.delete(f"/api/v1/admin/tokens/{token_id}", headers=auth("admin")).status_code == 200


def test_a_message_id_in_other_digits_is_not_found(client, auth, db, digits):
    with unit_of_work(db) as s:
        message_id = enqueue(s, topic="sms", key="sms:1", payload={"to": "0912345678", "text": "a"}, now=T0).id
    r = client.get(f"/api/v1/admin/outbox/{written_in(digits, message_id)}", headers=auth("admin"))
    assert r.status_code == 404 and r.json == {"code": "not_found", "message": r.json["message"]}
    assert client.get(f"/api/v1/admin/outbox/{message_id}", headers=auth("admin")).status_code == 200


def test_ascii_digits_mixed_with_other_digits_are_not_found_either(client, auth, db):
    with unit_of_work(db) as s:
        for n in range(12):
            enqueue(s, topic="sms", key=f"sms:{n}", payload={"to": "0912345678", "text": "a"}, now=T0)
    r = client.get("/api/v1/admin/outbox/1２", headers=auth("admin"))
    assert r.status_code == 404 and r.json["code"] == "not_found"
    assert client.get("/api/v1/admin/outbox/12", headers=auth("admin")).status_code == 200


def test_a_page_address_with_other_digits_is_the_not_found_page(client, auth):
    r = client.get("/staff/finance/lines/１")
    assert r.status_code == 404 and "text/html" in r.content_type

"""After a cancelled shipment's postage is withdrawn: a request that asks for nothing and whose money is then
voided holds nothing and asks nothing, so it is cancelled, not waiting for 0 ₫."""
import pytest
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from kernel.outbox import OutboxMessage
from tests.api.test_postal_fix_withdrawn_postage_refund import queue
from tests.api.test_postal_round2 import cancel, post_shipment
from tests.api.test_void_after_refund import pos
from tests.factories import assert_ledger_ok, send_callback
from tests.postal_factories import make_dossier, shipment_body


@pytest.fixture(autouse=True)
def ledger_checked(db):
    yield
    assert_ledger_ok(db)


@pytest.fixture
def subscribed(client, auth):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "Hệ thống một cửa", "url": "http://127.0.0.1:9/events", "event_types": ["payment_request.*"]})
    assert r.status_code == 201, r.json


def queued(db, topic: str) -> list[dict]:
    with db() as s:
        return [m.payload for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                             .order_by(OutboxMessage.id)).scalars()]


def events(db, payment_code: str) -> list[tuple[str, dict]]:
    return [(p["event"]["type"], p["event"]["data"]) for p in queued(db, "webhook")
            if p["event"]["data"].get("payment_code") == payment_code]


def texts(db) -> list[str]:
    return [p["text"] for p in queued(db, "sms")]


def summary(client, payment_code: str) -> tuple:
    r = client.get(f"/api/v1/payment-requests/{payment_code}").json
    return r["status"], r["amount_vnd"], r["paid_vnd"], r["outstanding_vnd"], r["vietqr"]


def delivery(client, auth, db, settings) -> dict:
    make_dossier(db, settings)
    return post_shipment(client, auth, shipment_body(direction="delivery")).json


# --- 1. a request asking nothing whose money is voided holds nothing: it is closed --------------------

def test_a_postage_request_asking_nothing_whose_card_payment_is_voided_is_cancelled_not_waiting_for_0_vnd(
        client, auth, db, test_settings, subscribed):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    pos(client, test_settings, postage, 22000, transaction_id="S1", type="sale")
    cancel(client, auth, shipment["id"])
    assert summary(client, postage) == ("overpaid", 0, 22000, 0, None)

    pos(client, test_settings, postage, 22000, transaction_id="V1", type="void", original_transaction_id="S1")
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)  # nothing asked, nothing held
    assert f"request:{postage}:over_payment" not in queue(client, auth, business_date(now_utc()).isoformat())
    kind, data = events(db, postage)[-1]
    assert (kind, data["previous_status"], data["status"]) == ("payment_request.status_changed", "overpaid",
                                                                "cancelled")
    page = client.get(f"/pay/{postage}").get_data(as_text=True)
    assert "Yêu cầu thanh toán đã bị hủy" in page and 'id="pay-section"' not in page

    # Money sent for it afterwards is not a payment it asked for: it waits in suspense for finance.
    assert send_callback(client, test_settings, "bank", code=postage, amount=22000).status_code == 200
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)
    [money] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert money["unallocated_vnd"] == 22000

"""A delivery queued before a subscription's event_types changed is sent only if the new types still
ask for it."""
import json

from sqlalchemy import select

from kernel.outbox import DONE, OutboxMessage
from tests.factories import make_request, send_callback
from tests.integration.test_notifications import drain_webhooks, subscribe, subscriber  # noqa: F401 - the fixture


def test_a_queued_delivery_of_a_type_the_subscription_no_longer_asks_for_is_not_sent(
        client, auth, test_settings, db, subscriber):
    url, state = subscriber
    created = subscribe(client, auth, url, types=("payment_request.*",))
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    changed = client.patch(f"/api/v1/admin/subscriptions/{created['id']}", headers=auth("admin"),
                           json={"event_types": ["payment_request.expired"]})
    assert changed.status_code == 200

    drain_webhooks(test_settings, db)

    assert state["received"] == []
    with db() as s:
        [message] = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "webhook")).scalars().all()
    assert message.status == DONE and message.last_error is None
    [delivery] = client.get(f"/api/v1/admin/subscriptions/{created['id']}/deliveries",
                            headers=auth("admin")).json["deliveries"]
    [logged] = delivery["log"]
    assert "not sent" in logged["detail"] and "payment_request.paid" in logged["detail"]
    listed = client.get("/api/v1/admin/subscriptions", headers=auth("admin")).json["subscriptions"]
    assert [s["alert"] for s in listed] == [False]


def test_a_queued_delivery_still_wanted_under_the_new_types_is_sent(client, auth, test_settings, db, subscriber):
    url, state = subscriber
    created = subscribe(client, auth, url, types=("payment_request.*",))
    send_callback(client, test_settings, "bank", code=make_request(client, auth), amount=100_000)
    client.patch(f"/api/v1/admin/subscriptions/{created['id']}", headers=auth("admin"),
                 json={"event_types": ["payment_request.paid"]})
    drain_webhooks(test_settings, db)
    assert [json.loads(r["body"])["type"] for r in state["received"]] == ["payment_request.paid"]

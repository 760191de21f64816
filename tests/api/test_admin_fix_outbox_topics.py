"""`GET /admin/outbox?topic=` names one of the topics the service writes: a mistyped topic is refused
with the list, not answered "nothing failed" (an empty list an operator would take for good news)."""
import pytest

from kernel.db import unit_of_work
from kernel.outbox import enqueue
from tests.conftest import T0

TOPICS = ["courier.book", "courier.cancel", "courier.track", "pos.refund", "sms", "webhook"]


def test_an_unknown_topic_is_refused_with_the_topics_there_are(client, auth, db):
    with unit_of_work(db) as s:
        enqueue(s, topic="sms", key="sms:1", payload={"to": "0912345678", "text": "a"}, now=T0)
    r = client.get("/api/v1/admin/outbox?topic=smss", headers=auth("auditor"))
    assert r.status_code == 400
    assert r.json["code"] == "invalid_topic" and r.json["details"] == {"topic": "smss", "topics": TOPICS}
    assert "sms" in r.json["message"]


def test_an_empty_topic_is_refused_like_an_unknown_one(client, auth, db):
    """`?topic=` is a filter asked for and left empty (as `?status=` is): refused, never read as "all"."""
    with unit_of_work(db) as s:
        enqueue(s, topic="sms", key="sms:1", payload={"to": "0912345678", "text": "a"}, now=T0)
    r = client.get("/api/v1/admin/outbox?topic=", headers=auth("auditor"))
    assert r.status_code == 400
    assert r.json["code"] == "invalid_topic" and r.json["details"] == {"topic": "", "topics": TOPICS}
    assert client.get("/api/v1/admin/outbox?status=", headers=auth("auditor")).json["code"] == "invalid_status"


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_lists_its_messages_even_with_none_yet(client, auth, db, topic):
    with unit_of_work(db) as s:
        enqueue(s, topic="sms", key="sms:1", payload={"to": "0912345678", "text": "a"}, now=T0)
    r = client.get(f"/api/v1/admin/outbox?topic={topic}", headers=auth("auditor"))
    assert r.status_code == 200
    assert [m["topic"] for m in r.json["messages"]] == (["sms"] if topic == "sms" else [])


def test_the_topics_a_worker_delivers_are_all_listable(test_settings, sessions):
    from api import OUTBOX_TOPICS, outbox_topics

    assert sorted(OUTBOX_TOPICS) == TOPICS
    assert set(outbox_topics(test_settings, sessions)) <= set(OUTBOX_TOPICS)

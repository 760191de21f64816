"""`GET /admin/outbox` pages: it showed the newest 500 messages at most, so the failures of a busy day
beyond them (a day of SMS is thousands of messages) could not be listed at all."""
from kernel.db import unit_of_work
from kernel.outbox import enqueue
from tests.conftest import T0


def test_the_outbox_is_listed_a_page_at_a_time(client, auth, db):
    with unit_of_work(db) as s:
        for n in range(5):
            enqueue(s, topic="sms", key=f"sms:{n}", payload={"to": "0912345678", "text": str(n)}, now=T0)
    first = client.get("/api/v1/admin/outbox?limit=2", headers=auth("auditor"))
    assert first.status_code == 200
    assert [m["key"] for m in first.json["messages"]] == ["sms:4", "sms:3"]
    assert (first.json["limit"], first.json["offset"], first.json["next_offset"]) == (2, 0, 2)
    last = client.get("/api/v1/admin/outbox?limit=2&offset=4", headers=auth("auditor")).json
    assert [m["key"] for m in last["messages"]] == ["sms:0"] and last["next_offset"] is None
    assert client.get("/api/v1/admin/outbox?offset=-1", headers=auth("auditor")).status_code == 400


def test_the_documented_example_of_a_new_user_is_accepted(client, auth, db):
    """Swagger's "Try it out" sends the model's examples: its default sample password ("string") was
    refused as weak, so the documented call failed as documented."""
    model = client.get("/api/v1/swagger.json").json["definitions"]["UserIn"]
    body = {name: prop["example"] for name, prop in model["properties"].items() if "example" in prop}
    assert set(model["required"]) <= set(body)
    r = client.post("/api/v1/admin/users", headers=auth("admin"), json=body)
    assert r.status_code == 201, r.json

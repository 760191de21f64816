"""Postal, QA round 12, the sandbox courier: a cash-on-delivery collection can be reported with what the
postman collected, as VNPost's status 21 carries it (the webhook contract's cod_amount_vnd)."""
import json

from sandbox.courier import create_courier

ORDER = {"reference": "HCC-7", "direction": "delivery", "cod_amount_vnd": 158_000,
         "citizen": {"name": "Nguyễn Văn An", "phone": "0912345678", "ward_code": "06685"}}


def test_a_collection_reported_through_the_sandbox_carries_its_amount_and_name():
    """`/_orders/<tracking>/events {"status_code": 21, "cod_amount_vnd": 150000}` dropped the amount (only
    reason, id_check and note were passed on) and named the status "": a tester could not report a postman
    who collected other than the order's amount, the case credited and listed for people."""
    app = create_courier("key", "secret")
    client = app.test_client()
    booked = client.post("/orders", json=ORDER, headers={"Authorization": "Bearer key", "Idempotency-Key": "k-7"})
    assert booked.status_code == 201, booked.json
    tracking = booked.json["tracking_number"]
    r = client.post(f"/_orders/{tracking}/events", json={"status_code": 21, "cod_amount_vnd": 150_000})
    assert r.status_code == 200, r.json
    event = r.json["event"]
    assert (event["status_code"], event["cod_amount_vnd"], event["status_text"]) == (21, 150_000, "Đã thu tiền COD")
    listed = client.get(f"/orders/{tracking}", headers={"Authorization": "Bearer key"}).json["events"]
    assert listed[-1]["cod_amount_vnd"] == 150_000
    assert json.loads(json.dumps(listed))[0]["status_text"] == "Đã tạo đơn"


def test_the_sandbox_names_every_status_code_as_the_service_reads_it():
    from postal import states
    from sandbox.courier import STATUS_TEXT

    assert {code: status.text for code, status in states.COURIER_STATUSES.items()} == STATUS_TEXT


# --- cash on delivery through the sandbox: reports reversed and sent twice credit once ---------------

def test_a_cod_collection_reported_out_of_order_and_twice_is_credited_once(db, test_settings, auth):
    from sqlalchemy import func, select

    from payments.models import Payment, PaymentRequest
    from tests.integration.test_postal_courier import World, create
    from tests.postal_factories import make_dossier, shipment_body

    world = World(db, test_settings.with_overrides(postal_payment_mode="cod"))
    try:
        make_dossier(db, test_settings, code="D-R12-COD")
        shipment = create(world, auth, shipment_body(dossier_code="D-R12-COD", direction="delivery"))
        assert world.worker.drain() == 1
        [order] = world.orders()
        owed = order["cod_amount_vnd"]
        assert owed == 8000 + shipment["postage_vnd"]
        tracking = order["tracking_number"]
        world.courier_event(tracking, 9)
        world.courier_event(tracking, 21, cod_amount_vnd=owed)
        world.attempt(tracking)
        answers = world.flush(reverse=True, twice=True)
        assert set(answers) <= {200, 409} and answers.count(200) >= 4, answers
        assert world.shipment(shipment["id"]).status == "delivered"
        with db() as s:
            credited = s.execute(select(func.sum(Payment.amount_vnd)).where(Payment.channel == "cod")).scalar_one()
            statuses = set(s.execute(select(PaymentRequest.status).join(PaymentRequest.dossier)).scalars())
        assert credited == owed and statuses == {"paid"}
    finally:
        world.stop()


# --- the sandbox courier refuses to cancel what it already holds ------------------------------------------

def test_the_sandbox_courier_refuses_to_cancel_an_order_it_has_picked_up_as_the_contract_says():
    """The contract cancels "an order that has not been picked up yet"; the sandbox cancelled any order (18
    after 5 "Đã nhận hàng", even after 10 "Phát thành công"), so the race of a cancellation with a pickup
    the courier already made could not be tried against it. It refuses (422), and our client reads that as
    a refusal for good; an order only booked, assigned or failed at pickup (0-4) is still cancelled."""
    import pytest
    import requests

    from postal.clients import CourierClient, CourierRefused
    from sandbox.server import serve_in_thread

    server = serve_in_thread(create_courier("key", "secret"))
    try:
        client = CourierClient(server.url, "key")
        taken = client.create_order({**ORDER, "reference": "HCC-8"}, idempotency_key="k-8")["tracking_number"]
        failed = client.create_order({**ORDER, "reference": "HCC-9"}, idempotency_key="k-9")["tracking_number"]
        for tracking, code in ((taken, 5), (failed, 4)):
            requests.post(f"{server.url}/_orders/{tracking}/events", json={"status_code": code},
                          timeout=5).raise_for_status()
        with pytest.raises(CourierRefused):
            client.cancel_order(taken, idempotency_key="c-8")
        assert [e["status_code"] for e in client.track(taken)["events"]] == [0, 5]
        assert client.cancel_order(failed, idempotency_key="c-9")["status_code"] == 18
    finally:
        server.stop()

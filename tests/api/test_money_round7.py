"""Money round 7: counter, card and refund flows probed as a centre sees them."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def request_view(client, code: str) -> dict:
    return client.get(f"/api/v1/payment-requests/{code}").json


def last_inbox(db) -> tuple[str, str]:
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason


# --- a card void or reversal the terminal reports declined -------------------------------------

@pytest.mark.parametrize("kind, declined, said", [("void", {"status": "declined"}, "status declined"),
                                                  ("void", {"response_code": "05"}, "response code 05"),
                                                  ("reversal", {"status": "declined"}, "status declined")])
def test_a_declined_void_leaves_the_sale_paid(client, auth, test_settings, db, kind, declined, said):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code).status_code == 200
    r = pos(client, test_settings, transaction_id="V1", type=kind, original_transaction_id="S1", **declined)
    assert r.status_code == 200 and r.json == {"received": True}
    assert last_inbox(db) == ("ignored", f"card {kind} declined ({said})")
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"], view["outstanding_vnd"]) == ("paid", 100_000, 0)


def test_a_reversal_with_the_reason_code_iso_8583_gives_it_still_undoes_the_sale(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="S1", payment_code=code)
    pos(client, test_settings, transaction_id="R1", type="reversal", original_transaction_id="S1", response_code="68")
    assert request_view(client, code)["status"] == "pending"


def test_a_declined_void_that_arrives_first_does_not_undo_its_sale(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1", status="declined")
    pos(client, test_settings, transaction_id="S1", payment_code=code)
    assert request_view(client, code)["status"] == "paid"


def test_the_void_approved_after_a_declined_one_still_undoes_the_sale(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="S1", payment_code=code)
    pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1", response_code="05")
    pos(client, test_settings, transaction_id="V2", type="void", original_transaction_id="S1")
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("pending", 0)


# --- suspense money a refund waiting for approval claims ---------------------------------------

def waiting_refund_of_suspense(client, auth, settings, amount=3_000_000) -> tuple[int, int]:
    """A transfer naming no code (in suspense) and a refund of it above the threshold, waiting for an
    approver: (payment id, refund id)."""
    from tests.factories import send_callback

    send_callback(client, settings, "bank", code="", amount=amount, memo="CHUYEN TIEN")
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    r = client.post(f"/api/v1/payments/{waiting['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": amount, "expected_refundable_vnd": amount, "reason": "Chuyển nhầm"})
    assert r.status_code == 201 and r.json["status"] == "awaiting_approval", r.json
    return waiting["id"], r.json["id"]


def test_suspense_money_a_waiting_refund_claims_is_not_assigned_too(client, auth, test_settings):
    payment_id, refund_id = waiting_refund_of_suspense(client, auth, test_settings)
    code = make_request(client, auth, ("Phí", "fee", 3_000_000))
    for amount in (None, 3_000_000, 1):
        r = client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                        json={"payment_code": code, "amount_vnd": amount, "reason": "Của hồ sơ này"})
        assert r.status_code == 409 and r.json["code"] == "suspense_claimed_by_refund", r.json
        assert r.json["details"] == {"unallocated_vnd": 3_000_000, "refund_awaiting_vnd": 3_000_000,
                                     "refund_id": refund_id}
    assert request_view(client, code)["paid_vnd"] == 0
    # the approver's decision is the one taken: the money leaves suspense, no request's fee with it
    approved = client.post(f"/api/v1/refunds/{refund_id}/approve", json={}, headers=auth("approver"))
    assert approved.status_code == 200 and approved.json["parts"] == [{"payment_request_id": None,
                                                                      "amount_vnd": 3_000_000}]


def test_suspense_money_beside_a_waiting_refund_can_still_be_assigned(client, auth, test_settings):
    payment_id, refund_id = waiting_refund_of_suspense(client, auth, test_settings, amount=2_500_000)
    client.post(f"/api/v1/refunds/{refund_id}/reject", json={"reason": "Không đúng"}, headers=auth("approver"))
    code = make_request(client, auth, ("Phí", "fee", 2_500_000))
    r = client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                    json={"payment_code": code, "reason": "Của hồ sơ này"})
    assert r.status_code == 200, r.json
    assert request_view(client, code)["status"] == "paid"


def test_the_refusal_reads_in_vietnamese_on_the_suspense_page():
    from web.finance_text import error_sentence

    assert error_sentence("suspense_claimed_by_refund", {"unallocated_vnd": 3_000_000,
                                                         "refund_awaiting_vnd": 3_000_000, "refund_id": 7}) == \
        "Khoản hoàn 3.000.000 ₫ (đề nghị #7) của giao dịch này đang chờ phê duyệt và lấy từ tiền tạm treo trước: " \
        "hãy để người phê duyệt quyết định trước khi xử lý số tiền này."


# --- a card void that withdraws a refund while finance moves the sale's suspense money ----------

def test_a_void_waiting_for_an_assignment_withdraws_the_sales_refund_from_what_the_payment_holds_now(
        client, auth, test_settings, db, engine):
    """On PostgreSQL the void reads the sale before it waits for the payment's lock; the card refund it
    withdraws must put its money back onto the payment as finance left it, not as the void first read it
    (that wrote back money already assigned, and the void's entry did not balance: the callback failed)."""
    import threading

    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from payments.corrections import assign_from_suspense
    from payments.credits import record_reversal
    from tests.integration.test_credit_fix_void_race import event
    from tests.locks import wait_until_blocked

    pos(client, test_settings, transaction_id="S1", payment_code="", amount_vnd=150_000)  # no code: suspense
    [sale] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    refund = client.post(f"/api/v1/payments/{sale['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 50_000, "expected_refundable_vnd": 150_000, "reason": "Thừa"}).json
    assert refund["status"] == "sending"  # its acquirer call queued, not yet taken by a worker
    code = make_request(client, auth)
    outcomes: list = []

    def void():
        v = event(test_settings, transaction_id="V1", type="void", original_transaction_id="S1", amount_vnd=150_000)
        try:
            with unit_of_work(db) as session:
                outcomes.append(record_reversal(session, provider=v.provider, provider_ref=v.provider_ref,
                                                original_ref=v.original_ref, amount_vnd=v.amount_vnd,
                                                settings=test_settings, actor="test", now=now_utc()))
        except Exception as exc:  # noqa: BLE001 - the test reports what the void raised
            outcomes.append(exc)

    with unit_of_work(db) as s:  # finance assigns the rest of the sale's suspense money, not yet committed
        assign_from_suspense(s, payment_id=sale["id"], payment_code=code, amount_vnd=100_000,
                             settings=test_settings, actor="test", now=now_utc())
        other = threading.Thread(target=void)
        other.start()
        wait_until_blocked(engine, other)
    other.join()
    assert outcomes == ["applied"]
    assert client.get(f"/api/v1/refunds/{refund['id']}", headers=auth("finance")).json["status"] == "failed"
    payment = client.get(f"/api/v1/payments/{sale['id']}", headers=auth("finance")).json
    assert (payment["status"], payment["unallocated_vnd"]) == ("reversed", 0)
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("pending", 0)


def test_statement_money_a_waiting_refund_claims_is_not_written_off(client, auth):
    """Written off meanwhile, the approval found nothing left to take and the refund stayed waiting."""
    from tests.recon_factories import all_lines, upload, vcb_csv

    csv = vcb_csv(("5001", "", "3,000,000", "CHUYEN TIEN KHONG RO NOI DUNG"), closing="3,000,000", day="24/11/2026")
    [line] = all_lines(client, auth, upload(client, auth, csv).json["import_id"])
    payment_id = line.get("payment_id") or client.get(f"/api/v1/reconciliation/lines/{line['id']}",
                                                      headers=auth("finance")).json["payment_id"]
    refund = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"), json={
        "amount_vnd": 3_000_000, "expected_refundable_vnd": 3_000_000, "reason": "Chuyển nhầm"}).json
    off = client.post(f"/api/v1/reconciliation/lines/{line['id']}/write-off", json={"reason": "Thu khác"},
                      headers=auth("finance"))
    assert off.status_code == 409 and off.json["code"] == "suspense_claimed_by_refund", off.json
    approved = client.post(f"/api/v1/refunds/{refund['id']}/approve", json={}, headers=auth("approver"))
    assert approved.status_code == 200 and approved.json["status"] == "transfer_ordered"

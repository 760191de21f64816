"""Money round 8: the counter's cash, card voids and refunds end to end; after each, the books balance
and every đồng of every payment is somewhere (its requests, suspense, or a refund)."""
import pytest
from sqlalchemy import func, select

from payments.ledger import Accounts, LedgerEntry, LedgerLine, balance, balances, check
from payments.models import Payment
from payments.refunds import Refund
from tests.api.test_money_round5_refunds import other_cashier  # noqa: F401 (fixture)
from tests.api.test_cash_void_page import DESK, csrf, logged_in, people, take  # noqa: F401 (people: fixture)
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def every_dong_accounted(db) -> None:
    """Each active payment's amount = what its requests hold + what waits in suspense + what refunds took
    out of suspense (+ write-offs); the ledger's suspense holds what the payments say waits there: the
    ledger check proves both (payments.ledger.check)."""
    with db() as s:
        report = check(s)
    assert report.ok, report


def take_cash(client, auth, code, amount, headers=None):
    return client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                       headers=headers or auth("cashier"))


def drawers(client, auth) -> list[dict]:
    return client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]


def close(client, auth, drawer_id, counted, headers=None):
    return client.post(f"/api/v1/cash/drawers/{drawer_id}/close", json={"counted_vnd": counted},
                       headers=headers or auth("cashier"))


# --- a drawer's shortage or overage at close is in the books ------------------------------------

@pytest.mark.parametrize("counted, difference", [(97_000, -3_000), (100_500, 500)])
def test_a_drawers_shortage_or_overage_at_close_is_posted_to_cash_over_short(client, auth, db, counted, difference):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close(client, auth, drawer["id"], counted)
    assert r.status_code == 200, r.json
    assert (r.json["expected_vnd"], r.json["counted_vnd"], r.json["difference_vnd"]) == (100_000, counted, difference)
    with db() as s:
        # the drawer's account now holds what was counted; the difference is an unexplained đồng on its own account
        assert balance(s, Accounts.cash(drawer["id"])) == counted
        assert balance(s, Accounts.CASH_OVER_SHORT) == -difference  # a shortage is a debit, an overage a credit
        [entry] = s.execute(select(LedgerEntry).where(LedgerEntry.kind == "cash_over_short")).scalars().all()
        assert entry.created_by.startswith("token:") and entry.payment_id is None
        lines = s.execute(select(LedgerLine.account, LedgerLine.debit_vnd, LedgerLine.credit_vnd)
                          .where(LedgerLine.entry_id == entry.id).order_by(LedgerLine.account)).all()
    side = (abs(difference), 0) if difference > 0 else (0, abs(difference))
    assert lines == [(Accounts.cash(drawer["id"]), *side), (Accounts.CASH_OVER_SHORT, *reversed(side))]
    [listed] = drawers(client, auth)
    assert (listed["balance_vnd"], listed["counted_vnd"], listed["difference_vnd"]) == (counted, counted, difference)
    every_dong_accounted(db)


def test_a_drawer_counted_exactly_posts_nothing(client, auth, db):
    code = make_request(client, auth)
    take_cash(client, auth, code, 100_000)
    [drawer] = drawers(client, auth)
    assert drawers(client, auth)[0]["difference_vnd"] is None  # open: nothing counted yet
    assert close(client, auth, drawer["id"], 100_000).json["difference_vnd"] == 0
    with db() as s:
        assert s.execute(select(func.count()).select_from(LedgerEntry)
                         .where(LedgerEntry.kind == "cash_over_short")).scalar_one() == 0
    assert drawers(client, auth)[0]["difference_vnd"] == 0


def test_the_counter_page_of_a_closed_drawer_shows_what_it_should_hold_the_count_and_the_difference(
        app, client, auth, people):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    r = cashier.post(f"/api/v1/cash/drawers/{drawer['id']}/close", json={"counted_vnd": 98_000},
                     headers={"X-CSRF-Token": csrf(cashier)})
    assert r.status_code == 200, r.json
    html = cashier.get(DESK).get_data(as_text=True)
    assert '<strong id="expected">100.000 ₫</strong>' in html
    assert '<dd id="counted">98.000 ₫</dd>' in html and '<dd id="difference">\u22122.000 ₫</dd>' in html


# --- cash at the counter, end to end ----------------------------------------------------------

def request_view(client, code) -> dict:
    return client.get(f"/api/v1/payment-requests/{code}").json


def receipts(db) -> list:
    from payments.receipts import Receipt

    with db() as s:
        return [(r.number, r.cancelled_at is not None) for r in s.execute(select(Receipt).order_by(Receipt.id)).scalars()]


def test_cash_over_the_fee_is_refused_whole_and_nothing_is_taken(client, auth, db):
    """The cashier gives change by hand: the payment is the fee, never more (nothing lands in suspense)."""
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    r = take_cash(client, auth, code, 200_000)
    assert r.status_code == 400 and r.json["code"] == "amount_exceeds_outstanding", r.json
    assert r.json["details"] == {"outstanding_vnd": 150_000}
    assert request_view(client, code)["paid_vnd"] == 0 and drawers(client, auth) == []
    with db() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
    every_dong_accounted(db)


def test_cash_in_two_parts_pays_the_request_and_issues_one_receipt(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    first = take_cash(client, auth, code, 50_000)
    assert first.status_code == 201 and request_view(client, code)["status"] == "partially_paid"
    assert receipts(db) == []
    over = take_cash(client, auth, code, 100_001)
    assert over.status_code == 400 and over.json["details"] == {"outstanding_vnd": 100_000}
    second = take_cash(client, auth, code, 100_000)
    assert second.status_code == 201
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"], view["outstanding_vnd"]) == ("paid", 150_000, 0)
    assert len(receipts(db)) == 1 and receipts(db)[0][1] is False
    [drawer] = drawers(client, auth)
    assert (drawer["balance_vnd"], drawer["expected_vnd"]) == (150_000, 150_000)
    assert take_cash(client, auth, code, 1).json["code"] == "request_not_payable"
    every_dong_accounted(db)


def test_cash_voided_after_its_receipt_was_issued_cancels_the_receipt(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 150_000))
    take_cash(client, auth, code, 50_000)
    second = take_cash(client, auth, code, 100_000).json
    [(number, cancelled)] = receipts(db)
    assert not cancelled
    r = client.post(f"/api/v1/payments/cash/{second['id']}/void", json={"reason": "Gõ nhầm số tiền"},
                    headers=auth("cashier"))
    assert r.status_code == 200, r.json
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"], view["outstanding_vnd"]) == ("partially_paid", 50_000, 100_000)
    assert receipts(db) == [(number, True)]
    slip = client.get(f"/api/v1/payments/{second['id']}/receipt.txt", headers=auth("cashier")).get_data(as_text=True)
    assert "PHIẾU THU ĐÃ HỦY" in slip and code in slip
    [drawer] = drawers(client, auth)
    assert drawer["expected_vnd"] == 50_000
    # paid again: a new receipt number, the cancelled one kept
    take_cash(client, auth, code, 100_000)
    assert [c for _, c in receipts(db)] == [True, False] and receipts(db)[1][0] != number
    every_dong_accounted(db)


def test_cash_voided_after_the_drawer_closed_is_refused_and_goes_back_by_a_refund(client, auth, db, other_cashier):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    [drawer] = drawers(client, auth)
    assert close(client, auth, drawer["id"], 100_000).status_code == 200
    r = client.post(f"/api/v1/payments/cash/{payment['id']}/void", json={"reason": "Thu nhầm"}, headers=auth("cashier"))
    assert r.status_code == 409 and r.json["code"] == "drawer_closed"
    assert request_view(client, code)["status"] == "paid"
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "Thu nhầm"}).json
    assert refund["status"] == "cash_due"
    # the cashier whose drawer closed cannot pay it out today; another with the cash can
    closed = client.post(f"/api/v1/refunds/{refund['id']}/executed", json={}, headers=auth("cashier"))
    assert closed.status_code == 409 and closed.json["code"] == "drawer_closed"
    other_code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    take_cash(client, auth, other_code, 100_000, headers=other_cashier)
    paid = client.post(f"/api/v1/refunds/{refund['id']}/executed", json={}, headers=other_cashier)
    assert paid.status_code == 200 and paid.json["status"] == "executed"
    assert request_view(client, code)["status"] == "refunded"
    assert [c for _, c in receipts(db)] == [True, False]  # the refunded request's receipt cancelled, the other's not
    assert {d["id"]: d["balance_vnd"] for d in drawers(client, auth)} == {drawer["id"]: 100_000,
                                                                          drawer["id"] + 1: 0}
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == 0
    every_dong_accounted(db)


# --- card terminals ---------------------------------------------------------------------------

def inbox_rows(db) -> list[tuple[str, str]]:
    from kernel.inbox import InboundCallback

    with db() as s:
        return [(r.external_id, r.status) for r in s.execute(select(InboundCallback).order_by(InboundCallback.id))
                .scalars()]


def test_a_card_sale_voided_then_its_sale_message_repeated_is_not_credited_again(client, auth, test_settings, db):
    from tests.api.test_pos_vnpay_cash import pos

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    assert pos(client, test_settings, transaction_id="S1", payment_code=code).status_code == 200
    assert pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1").status_code == 200
    again = pos(client, test_settings, transaction_id="S1", payment_code=code)  # the terminal's retry, late
    assert again.status_code == 200
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("pending", 0)
    with db() as s:
        assert [(p.status, p.amount_vnd) for p in s.execute(select(Payment)).scalars()] == [("reversed", 100_000)]
        assert balance(s, Accounts.pos("POS-01")) == 0  # the acquirer settles nothing for a voided sale
    assert receipts(db) == [(receipts(db)[0][0], True)]  # issued at the sale, cancelled by the void
    every_dong_accounted(db)


def test_a_card_void_for_another_amount_is_a_conflict_and_the_sale_stands(client, auth, test_settings, db):
    from tests.api.test_pos_vnpay_cash import pos

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    pos(client, test_settings, transaction_id="S2", payment_code=code)
    r = pos(client, test_settings, transaction_id="V2", type="void", original_transaction_id="S2", amount_vnd=90_000)
    assert r.status_code == 200  # stored: finance decides
    assert ("POS-01:V2", "conflict") in inbox_rows(db)
    conflicts = client.get("/api/v1/finance/conflicts", headers=auth("finance")).json
    assert "reversal_amount_mismatch" in str(conflicts)
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("paid", 100_000)
    with db() as s:
        assert balance(s, Accounts.pos("POS-01")) == 100_000
    every_dong_accounted(db)


def test_a_terminals_clearing_balance_is_its_sales_less_its_voids_and_card_refunds(client, auth, test_settings, db):
    from tests.api.test_pos_vnpay_cash import pos

    codes = [make_request(client, auth, ("Lệ phí", "charge", amount)) for amount in (100_000, 250_000, 70_000)]
    for i, (code, amount) in enumerate(zip(codes, (100_000, 250_000, 70_000))):
        pos(client, test_settings, transaction_id=f"S{i}", payment_code=code, amount_vnd=amount)
    pos(client, test_settings, transaction_id="V9", type="void", original_transaction_id="S1", amount_vnd=250_000)
    with db() as s:
        sale = s.execute(select(Payment).where(Payment.provider_ref == "POS-01:S2")).scalar_one()
    refund = client.post(f"/api/v1/payments/{sale.id}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 20_000, "expected_refundable_vnd": 70_000, "reason": "Thu thừa"})
    assert refund.status_code == 201 and refund.json["status"] == "sending"
    with db() as s:
        assert balance(s, Accounts.pos("POS-01")) == 170_000  # what the acquirer settles: 100 + 70, the void gone
    every_dong_accounted(db)


# --- refunds ----------------------------------------------------------------------------------

def paid_by_transfer(client, auth, settings, amount, pay=None) -> tuple[str, int]:
    from tests.factories import send_callback

    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    send_callback(client, settings, "bank", code=code, amount=pay or amount)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    return code, payment["id"]


def ask_refund(client, auth, payment_id, amount, expected, headers=None):
    return client.post(f"/api/v1/payments/{payment_id}/refunds", headers=headers or auth("finance"),
                       json={"amount_vnd": amount, "expected_refundable_vnd": expected, "reason": "Hồ sơ bị từ chối"})


def test_a_large_refund_waits_for_another_person_then_is_paid_and_booked(client, auth, test_settings, db):
    code, payment_id = paid_by_transfer(client, auth, test_settings, 3_000_000)
    asked = ask_refund(client, auth, payment_id, 3_000_000, 3_000_000)
    assert asked.status_code == 201 and asked.json["status"] == "awaiting_approval"
    assert request_view(client, code)["status"] == "paid"  # nothing moved before the approval
    assert client.post(f"/api/v1/refunds/{asked.json['id']}/executed", json={"bank_reference": "FT1"},
                       headers=auth("finance")).json["code"] == "refund_not_executable"
    approved = client.post(f"/api/v1/refunds/{asked.json['id']}/approve", json={}, headers=auth("approver"))
    assert approved.status_code == 200 and approved.json["status"] == "transfer_ordered"
    assert client.post(f"/api/v1/refunds/{asked.json['id']}/approve", json={},
                       headers=auth("approver")).json["code"] == "refund_not_awaiting_approval"
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == -3_000_000
    done = client.post(f"/api/v1/refunds/{asked.json['id']}/executed", json={"bank_reference": "FT26332001"},
                       headers=auth("finance"))
    assert done.status_code == 200 and done.json["status"] == "executed"
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == 0
        assert sum(balances(s, "revenue:").values()) == 0  # the fee's revenue went with the refund
    view = request_view(client, code)
    assert view["status"] == "refunded"
    assert [c for _, c in receipts(db)] == [True]
    every_dong_accounted(db)


def test_a_refund_over_what_was_paid_is_refused_whole(client, auth, test_settings, db):
    _, payment_id = paid_by_transfer(client, auth, test_settings, 100_000)
    r = ask_refund(client, auth, payment_id, 100_001, 100_000)
    assert r.status_code == 400 and r.json["code"] == "amount_exceeds_refundable"
    assert r.json["details"] == {"refundable_vnd": 100_000}
    ask_refund(client, auth, payment_id, 60_000, 100_000)
    again = ask_refund(client, auth, payment_id, 60_000, 40_000)
    assert again.status_code == 400 and again.json["details"] == {"refundable_vnd": 40_000}
    with db() as s:
        assert s.execute(select(func.count()).select_from(Refund)).scalar_one() == 1
    every_dong_accounted(db)


def test_money_in_suspense_is_refunded_from_suspense_not_from_a_request(client, auth, test_settings, db):
    from tests.factories import send_callback

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code="", amount=500_000, memo="CHUYEN TIEN")
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    r = ask_refund(client, auth, waiting["id"], 500_000, 500_000)
    assert r.status_code == 201 and r.json["status"] == "transfer_ordered", r.json
    with db() as s:
        assert balance(s, Accounts.SUSPENSE) == 0
    assert client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT2"},
                       headers=auth("finance")).status_code == 200
    assert request_view(client, code)["status"] == "paid"
    every_dong_accounted(db)


TYPED_400 = ("invalid_amount", "amount_out_of_range", "missing_field")
NOT_MONEY = [True, False, 1.5, "1.5", "100000", -1, 0, 10**13, None, [], {}, "", 1e5]


@pytest.mark.parametrize("value", NOT_MONEY)
def test_amounts_that_are_not_whole_dong_are_a_typed_400_everywhere(client, auth, test_settings, db, value):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    r = take_cash(client, auth, code, value)
    assert r.status_code == 400 and r.json["code"] in TYPED_400, (value, r.json)
    take_cash(client, auth, code, 100_000)
    [drawer] = drawers(client, auth)
    if value != 0:  # a drawer may be counted empty
        r = close(client, auth, drawer["id"], value)
        assert r.status_code == 400 and r.json["code"] in TYPED_400, (value, r.json)
    _, payment_id = paid_by_transfer(client, auth, test_settings, 100_000)
    for body in ({"amount_vnd": value, "expected_refundable_vnd": 100_000},
                 {"amount_vnd": 100_000, "expected_refundable_vnd": value}):
        if value == 0 and body["expected_refundable_vnd"] == 0:
            continue  # nothing refundable is a figure one may expect
        r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                        json={**body, "reason": "Hồ sơ bị từ chối"})
        assert r.status_code == 400 and r.json["code"] in TYPED_400, (value, body, r.json)
    with db() as s:
        assert s.execute(select(func.count()).select_from(Refund)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 2
    every_dong_accounted(db)


# --- cash taken by an API token (the desk's software) -----------------------------------------

def test_cash_by_a_cashier_token_has_a_drawer_of_its_own_that_it_closes_and_counts(client, auth, db, other_cashier):
    """A cashier token is a desk: its cash is in its own drawer (not another token's, not a person's), it
    closes it, and the count's difference is booked under its name (decisions: the token is the desk)."""
    from kernel.auth import principal_key

    first, second = (make_request(client, auth, ("Lệ phí", "charge", 100_000)) for _ in range(2))
    assert take_cash(client, auth, first, 100_000).status_code == 201
    assert take_cash(client, auth, second, 100_000, headers=other_cashier).status_code == 201
    desks = drawers(client, auth)
    assert len(desks) == 2 and all(d["cashier_key"].startswith("token:") for d in desks)
    assert [d["expected_vnd"] for d in desks] == [100_000, 100_000]
    mine = desks[0]
    assert close(client, auth, mine["id"], 100_000, headers=other_cashier).json["code"] == "not_your_drawer"
    assert close(client, auth, mine["id"], 99_000).json["difference_vnd"] == -1_000
    with db() as s:
        [entry] = s.execute(select(LedgerEntry).where(LedgerEntry.kind == "cash_over_short")).scalars().all()
        assert principal_key(entry.created_by) == mine["cashier_key"]
    every_dong_accounted(db)


# --- a refund of cash taken on a day since closed --------------------------------------------

def test_cash_of_a_closed_day_refunded_later_lands_in_the_open_day_and_the_closed_one_stays(
        client, auth, db, test_settings):
    from datetime import timedelta

    from kernel.clock import VN_TZ, business_date, now_utc
    from kernel.db import unit_of_work
    from payments import cash
    from payments.models import PaymentRequest
    from tests.api.test_postal_fix_withdrawn_postage_refund import queue, rows, totals
    from tests.integration.test_cash_fix_drawer_close_race import CASHIER
    from tests.postal_factories import make_dossier

    now = now_utc()
    today = business_date(now)
    yesterday_10am = (now.astimezone(VN_TZ) - timedelta(days=1)).replace(hour=10, minute=0).astimezone(now.tzinfo)
    day = business_date(yesterday_10am).isoformat()
    make_dossier(db, test_settings, now=yesterday_10am)
    with db() as s:
        code = s.execute(select(PaymentRequest.payment_code)).scalar_one()
    with unit_of_work(db) as s:
        payment_id = cash.take_cash(s, code=code, amount_vnd=8_000, cashier=CASHIER, idempotency_key=None,
                                    settings=test_settings, now=yesterday_10am).payment_id
    [old] = drawers_of(client, auth, day)
    assert close(client, auth, old["id"], 8_000, headers=auth("finance")).status_code == 200
    for key in queue(client, auth, day):
        client.post(f"/api/v1/reconciliation/days/{day}/exceptions/{key}/acknowledge", headers=auth("finance"),
                    json={"reason": "đã đối chiếu"})
    assert client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance")).status_code == 202
    closed = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert closed.status_code == 200, closed.json
    assert rows(closed.json["totals"]["by_agency"]) == {"H40.22": 8_000}

    # today: the same cashier has cash in today's drawer and hands the refund over from it
    other = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    with unit_of_work(db) as s:
        cash.take_cash(s, code=other, amount_vnd=50_000, cashier=CASHIER, idempotency_key=None,
                       settings=test_settings, now=now_utc())
    asked = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                        json={"amount_vnd": 8_000, "expected_refundable_vnd": 8_000, "reason": "Hồ sơ bị từ chối"})
    assert asked.status_code == 201 and asked.json["status"] == "cash_due", asked.json
    from payments import refunds

    with unit_of_work(db) as s:
        refunds.mark_executed(s, refund_id=asked.json["id"], reference=None, settings=test_settings, actor=CASHIER,
                              now=now_utc())
    assert client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor")).json["totals"] == \
        closed.json["totals"]  # the closed day stays as approved
    from reconciliation.counting import next_open_day

    open_day = next_open_day(business_date(yesterday_10am), {business_date(yesterday_10am)}, test_settings.holidays)
    adjustments = totals(client, auth, open_day.isoformat())["adjustments"]  # the first working day still open
    assert rows(adjustments["by_agency"]) == {"H40.22": -8_000, "refunded": 8_000} and adjustments["net_vnd"] == 0
    [new] = drawers_of(client, auth, today.isoformat())
    assert new["expected_vnd"] == 42_000  # 50.000 taken, 8.000 handed back
    every_dong_accounted(db)


def drawers_of(client, auth, day: str) -> list[dict]:
    return client.get(f"/api/v1/cash/drawers?date={day}", headers=auth("finance")).json["drawers"]


def test_a_void_does_not_hand_back_cash_the_drawer_no_longer_holds(client, auth, db, other_cashier):
    """The drawer paid a refund out of the cash it took: voiding that cash now would hand back money it does
    not hold (its balance below zero, the close then expecting a negative sum)."""
    earlier = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    earlier_payment = take_cash(client, auth, earlier, 100_000, headers=other_cashier).json
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    refund = client.post(f"/api/v1/payments/{earlier_payment['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "Hồ sơ bị từ chối"})
    assert client.post(f"/api/v1/refunds/{refund.json['id']}/executed", json={},
                       headers=auth("cashier")).status_code == 200  # out of this cashier's drawer
    r = client.post(f"/api/v1/payments/cash/{payment['id']}/void", json={"reason": "Thu nhầm"}, headers=auth("cashier"))
    assert r.status_code == 409 and r.json["code"] == "insufficient_cash_in_drawer", r.json
    assert r.json["details"] == {"balance_vnd": 0}
    assert request_view(client, code)["status"] == "paid"
    assert all(d["balance_vnd"] >= 0 for d in drawers(client, auth))
    from web.finance_text import error_sentence  # the counter page's refusal

    assert error_sentence(r.json["code"], r.json["details"]) == \
        "Ngăn kéo tiền mặt chỉ còn 0 ₫, không đủ để trả lại số tiền này."
    every_dong_accounted(db)


def test_the_days_summary_shows_its_drawers_counts_those_still_open_and_the_over_short(client, auth, db,
                                                                                        other_cashier):
    from kernel.clock import business_date, now_utc

    for headers in (auth("cashier"), other_cashier):
        take_cash(client, auth, make_request(client, auth, ("Lệ phí", "charge", 100_000)), 100_000, headers=headers)
    first, second = drawers(client, auth)
    close(client, auth, first["id"], 96_000)
    day = business_date(now_utc()).isoformat()
    counts = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor")).json["cash_drawers"]
    assert counts == {"open": 1, "over_short_vnd": -4_000, "drawers": [
        {"id": first["id"], "cashier": first["cashier"], "closed": True, "counted_vnd": 96_000,
         "expected_vnd": 100_000, "difference_vnd": -4_000},
        {"id": second["id"], "cashier": second["cashier"], "closed": False, "counted_vnd": None,
         "expected_vnd": 100_000, "difference_vnd": None}]}
    every_dong_accounted(db)


def test_a_rejected_refund_gives_its_claim_back_and_a_new_one_can_be_asked(client, auth, test_settings, db):
    code, payment_id = paid_by_transfer(client, auth, test_settings, 3_000_000)
    asked = ask_refund(client, auth, payment_id, 3_000_000, 3_000_000).json
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] == 0
    rejected = client.post(f"/api/v1/refunds/{asked['id']}/reject", json={"reason": "Chưa đủ hồ sơ"},
                           headers=auth("approver"))
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert client.post(f"/api/v1/refunds/{asked['id']}/approve", json={},
                       headers=auth("approver")).json["code"] == "refund_not_awaiting_approval"
    assert request_view(client, code)["status"] == "paid"
    again = ask_refund(client, auth, payment_id, 1_000_000, 3_000_000)
    # the rejected one claims nothing: 1.000.000 alone is under the four-eyes threshold
    assert again.status_code == 201 and again.json["status"] == "transfer_ordered"
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == -1_000_000
    assert request_view(client, code)["status"] == "partially_refunded"
    every_dong_accounted(db)


def test_cash_refund_never_collected_gives_the_money_back_to_the_request_and_the_drawer_keeps_it(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    refund = ask_refund(client, auth, payment["id"], 100_000, 100_000).json
    assert refund["status"] == "cash_due" and request_view(client, code)["status"] == "refunded"
    assert client.post(f"/api/v1/refunds/{refund['id']}/failed", json={"reason": "Người nộp không đến nhận"},
                       headers=auth("finance")).json["code"] == "wrong_role_for_method"
    failed = client.post(f"/api/v1/refunds/{refund['id']}/failed", json={"reason": "Người nộp không đến nhận"},
                         headers=auth("cashier"))
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"], view["outstanding_vnd"]) == ("paid", 100_000, 0)
    assert [c for _, c in receipts(db)] == [False]  # never cancelled: the money never left
    [drawer] = drawers(client, auth)
    assert drawer["expected_vnd"] == 100_000
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == 0
    every_dong_accounted(db)


def test_a_voided_cash_payment_replayed_by_its_idempotency_key_takes_nothing_again(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    headers = {**auth("cashier"), "Idempotency-Key": "quay1-0001"}
    first = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000}, headers=headers)
    assert first.status_code == 201
    client.post(f"/api/v1/payments/cash/{first.json['id']}/void", json={"reason": "Gõ nhầm"}, headers=auth("cashier"))
    again = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000}, headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"] and again.json["status"] == "reversed"
    assert request_view(client, code)["paid_vnd"] == 0 and drawers(client, auth)[0]["expected_vnd"] == 0
    every_dong_accounted(db)


def test_cash_released_to_suspense_is_refunded_out_of_suspense_at_the_counter(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment = take_cash(client, auth, code, 100_000).json
    [allocation] = client.get(f"/api/v1/payments/{payment['id']}", headers=auth("finance")).json["allocations"]
    released = client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                           json={"reason": "Thu nhầm hồ sơ"})
    assert released.status_code == 200 and released.json["unallocated_vnd"] == 100_000
    assert client.post(f"/api/v1/payments/cash/{payment['id']}/void", json={"reason": "Thu nhầm"},
                       headers=auth("cashier")).json["code"] == "payment_moved"
    refund = ask_refund(client, auth, payment["id"], 100_000, 100_000).json
    assert refund["status"] == "cash_due"
    assert client.post(f"/api/v1/refunds/{refund['id']}/executed", json={}, headers=auth("cashier")).status_code == 200
    assert request_view(client, code)["status"] == "pending"
    assert drawers(client, auth)[0]["expected_vnd"] == 0
    with db() as s:
        assert balance(s, Accounts.SUSPENSE) == 0 and balance(s, Accounts.REFUNDS_PAYABLE) == 0
    every_dong_accounted(db)


def test_a_card_sale_repeated_for_another_amount_is_a_conflict_not_a_second_credit(client, auth, test_settings, db):
    from tests.api.test_pos_vnpay_cash import pos

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    pos(client, test_settings, transaction_id="S5", payment_code=code)
    r = pos(client, test_settings, transaction_id="S5", payment_code=code, amount_vnd=150_000)
    assert r.status_code == 200
    assert inbox_rows(db)[-1] == ("POS-01:S5", "conflict")
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("paid", 100_000)
    with db() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
    every_dong_accounted(db)


def test_the_finance_day_page_shows_the_drawers_and_what_their_counts_found(app, client, auth, db, other_cashier):
    from kernel.clock import business_date, now_utc
    from kernel.users import create_user
    from tests.api.test_pages import PASSWORD
    from tests.conftest import T0

    for headers in (auth("cashier"), other_cashier):
        take_cash(client, auth, make_request(client, auth, ("Lệ phí", "charge", 100_000)), 100_000, headers=headers)
    first, _ = drawers(client, auth)
    close(client, auth, first["id"], 100_500)
    with db() as s, s.begin():
        create_user(s, username="ketoan8", full_name="Lê Văn Kế", roles=["finance"], password=PASSWORD, now=T0)
    html = logged_in(app, "ketoan8").get(f"/staff/finance/?date={business_date(now_utc()).isoformat()}") \
        .get_data(as_text=True)
    assert '<strong id="over-short">+500 ₫</strong>' in html
    assert '<span id="drawers-open">Chưa kiểm đếm: 1</span>' in html
    assert f'<tr id="drawer-{first["id"]}">' in html

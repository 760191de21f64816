"""Money round 8: the counter's cash, card voids and refunds end to end; after each, the books balance
and every đồng of every payment is somewhere (its requests, suspense, or a refund)."""
import pytest
from sqlalchemy import func, select

from payments.ledger import Accounts, LedgerEntry, LedgerLine, balance
from payments.models import Payment, PaymentAllocation
from payments.refunds import NOT_COUNTED, Refund, RefundPart
from tests.api.test_cash_void_page import DESK, csrf, logged_in, people, take  # noqa: F401 (people: fixture)
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def every_dong_accounted(db) -> None:
    """Each active payment's amount = what its requests hold + what waits in suspense + what refunds took
    out of suspense; the ledger's suspense holds what the payments say waits there."""
    with db() as s:
        for payment in s.execute(select(Payment).where(Payment.status == "active")).scalars():
            allocated = s.execute(select(func.coalesce(func.sum(PaymentAllocation.amount_vnd), 0)).where(
                PaymentAllocation.payment_id == payment.id, PaymentAllocation.released_at.is_(None))).scalar_one()
            refunded_from_suspense = s.execute(
                select(func.coalesce(func.sum(RefundPart.amount_vnd), 0)).join(Refund, Refund.id == RefundPart.refund_id)
                .where(Refund.payment_id == payment.id, Refund.status.not_in(NOT_COUNTED),
                       RefundPart.allocation_id.is_(None))).scalar_one()
            assert payment.amount_vnd == allocated + payment.unallocated_vnd + refunded_from_suspense, payment.id
        waiting = s.execute(select(func.coalesce(func.sum(Payment.unallocated_vnd), 0))
                            .where(Payment.status == "active")).scalar_one()
        assert -balance(s, Accounts.SUSPENSE) == waiting


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
    assert '<dd id="counted">98.000 ₫</dd>' in html and '<dd id="difference">-2.000 ₫</dd>' in html

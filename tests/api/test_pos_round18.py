"""Round 18, card terminals: a transaction number is a number (a sale sent as "000123" and repeated or voided
as 123 is one sale), and a void or reversal whose sale never came is shown to finance after a wait."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.users import create_user
from payments.credits import IncomingCredit, record_credit
from payments.ledger import Accounts
from payments.models import Payment
from tests.api.test_callbacks_round5_pos import last_inbox, paid
from tests.api.test_finance_callbacks_page_round16 import html, logged_in
from tests.api.test_pages import PASSWORD
from tests.api.test_pos_vnpay_cash import pos
from tests.conftest import T0
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def pos_payments(db):
    with db() as s:
        return [(p.provider_ref, p.status) for p in s.execute(select(Payment).order_by(Payment.id)).scalars()]


def padded_sale(db, settings, code, ref="POS-01:7:000123"):
    """A sale as stored before round 18: its transaction number with the terminal's leading zeros in its key."""
    with unit_of_work(db) as s:
        record_credit(s, IncomingCredit(
            provider="pos", provider_ref=ref, channel="pos_card", amount_vnd=100_000, booked_at=now_utc(),
            clearing_account=Accounts.pos("POS-01"), payment_code=code,
            details={"terminal_id": "POS-01", "transaction_id": ref.rsplit(":", 1)[1], "batch_number": "7",
                     "payment_code": code}), settings=settings, actor="test", now=now_utc())


# --- a transaction number is a number -----------------------------------------------------------------

@pytest.mark.parametrize("again", [123, "123", "0123"])
def test_a_sale_sent_again_without_its_leading_zeros_counts_once(client, auth, test_settings, db, again):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code)
    assert pos(client, test_settings, transaction_id=again, batch_number="7", payment_code=code).status_code == 200
    assert last_inbox(db)[0] == "duplicate"
    assert paid(client, code) == 100_000
    assert pos_payments(db) == [("POS-01:7:123", "active")]


@pytest.mark.parametrize("batch", ["7", None])
def test_a_void_naming_the_sale_without_its_leading_zeros_undoes_it(client, auth, test_settings, db, batch):
    code = make_request(client, auth)
    sent = {"batch_number": batch} if batch else {}
    pos(client, test_settings, transaction_id="000123", payment_code=code, **sent)
    pos(client, test_settings, transaction_id=124, type="void", original_transaction_id=123, **sent)
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 0


def test_a_void_with_leading_zeros_that_came_first_undoes_the_sale_sent_without(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    pos(client, test_settings, transaction_id=123, batch_number="7", payment_code=code)
    assert paid(client, code) == 0
    assert pos_payments(db) == [("POS-01:7:123", "reversed")]


def test_letters_in_a_transaction_id_are_kept_as_sent(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="00A1", batch_number="7", payment_code=code)
    pos(client, test_settings, transaction_id="0A1", batch_number="7", payment_code=code)
    assert pos_payments(db) == [("POS-01:7:00A1", "active"), ("POS-01:7:0A1", "active")]


def test_a_sale_stored_with_its_leading_zeros_still_counts_once_and_can_be_voided(client, auth, test_settings, db):
    code = make_request(client, auth)
    padded_sale(db, test_settings, code)
    assert pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code).status_code == 200
    assert last_inbox(db)[0] == "duplicate"
    pos(client, test_settings, transaction_id=123, batch_number="7", payment_code=code)
    assert last_inbox(db)[0] == "duplicate"
    assert paid(client, code) == 100_000
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 0
    assert pos_payments(db) == [("POS-01:7:000123", "reversed")]


def test_a_sale_stored_with_its_leading_zeros_is_found_by_a_void_without_its_batch(client, auth, test_settings, db):
    code = make_request(client, auth)
    padded_sale(db, test_settings, code)
    pos(client, test_settings, transaction_id=124, type="void", original_transaction_id=123)
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 0


def test_a_void_stored_waiting_with_its_leading_zeros_undoes_the_sale_when_it_comes(client, auth, test_settings, db):
    from payments.models import PendingReversal
    code = make_request(client, auth)
    with unit_of_work(db) as s:  # as kept before round 18: the sale's number with the terminal's zeros
        s.add(PendingReversal(provider="pos", provider_ref="POS-01:7:000124", original_ref="POS-01:7:000123",
                              amount_vnd=100_000, received_at=now_utc() - timedelta(minutes=1)))
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code)
    assert paid(client, code) == 0
    assert pos_payments(db) == [("POS-01:7:123", "reversed")]


# --- a void whose sale never comes --------------------------------------------------------------------

def swept(db, settings, days_later):
    from reconciliation.sweep import sweep
    with unit_of_work(db) as s:
        return sweep(s, settings=settings, now=now_utc() + timedelta(days=days_later))


def conflicts(client, auth, **query):
    return client.get("/api/v1/finance/conflicts", query_string=query, headers=auth("finance")).json["callbacks"]


def test_a_void_whose_sale_never_comes_is_a_conflict_for_finance_after_the_sweeps_wait(client, auth, test_settings,
                                                                                      db):
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    assert last_inbox(db) == ("applied", "reversal waits for its original sale")
    assert swept(db, test_settings, 0)["reversals_without_sale"] == {"new": 0, "open": 0}  # not yet: it may come
    assert conflicts(client, auth) == []
    assert swept(db, test_settings, 20)["reversals_without_sale"] == {"new": 1, "open": 1}
    [listed] = conflicts(client, auth)
    assert listed["external_id"] == "POS-01:7:124"
    assert listed["reason"].startswith("reversal_without_sale: void/reversal POS-01:7:124 of 100000 VND names sale "
                                       "POS-01:7:123"), listed["reason"]
    assert "waits" not in listed["reason"]
    assert swept(db, test_settings, 21)["reversals_without_sale"] == {"new": 0, "open": 1}  # flagged once
    r = client.post(f"/api/v1/finance/conflicts/{listed['id']}/handle", json={"reason": ""}, headers=auth("finance"))
    assert r.status_code == 400
    r = client.post(f"/api/v1/finance/conflicts/{listed['id']}/handle",
                    json={"reason": "Giao dịch gốc đã được hoàn qua ngân hàng"}, headers=auth("finance"))
    assert r.status_code == 200
    assert conflicts(client, auth) == []
    [handled] = conflicts(client, auth, handled="true")
    assert handled["handled"]["reason"] == "Giao dịch gốc đã được hoàn qua ngân hàng"
    assert swept(db, test_settings, 22)["reversals_without_sale"] == {"new": 0, "open": 0}


def test_a_void_shown_as_overdue_still_undoes_its_sale_when_it_comes_and_leaves_the_open_list(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    swept(db, test_settings, 20)
    assert len(conflicts(client, auth)) == 1
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code)
    assert paid(client, code) == 0  # the card was given its money back
    assert conflicts(client, auth) == []
    [handled] = conflicts(client, auth, handled="true")
    assert handled["handled"]["by"] == "system:pos"
    assert "its sale POS-01:7:123 arrived" in handled["handled"]["reason"]


def test_a_void_whose_sale_came_is_never_shown_as_overdue(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code)
    pos(client, test_settings, transaction_id="000125", batch_number="7", type="void", original_transaction_id="000126")
    pos(client, test_settings, transaction_id="000126", batch_number="7", payment_code=make_request(client, auth),
        amount_vnd=90_000)  # another amount: a conflict at once, not counted again
    assert swept(db, test_settings, 20)["reversals_without_sale"] == {"new": 0, "open": 0}
    assert [c["reason"].split(":")[0] for c in conflicts(client, auth)] == ["reversal_amount_mismatch"]


# --- probes pinned: what a void does in the cases finance asks about ----------------------------------------

def test_a_void_of_a_sale_finance_moved_to_another_request_takes_the_money_from_where_it_is_now(
        client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=first)
    [payment] = client.get(f"/api/v1/payment-requests/{first}/payments", headers=auth("finance")).json["payments"]
    [allocation] = client.get(f"/api/v1/payments/{payment['id']}", headers=auth("finance")).json["allocations"]
    assert client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                       json={"reason": "Quẹt thẻ nhầm mã hồ sơ"}).status_code == 200
    assert client.post(f"/api/v1/finance/suspense/{payment['id']}/assign", headers=auth("finance"),
                       json={"payment_code": second, "reason": "Đúng hồ sơ của công dân"}).status_code == 200
    assert (paid(client, first), paid(client, second)) == (0, 100_000)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    assert last_inbox(db) == ("applied", None)
    assert (paid(client, first), paid(client, second)) == (0, 0)  # the card has the money back: nobody holds it


def test_a_second_void_of_a_sale_is_a_repeat_and_one_of_another_amount_a_conflict(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000123", batch_number="7", payment_code=code)
    pos(client, test_settings, transaction_id="000125", batch_number="7", type="void", original_transaction_id="000123",
        amount_vnd=90_000)
    status, reason = last_inbox(db)
    assert status == "conflict" and reason.startswith("reversal_amount_mismatch"), reason
    assert paid(client, code) == 100_000
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    pos(client, test_settings, transaction_id="000126", batch_number="7", type="reversal", original_transaction_id="123")
    assert last_inbox(db) == ("duplicate", None)
    assert paid(client, code) == 0


def test_the_finance_callbacks_page_shows_a_void_without_its_sale(app, client, auth, test_settings, db):
    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    swept(db, test_settings, 20)
    page = html(logged_in(app, "ketoan"), "/staff/finance/callbacks?list=conflicts")
    assert "POS-01:7:124" in page and "reversal_without_sale" in page


def test_a_void_stored_waiting_with_its_leading_zeros_and_sent_again_is_a_repeat(client, auth, test_settings, db):
    from payments.models import PendingReversal
    with unit_of_work(db) as s:  # as kept before round 18
        s.add(PendingReversal(provider="pos", provider_ref="POS-01:7:000124", original_ref="POS-01:7:000123",
                              amount_vnd=100_000, received_at=now_utc() - timedelta(minutes=1)))
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000123")
    assert last_inbox(db) == ("duplicate", None)
    pos(client, test_settings, transaction_id="000124", batch_number="7", type="void", original_transaction_id="000122")
    status, reason = last_inbox(db)
    assert status == "conflict" and reason.startswith("reversal_repeat_differs"), reason
    with db() as s:
        assert s.execute(select(PendingReversal.provider_ref)).scalars().all() == ["POS-01:7:000124"]

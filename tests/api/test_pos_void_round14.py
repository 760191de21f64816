"""Round 14, card terminals: a void sent without the batch its sale carried (terminals that number
their transactions again in each batch) found no sale and waited for ever; it reverses the sale when
exactly one open sale of that terminal, number and amount can be meant, and waits for finance otherwise."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from payments.models import Payment
from sandbox.bank import callback_request
from tests.api.test_callbacks_pos_round14 import last_inbox, paid
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


# --- a void without the batch its sale carried ------------------------------------------------------

def test_a_void_without_batch_number_reverses_the_one_open_sale_it_can_mean(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code).status_code == 200
    assert paid(client, code) == 100_000
    r = pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001")
    assert r.status_code == 200
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 0
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
    assert payment.status == "reversed"


def test_a_void_without_batch_number_that_two_open_sales_may_mean_is_a_conflict_for_finance(client, auth, test_settings, db):
    a, b = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=a)
    pos(client, test_settings, transaction_id="000001", batch_number="8", payment_code=b)
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001")
    status, reason = last_inbox(db)
    assert status == "conflict" and reason.startswith("reversal_ambiguous"), reason
    assert "POS-01:7:1" in reason and "POS-01:8:1" in reason
    assert (paid(client, a), paid(client, b)) == (100_000, 100_000)  # neither guessed


def test_a_void_without_batch_number_of_another_amount_or_an_old_sale_does_not_take_it(
        client, auth, test_settings, db):
    a, b = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=a)
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001", amount_vnd=90_000)
    assert paid(client, a) == 100_000
    old = (now_utc() - timedelta(days=3)).isoformat()
    pos(client, test_settings, transaction_id="000003", batch_number="5", payment_code=b, occurred_at=old)
    pos(client, test_settings, transaction_id="000004", type="void", original_transaction_id="000003")
    assert paid(client, b) == 100_000  # a sale days old has settled: refunded, not voided


def test_a_void_without_batch_number_leaves_a_voided_sale_alone(client, auth, test_settings, db):
    a, b = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=a)
    pos(client, test_settings, transaction_id="000002", batch_number="7", type="void", original_transaction_id="000001")
    pos(client, test_settings, transaction_id="000001", batch_number="8", payment_code=b)
    assert (paid(client, a), paid(client, b)) == (0, 100_000)
    pos(client, test_settings, transaction_id="000009", type="void", original_transaction_id="000001")
    assert paid(client, b) == 0  # the one sale not voided yet is the one it means


def test_a_void_without_batch_number_sent_again_is_a_repeat(client, auth, test_settings, db):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code)
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001")
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001")
    assert last_inbox(db)[0] == "duplicate"
    assert paid(client, code) == 0


def test_a_void_without_batch_number_before_any_sale_still_waits(client, auth, test_settings, db):
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001")
    assert last_inbox(db) == ("applied", "reversal waits for its original sale")


def test_the_sandbox_terminal_sends_its_batch_and_rrn_like_a_real_one(client, auth, test_settings, db):
    code = make_request(client, auth)
    path, headers, body = callback_request("pos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="4711", at=now_utc())
    sent = json.loads(body)
    assert sent["batch_number"] and sent["rrn"]
    assert client.post(path, data=body, headers=headers).status_code == 200
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
    assert payment.provider_ref == f"POS-HCC-01:{int(sent['batch_number'])}:4711"
    assert payment.details["rrn"] == sent["rrn"]

"""Card terminals number their transactions each on its own, so a card sale is known by its
terminal and transaction id: the same id from another terminal is another sale, a void names a
sale of its own terminal, and the same sale repeated with another code or amount is a conflict.
Sales stored before (keyed by the transaction id alone) still count once."""
import pytest
from sqlalchemy import select

from api import build_worker
from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from payments.credits import IncomingCredit, record_credit
from payments.ledger import Accounts
from payments.models import Payment
from tests.api.test_pos_vnpay_cash import pos as pos_callback
from tests.api.test_refunds import refund
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def pos(client, settings, **fields):
    return pos_callback(client, settings, **{"transaction_id": "000123", "terminal_id": "POS-A", **fields})


def request(client, code):
    status = client.get(f"/api/v1/payment-requests/{code}").json
    return status["status"], status["paid_vnd"]


def inbox(db):
    with db() as s:
        return [(c.status, c.external_id) for c in s.execute(select(InboundCallback).order_by(InboundCallback.id))
                .scalars()]


def payments(db):
    with db() as s:
        return [(p.provider_ref, p.status) for p in s.execute(select(Payment).order_by(Payment.id)).scalars()]


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


def test_the_same_transaction_id_from_two_terminals_is_two_sales(client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    assert pos(client, test_settings, terminal_id="POS-A", payment_code=first).status_code == 200
    assert pos(client, test_settings, terminal_id="POS-B", payment_code=second).status_code == 200
    assert request(client, first) == request(client, second) == ("paid", 100_000)
    assert inbox(db) == [("applied", "POS-A:123"), ("applied", "POS-B:123")]


def test_a_void_undoes_the_sale_of_its_own_terminal_only(client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, terminal_id="POS-A", payment_code=first)
    pos(client, test_settings, terminal_id="POS-B", payment_code=second)
    pos(client, test_settings, terminal_id="POS-B", transaction_id="000124", type="void",
        original_transaction_id="000123")
    assert request(client, first) == ("paid", 100_000)
    assert request(client, second) == ("pending", 0)
    assert payments(db) == [("POS-A:123", "active"), ("POS-B:123", "reversed")]


def test_the_same_sale_repeated_with_another_payment_code_is_a_conflict(client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, payment_code=first)
    pos(client, test_settings, payment_code=first)  # the terminal retried: harmless
    pos(client, test_settings, payment_code=second)
    pos(client, test_settings, payment_code=first, amount_vnd=90_000)
    assert [status for status, _ in inbox(db)] == ["applied", "duplicate", "conflict", "conflict"]
    assert len(conflicts(client, auth)) == 2
    assert "payment code" in conflicts(client, auth)[1]["reason"]
    assert request(client, first) == ("paid", 100_000) and request(client, second) == ("pending", 0)


def legacy_sale(db, settings, code, txn="S7", terminal="POS-A"):
    """A sale as stored before sales were keyed by terminal: its transaction id alone."""
    with unit_of_work(db) as s:
        record_credit(s, IncomingCredit(
            provider="pos", provider_ref=txn, channel="pos_card", amount_vnd=100_000, booked_at=now_utc(),
            clearing_account=Accounts.pos(terminal), payment_code=code,
            details={"terminal_id": terminal, "approval_code": "1", "card_masked": None, "card_scheme": None}),
            settings=settings, actor="test", now=now_utc())


def test_a_sale_stored_before_terminal_keys_still_counts_once_and_can_be_voided(client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth)
    legacy_sale(db, test_settings, code)
    assert pos(client, test_settings, transaction_id="S7", payment_code=code).status_code == 200  # its retry
    assert request(client, code) == ("paid", 100_000)
    assert inbox(db)[-1][0] == "duplicate"
    pos(client, test_settings, terminal_id="POS-B", transaction_id="S7", payment_code=other)  # another terminal's
    assert request(client, other) == ("paid", 100_000)
    pos(client, test_settings, transaction_id="V7", type="void", original_transaction_id="S7")
    assert request(client, code) == ("pending", 0) and request(client, other) == ("paid", 100_000)
    assert payments(db) == [("S7", "reversed"), ("POS-B:S7", "active")]


@pytest.mark.parametrize("fields", [{"terminal_id": "POS:A"}, {"transaction_id": "9" * 60},
                                    {"type": "void", "transaction_id": "V1", "original_transaction_id": "9" * 60}])
def test_ids_that_would_not_make_one_unambiguous_key_are_refused(client, auth, test_settings, db, fields):
    r = pos(client, test_settings, payment_code=make_request(client, auth), **fields)
    assert r.status_code == 400 and r.json["code"] == "invalid_field"
    assert [status for status, _ in inbox(db)] == ["rejected"]


def test_a_card_refund_names_the_terminals_own_transaction_id(client, auth, test_settings, acquirer, db):
    code = make_request(client, auth)
    pos(client, test_settings, payment_code=code)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    assert refund(client, auth, payment["id"], 100_000, 100_000).json["status"] == "sending"
    worker = build_worker(acquirer.settings, db)
    worker.outbox.topics = {"pos.refund": worker.outbox.topics["pos.refund"]}
    worker.outbox.drain()
    [sent] = acquirer.refunds()
    assert (sent["original_transaction_id"], sent["terminal_id"]) == ("000123", "POS-A")


def test_a_resent_pre_upgrade_sale_and_another_terminals_same_id_in_one_batch_count_once(client, auth,
                                                                                       test_settings, db):
    """Both resends of transaction S7 applied by one worker batch: POS-A's is the old bare-id sale again,
    POS-B's is new. Looking the old sales up by bare id kept only the batch's last terminal, so POS-A's
    resend was credited a second time."""
    from payments.inbox_apply import apply_queued

    code, other = make_request(client, auth), make_request(client, auth)
    legacy_sale(db, test_settings, code, txn="S7", terminal="POS-A")
    queued = client.queued_only()
    assert pos(queued, test_settings, terminal_id="POS-A", transaction_id="S7", payment_code=code).status_code == 200
    assert pos(queued, test_settings, terminal_id="POS-B", transaction_id="S7", payment_code=other).status_code == 200
    runtime = client.application.extensions["hccpay"]
    apply_queued(runtime.sessions, runtime.settings)
    assert request(client, code) == ("paid", 100_000) and request(client, other) == ("paid", 100_000)
    with db() as s:
        assert sorted(s.execute(select(Payment.provider_ref)).scalars()) == ["POS-B:S7", "S7"]

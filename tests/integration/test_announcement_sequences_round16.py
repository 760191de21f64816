"""Round 16: crediting carries each request's history length from the read that locks it
(`payments.moves.load_requests`) instead of counting its events again after writing them (one
statement less per callback and per import chunk); what is announced is unchanged: each event's
sequence is the request's history length once its change is written."""
from sqlalchemy import event, func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.outbox import OutboxMessage
from payments.credits import IncomingCredit, record_credits
from payments.ledger import Accounts
from payments.models import PaymentRequest, PaymentRequestEvent
from tests.factories import make_request

CLEARING = Accounts.bank("970436", "0071001234567")


def _credit(ref: str, code: str, amount: int) -> IncomingCredit:
    return IncomingCredit(provider="bank", provider_ref=ref, channel="vietqr_transfer", amount_vnd=amount,
                          booked_at=now_utc(), payment_code=code, clearing_account=CLEARING)


def _sms_keys(db, request_id):
    with db() as s:
        keys = s.execute(select(OutboxMessage.key).where(OutboxMessage.topic == "sms")).scalars()
        return sorted(k for k in keys if k.startswith(f"sms:request:{request_id}:"))


def test_crediting_announces_the_history_length_without_counting_the_events_again(client, auth, db, engine,
                                                                                  test_settings):
    first, second = make_request(client, auth), make_request(client, auth)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with unit_of_work(db) as s:  # two credits of one batch on the first request, one on the second
            record_credits(s, [_credit("SEQ-1", first, 40_000), _credit("SEQ-2", first, 10_000),
                               _credit("SEQ-3", second, 100_000)], settings=test_settings, actor="test",
                           now=now_utc())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    counted = [sql for sql in statements if "count(" in sql and "payment_request_events" in sql
               and "group by" in sql]
    assert counted == [], counted
    with db() as s:
        ids = dict(s.execute(select(PaymentRequest.payment_code, PaymentRequest.id)
                             .where(PaymentRequest.payment_code.in_([first, second]))).all())
        lengths = dict(s.execute(select(PaymentRequestEvent.payment_request_id, func.count())
                                 .group_by(PaymentRequestEvent.payment_request_id)).all())
    # created, then one history row per credit: the SMS of each change is keyed by the length after it
    assert lengths[ids[first]] == 3 and lengths[ids[second]] == 2
    assert _sms_keys(db, ids[first]) == [f"sms:request:{ids[first]}:partially_paid:3"]
    assert _sms_keys(db, ids[second]) == [f"sms:request:{ids[second]}:paid:2"]

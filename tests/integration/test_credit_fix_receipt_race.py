"""A credit that waits for its request's row lock reads the request as the holder left it, receipt
included: the request it finds settled already has its receipt, so a second receipt is never
issued (on PostgreSQL the lock wait refreshed the locked row but not what the same statement read
beside it, and the second credit failed on the one-valid-receipt index; SQLite serialises writers
and passes the same assertions)."""
import threading

from sqlalchemy import func, select

from kernel.db import unit_of_work
from payments import service
from payments.credits import IncomingCredit, record_credit
from payments.models import PaymentRequest
from payments.receipts import Receipt
from payments.validation import parse_dossier
from tests.conftest import T0
from tests.factories import assert_ledger_ok, dossier_body
from tests.locks import wait_until_blocked


def _credit(code: str, ref: str) -> IncomingCredit:
    return IncomingCredit(provider="vnpay", provider_ref=ref, channel="internet_banking", amount_vnd=50_000,
                          booked_at=T0, clearing_account="gateway:vnpay", payment_code=code)


def test_a_credit_that_waited_for_the_first_sees_its_receipt_and_overpays(db, engine, test_settings):
    with unit_of_work(db) as s:
        _, request, _ = service.create_dossier(s, data=parse_dossier(dossier_body(("Lệ phí", "charge", 50_000))),
                                               settings=test_settings, actor="test", now=T0)
        code = request.payment_code
    outcome: list = []

    def second() -> None:
        try:
            with unit_of_work(db) as s:
                outcome.append(record_credit(s, _credit(code, "B"), settings=test_settings, actor="t", now=T0))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    with unit_of_work(db) as s:
        record_credit(s, _credit(code, "A"), settings=test_settings, actor="t", now=T0)  # settles it: a receipt
        thread = threading.Thread(target=second)
        thread.start()
        wait_until_blocked(engine, thread)
    thread.join()
    [result] = outcome
    assert not isinstance(result, Exception), result
    with db() as s:
        request = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == code)).scalar_one()
        receipts = s.execute(select(func.count()).select_from(Receipt).where(Receipt.cancelled_at.is_(None))).scalar()
    assert (request.status, request.paid_vnd, receipts) == ("overpaid", 100_000, 1)
    assert_ledger_ok(db)

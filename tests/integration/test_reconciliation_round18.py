"""Round 18: a statement line that undoes an expiry (`payments.in_time`) and a renewal of the same dossier's
fees at once: the import takes the dossier's lock before the requests', as the renewal does, so it waits for
the renewal and then sees its new request: the old one is not reopened, the fees are never asked twice.
SQLite serialises writers and passes too."""
import io
import threading

from sqlalchemy import select, update

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.models import Dossier, PaymentRequest
from payments.service import expire_due_requests, lock_dossier, renew_payment_request
from reconciliation.service import import_statement
from tests.api.test_reconciliation_round18 import LAPSED, camt
from tests.locks import wait_until_blocked
from tests.postal_factories import make_dossier


def test_an_import_waits_for_a_renewal_of_the_dossier_and_then_leaves_the_lapsed_request_expired(db, engine,
                                                                                                test_settings):
    dossier_code = make_dossier(db, test_settings)
    with unit_of_work(db) as s:
        [request] = s.execute(select(PaymentRequest).join(Dossier).where(Dossier.code == dossier_code)).scalars()
        code, amount = request.payment_code, request.amount_vnd
        s.execute(update(PaymentRequest).where(PaymentRequest.id == request.id).values(expires_at=LAPSED))
        assert expire_due_requests(s, settings=test_settings, now=now_utc()) == 1
    outcome: list = []

    def run_import():
        import_statement(db, io.BytesIO(camt(("R18R", amount, "09:00:00", f"nop {code}")).encode()),
                         filename="s.xml", fmt=None, account_number=None, profile=None, settings=test_settings,
                         actor="t", now=now_utc())
        outcome.append("imported")

    with unit_of_work(db) as s:
        lock_dossier(s, dossier_code)  # the renewal's first step
        thread = threading.Thread(target=run_import)
        thread.start()
        wait_until_blocked(engine, thread)
        renewed = renew_payment_request(s, dossier_code=dossier_code, settings=test_settings, actor="t",
                                        now=now_utc())
        renewed_id = renewed.id
    thread.join()
    assert outcome == ["imported"]
    with db() as s:
        statuses = {r.id: (r.status, r.paid_vnd) for r in s.execute(
            select(PaymentRequest).join(Dossier).where(Dossier.code == dossier_code)).scalars()}
    assert statuses == {request.id: ("expired", 0), renewed_id: ("pending", 0)}

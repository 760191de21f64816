"""Asking for a dossier's fees is serialised per dossier: while one transaction renews (or adds fee items),
another one for the same dossier waits for it and then sees what it did, so a fee is never asked for by
two live requests at once (run on PostgreSQL with real row locks; SQLite serialises writers and passes
the same assertions)."""
import threading

import pytest
from sqlalchemy import func, select

from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import service, states
from payments.models import PaymentRequest
from payments.validation import FeeInput, parse_dossier
from tests.conftest import T0
from tests.factories import dossier_body
from tests.locks import wait_until_blocked

CODE = "DOSSIER-LOCK-1"


@pytest.fixture
def cancelled(db, test_settings) -> str:
    """A dossier with one 100.000 ₫ fee whose only request was cancelled: ready to be asked for again."""
    with unit_of_work(db) as s:
        _, pr, _ = service.create_dossier(s, data=parse_dossier(dossier_body(("Lệ phí", "charge", 100_000), code=CODE)),
                                          settings=test_settings, actor="test", now=T0)
        service.cancel_payment_request(s, code=pr.payment_code, reason="sai", settings=test_settings, actor="test",
                                       now=T0)
    return CODE


def _in_thread(target) -> tuple[threading.Thread, list]:
    """Run `target` in a thread; its result (or the exception it raised) lands in the returned list."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(target())
        except Exception as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome




def _renew(db, settings):
    with unit_of_work(db) as s:
        return service.renew_payment_request(s, dossier_code=CODE, settings=settings, actor="second", now=T0).payment_code


def _live_requests(db) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(PaymentRequest)
                         .where(PaymentRequest.status.in_(service.LIVE_FOR_ITEMS))).scalar_one()


def test_a_renewal_while_another_is_in_progress_waits_and_is_refused(db, engine, test_settings, cancelled):
    with unit_of_work(db) as s:
        first = service.renew_payment_request(s, dossier_code=CODE, settings=test_settings, actor="first", now=T0)
        thread, outcome = _in_thread(lambda: _renew(db, test_settings))
        wait_until_blocked(engine, thread)
    thread.join()
    [refused] = outcome
    assert isinstance(refused, Conflict) and refused.code == "request_still_open"
    assert refused.details == {"payment_code": first.payment_code}
    assert _live_requests(db) == 1


def test_a_renewal_while_fee_items_are_added_waits_and_asks_only_for_what_is_left(db, engine, test_settings,
                                                                                   cancelled):
    with unit_of_work(db) as s:
        postage = service.add_fee_items(s, dossier_code=CODE, fees=(FeeInput("Cước bưu chính", "postage", 22_000),),
                                        settings=test_settings, actor="postal", now=T0)
        thread, outcome = _in_thread(lambda: _renew(db, test_settings))
        wait_until_blocked(engine, thread)
    thread.join()
    [renewed] = outcome
    assert isinstance(renewed, str), renewed
    with db() as s:
        amounts = sorted(s.execute(select(PaymentRequest.amount_vnd)
                                   .where(PaymentRequest.status == states.PENDING)).scalars())
    # The renewal asks for the registered fee only: the postage is asked for by its own request.
    assert postage.amount_vnd == 22_000 and amounts == [22_000, 100_000]


def test_two_additions_of_fee_items_at_once_get_distinct_positions(db, engine, test_settings, cancelled):
    def add(name: str):
        with unit_of_work(db) as s:
            return service.add_fee_items(s, dossier_code=CODE, fees=(FeeInput(name, "postage", 22_000),),
                                         settings=test_settings, actor="postal", now=T0).amount_vnd

    with unit_of_work(db) as s:
        service.add_fee_items(s, dossier_code=CODE, fees=(FeeInput("Cước nhận hồ sơ", "postage", 30_000),),
                              settings=test_settings, actor="postal", now=T0)
        thread, outcome = _in_thread(lambda: add("Cước trả kết quả"))
        wait_until_blocked(engine, thread)
    thread.join()
    assert outcome == [22_000]
    with db() as s:
        dossier = service.get_dossier(s, CODE)
        assert [item.position for item in dossier.fee_items] == [0, 1, 2]

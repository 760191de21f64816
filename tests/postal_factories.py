"""Plain factory functions for postal tests."""
from __future__ import annotations

import copy
from datetime import date, timedelta

from sqlalchemy import select

from kernel.clock import add_working_days, business_date, is_working_day, now_utc
from kernel.db import unit_of_work
from payments import states as payment_states
from payments.models import Dossier, PaymentRequest
from payments.service import create_dossier
from payments.validation import parse_dossier

DOSSIER = {
    "code": "000.00.12.H40-261125-0901",
    "procedure_code": "1.001612",
    "procedure_name": "Cấp bản sao trích lục khai sinh",
    "agency_code": "H40.22",
    "applicant": {"name": "Phạm Thu Hà", "phone": "0901234567"},
    "fees": [{"name": "Phí cấp bản sao", "kind": "fee", "amount_vnd": 8000}],
}

SHIPMENT = {
    "dossier_code": DOSSIER["code"],
    "direction": "pickup",
    "recipient": {"name": "Phạm Thu Hà", "phone": "0901 234 567", "id_number": "022088001234"},
    "address": {"street": "Số 12 phố Lê Thánh Tông", "ward_code": "06685", "province_code": 22},
    "documents": [{"name": "Tờ khai đề nghị cấp bản sao", "original": True},
                  {"name": "Căn cước công dân", "original": False, "copies": 2}],
}

ID_CHECK = {"document_type": "cccd", "number": "022088001234", "holder_name": "Phạm Thu Hà"}


def shipment_body(**changes) -> dict:
    body = copy.deepcopy(SHIPMENT)
    body.update(changes)
    return body


def make_dossier(sessions, settings, code: str = DOSSIER["code"], now=None) -> str:
    body = {**copy.deepcopy(DOSSIER), "code": code}
    with unit_of_work(sessions) as s:
        create_dossier(s, data=parse_dossier(body), settings=settings, actor="test", now=now or now_utc())
    return code


def pay_everything(sessions, settings, dossier_code: str, now=None) -> None:
    """Every open request of the dossier is paid in full through the real crediting path."""
    from payments.credits import IncomingCredit, record_credits
    from payments.ledger import Accounts

    now = now or now_utc()
    with unit_of_work(sessions) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == dossier_code)).scalar_one()
        open_requests = [r for r in s.execute(select(PaymentRequest).where(PaymentRequest.dossier_id == dossier.id))
                         .scalars() if r.status == payment_states.PENDING]
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref=f"PAY-{r.payment_code}", channel="vietqr_transfer", amount_vnd=r.amount_vnd,
            booked_at=now, clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=r.payment_code)
            for r in open_requests], settings=settings, actor="test", now=now)


def working_day(offset: int = 0) -> date:
    """Today's business date rolled to a working day, plus `offset` working days."""
    from config.holidays import DEFAULT_HOLIDAYS

    return add_working_days(business_date(now_utc()), offset, DEFAULT_HOLIDAYS)


def pickup_day(offset: int = 0) -> date:
    """The J of a pickup booked now without a window (the first round still taking bookings), plus
    `offset` working days: its deadline."""
    from config.holidays import DEFAULT_HOLIDAYS
    from postal.validation import DEFAULT_WINDOW_CUTOFF, first_open_round_day

    j = first_open_round_day(now_utc(), holidays=DEFAULT_HOLIDAYS, cutoff=DEFAULT_WINDOW_CUTOFF)
    return add_working_days(j, offset, DEFAULT_HOLIDAYS)


def next_weekday_off() -> date:
    """The next holiday that falls on a weekday, whenever the suite runs (a fixed date such as Tết
    2027 is such a day only until it passes; past the holiday list, 1/1 and 30/4 still are)."""
    from config.holidays import DEFAULT_HOLIDAYS

    day = business_date(now_utc()) + timedelta(days=1)
    while day.weekday() >= 5 or is_working_day(day, DEFAULT_HOLIDAYS):
        day += timedelta(days=1)
    return day


def next_sunday() -> date:
    """A day off within a week of today, whenever the suite runs."""
    day = business_date(now_utc()) + timedelta(days=1)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def mark_booked(sessions, *ids, tracking_prefix="EB0000") -> None:
    """What the courier's booking reply does: the shipments get a tracking number and are `booked`."""
    from postal.models import Shipment

    with unit_of_work(sessions) as s:
        for i in ids:
            shipment = s.get(Shipment, i)
            shipment.status, shipment.tracking_number = "booked", f"{tracking_prefix}{i:04d}VN"


def backdate(sessions, shipment_id: int, created_at) -> None:
    """The shipment as created at `created_at`: a courier history a test dates days back must follow the
    shipment's creation, or its events are counted from the creation (`tracking.effective_at`)."""
    from postal.models import Shipment

    with unit_of_work(sessions) as s:
        shipment = s.get(Shipment, shipment_id)
        shipment.created_at = shipment.state_at = created_at


def make_booked_shipment(sessions, settings, dossier_code: str, **changes) -> int:
    """A dossier and its shipment (pickup unless `direction=` says otherwise), booked with the courier."""
    from postal.service import create_shipment
    from postal.validation import parse_shipment

    make_dossier(sessions, settings, code=dossier_code)
    now = now_utc()
    data = parse_shipment(shipment_body(dossier_code=dossier_code, **changes), now=now,
                          holidays=settings.holidays)
    with unit_of_work(sessions) as s:
        shipment, _ = create_shipment(s, data=data, settings=settings, actor="test", now=now)
        shipment_id = shipment.id
    mark_booked(sessions, shipment_id)
    return shipment_id


def make_route(sessions, settings, **changes) -> str:
    """A route created through the scheduling service (`route_body` arguments)."""
    from postal.scheduling import create_route, parse_route

    body = route_body(**changes)
    with unit_of_work(sessions) as s:
        create_route(s, code=body["code"], values=parse_route(body, province_code=settings.postal_province_code),
                     actor="test", now=now_utc())
    return body["code"]


def route_body(code: str = "HL1", wards=("06685", "06688"), morning: int = 2, afternoon: int = 1) -> dict:
    return {"code": code, "name": f"Tuyến {code} Hạ Long", "ward_codes": list(wards),
            "capacity": {"morning": morning, "afternoon": afternoon}}


def yesterday() -> date:
    return business_date(now_utc()) - timedelta(days=1)


def cancelling(sessions, settings, shipment_id: int, outcome: list):
    """A thread target that cancels the shipment and appends its new status, or the exception, to `outcome`
    (race tests run it beside a transaction that holds a lock the cancellation needs)."""
    from postal.service import cancel_shipment

    def cancel() -> None:
        try:
            with unit_of_work(sessions) as s:
                outcome.append(cancel_shipment(s, shipment_id=shipment_id, reason="đổi ý", settings=settings,
                                               actor="t", now=now_utc()).status)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    return cancel

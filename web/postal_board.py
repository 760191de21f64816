"""The postal board: the day's pickups and deliveries per route and slot, the planner, manual
moves and the postman's outcomes, on the same services as the postal API.

Postal staff use it; auditors may look. Every action is a plain form (works without
JavaScript, with the keyboard); board.js adds drag-and-drop that fills the same move form.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from kernel.clock import add_working_days, business_date, format_local, is_working_day, now_utc
from kernel.errors import DomainError
from kernel.http import actor, current_principal, settings, transaction
from postal import checks, manifests, planner, scheduling, service, states
from postal.models import Route, Shipment
from postal.validation import parse_id_check
from web import i18n
from web import postal_texts as texts
from web.auth import AREAS, page_requires
from web.dates import asked_day, typed_day
from web.forms import form_text, show_kept_form

postal_board = Blueprint("postal_board", __name__, url_prefix="/staff/postal")
AREAS.append(("postal_board.board", "Bưu điện", frozenset({"postal", "auditor"})))
i18n.EN.update(texts.EN)

READERS = ("postal", "auditor")
WAITING_SHOWN = 200
CHECKS_SHOWN = 100  # the oldest unresolved reports; the count of the rest is said under them
MOVABLE = frozenset({states.BOOKED, states.SCHEDULED, states.FAILED_ATTEMPT})
# A failed shipment's retry date is kept after it (the history reads it): the card says it only while the
# retry is still to come, not once the result went out again or the shipment ended.
RETRY_PENDING = MOVABLE
OFFERED = {states.PICKUP: (states.PICKED_UP, states.DELIVERED, states.FAILED_ATTEMPT),
           states.DELIVERY: (states.OUT_FOR_DELIVERY, states.DELIVERED, states.FAILED_ATTEMPT)}


@dataclass
class Lane:
    """One route's slot on the day: its load and its shipments in stop order."""

    route: Route
    slot: str
    used: int
    capacity: int
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "over" if self.used > self.capacity else "full" if self.used == self.capacity else "free"


def handover_event(shipment: Shipment) -> str:
    """The step that needs the ID check: the citizen hands over (pickup) or receives (delivery)."""
    return states.DELIVERED if shipment.direction == states.DELIVERY else states.PICKED_UP


def offered_events(shipment: Shipment) -> list[str]:
    """The outcomes a postman may record now (a pickup reaches the centre only after it was picked up)."""
    return [e for e in OFFERED[shipment.direction]
            if states.allowed(shipment.direction, shipment.status, e, shipment.failed_attempts)
            and not (shipment.direction == states.PICKUP and e == states.DELIVERED
                     and shipment.status != states.PICKED_UP)]


def format_day(value: date | str | None) -> str:
    """`25/11/2026`; accepts the ISO strings of the planner's report."""
    if not value:
        return ""
    return (date.fromisoformat(value) if isinstance(value, str) else value).strftime("%d/%m/%Y")


postal_board.add_app_template_filter(format_day, "dmy")


def move_default_day(shipment: Shipment, day: date) -> date:
    """Where the move form starts: the planned day, else the board's day but never before a retry may go."""
    if shipment.planned_date:
        return shipment.planned_date
    return max(day, shipment.next_attempt_date) if shipment.next_attempt_date else day


def _previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day, settings().holidays):
        day -= timedelta(days=1)
    return day


def _lanes(routes: list[Route], used, planned: list[Shipment]) -> list[list[Lane]]:
    by_place: dict[tuple[str, str], list[Shipment]] = defaultdict(list)
    for shipment in planned:
        by_place[(shipment.route_code, shipment.slot)].append(shipment)
    return [[Lane(route, slot, used[(route.code, slot)], getattr(route, f"capacity_{slot}"),
                  by_place[(route.code, slot)]) for slot in planner.SLOTS] for route in routes]


def _render(day: date, *, report: dict | None = None, error: DomainError | None = None):
    holidays = settings().holidays
    principal = current_principal()
    with transaction() as session:
        planned = scheduling.day_shipments(session, day)
        queues = scheduling.board_queues(session, today=business_date(now_utc()), limit=WAITING_SHOWN)
        waiting, unserved, under_way = (queues.waiting.shipments, queues.unserved.shipments,
                                        queues.under_way.shipments)
        listed = [*planned, *waiting, *unserved, *under_way]
        collect = {s.id: service.cash_to_collect(session, s) for s in listed if s.cod}
        home = settings().postal_province_code
        why_unserved = {s.id: texts.unserved_text(s, home_province=home, translate=i18n.translate)
                        for s in unserved}
        to_check = [(e.id, format_local(e.occurred_at), s,
                     texts.check_text(checks.check_kind(e), e.data or {}, i18n.translate))
                    for e, s, _ in checks.events_to_check(session, resolved=False, limit=CHECKS_SHOWN)]
        # Two statements: reports resolved between them must not make the rest negative ("Còn -2").
        more_checks = (max(0, checks.unresolved_count(session) - len(to_check)) if len(to_check) == CHECKS_SHOWN
                       else 0)
        return render_template(
            "staff/postal_board.html", day=day, weekday=texts.WEEKDAYS[day.weekday()],
            working=is_working_day(day, holidays), today=business_date(now_utc()),
            previous=_previous_working_day(day), following=add_working_days(day + timedelta(days=1), 0, holidays),
            lanes=_lanes(scheduling.list_routes(session), scheduling.places_used(session, day), planned),
            waiting=waiting, waiting_total=queues.waiting.total, under_way=under_way, under_way_total=queues.under_way.total,
            unserved=unserved, unserved_total=queues.unserved.total,
            why_unserved=why_unserved, home_province=home,
            by_id={s.id: s for s in listed}, collect=collect, report=report, error=error,
            error_sentence=texts.error_text(error.code, error.details, i18n.translate) if error else None,
            can_act=bool(principal and "postal" in principal.roles), texts=texts,
            slot_names=manifests.SLOT_NAMES, direction_names=manifests.DIRECTION_NAMES,
            status_name=manifests.status_name, movable=MOVABLE, offered_events=offered_events,
            handover_event=handover_event, failed=states.FAILED_ATTEMPT, slots=planner.SLOTS,
            retry_pending=RETRY_PENDING,
            move_default_day=move_default_day, checks=to_check, more_checks=more_checks)


def _board_day(raw: str | None) -> date:
    """The day asked for, or today in Asia/Ho_Chi_Minh (`web.dates.asked_day`, the finance pages' rule)."""
    return asked_day(raw)


def _back_day() -> date:
    """The day the form was sent from (to return to it), today when unreadable."""
    try:
        return _board_day(request.form.get("board_date"))
    except DomainError:
        return business_date(now_utc())


def _refused(exc: DomainError):
    """The board of the day the form was sent from, saying why, with the refused form as it was sent."""
    show_kept_form(exc.code)
    return _render(_back_day(), error=exc), exc.status


def _back(shipment_id: int | None = None):
    anchor = f"s-{shipment_id}" if shipment_id else None
    return redirect(url_for(".board", date=_back_day().isoformat(), _anchor=anchor))


@postal_board.get("/")
@page_requires(*READERS)
def board():
    try:
        day = _board_day(request.args.get("date"))
    except DomainError as exc:
        return _render(business_date(now_utc()), error=exc), exc.status
    return _render(day)


@postal_board.get("/plan")
@postal_board.get("/shipments/<int:shipment_id>/<any(move, outcome):action>")
@postal_board.get("/checks/<int:event_id>/resolve")
@page_requires(*READERS)
def back_to_board(**_):
    """A page answered to a POST has these URLs; its language link (`?lang=`) lands here: back to the board."""
    return redirect(url_for(".board", date=request.args.get("date")))


@postal_board.post("/plan")
@page_requires("postal")
def plan():
    try:  # the day planned is the one asked for: an unreadable one is refused, never taken as today
        day = typed_day(request.form.get("board_date"))
    except DomainError as exc:
        return _render(business_date(now_utc()), error=exc), exc.status
    try:
        with transaction() as session:
            report = scheduling.plan_day(session, day=day, settings=settings(), actor=actor(), now=now_utc())
    except DomainError as exc:
        return _render(day, error=exc), exc.status
    return _render(day, report=report)


@postal_board.post("/shipments/<int:shipment_id>/move")
@page_requires("postal")
def move(shipment_id: int):
    form = request.form
    try:
        with transaction() as session:
            shipment, over, outside = scheduling.move_shipment(
                session, shipment_id=shipment_id, day=typed_day(form.get("date")),
                route_code=form_text("route", max_len=20), slot=form.get("slot"), reason=form_text("reason"),
                settings=settings(),
                actor=actor(), now=now_utc())
            moved = (shipment.dossier_code, shipment.route_code, shipment.slot, shipment.planned_date)
    except DomainError as exc:
        return _refused(exc)
    t = i18n.translate
    flash(f"{t('Đã chuyển bưu gửi')} #{shipment_id} ({t('hồ sơ')} {moved[0]}) {t('sang tuyến')} {moved[1]}, "
          f"{t('buổi')} {t(manifests.SLOT_NAMES[moved[2]]).lower()} {format_day(moved[3])}"
          + (f" — {t('vượt công suất')}" if over else "")
          + (f" — {t('tuyến không phục vụ phường/xã này')}" if outside else "") + ".")
    return _back(shipment_id)


@postal_board.post("/shipments/<int:shipment_id>/outcome")
@page_requires("postal")
def outcome(shipment_id: int):
    form = request.form
    try:
        id_check = (parse_id_check({"document_type": form.get("document_type"), "number": form.get("id_number"),
                                    "holder_name": form.get("holder_name")}) if "id_number" in form else None)
        with transaction() as session:
            shipment = service.record_outcome(
                session, shipment_id=shipment_id, event=form.get("event"), reason=form.get("reason") or None,
                id_check=id_check, note=form_text("note", required=False),
                settings=settings(), actor=actor(), now=now_utc())
            code, status = shipment.dossier_code, manifests.status_name(shipment.direction, shipment.status)
    except DomainError as exc:
        return _refused(exc)
    t = i18n.translate
    label, detail = texts.outcome_label(form["event"], direction=shipment.direction, reason=form.get("reason"))
    what = t(label) + (f" ({t(detail)})" if detail else "")
    flash(f"{t('Đã ghi nhận')}: {what} — {t('hồ sơ')} {code}. {t('Trạng thái')}: {t(status)}.")
    return _back(shipment_id)


@postal_board.post("/checks/<int:event_id>/resolve")
@page_requires("postal")
def resolve_check(event_id: int):
    """Mark a listed courier report as dealt with, with a note (postal.checks.resolve: audited, once)."""
    try:
        note = form_text("note")
        with transaction() as session:
            (_, shipment, _), created = checks.resolve(session, event_id=event_id, note=note, actor=actor(),
                                                       now=now_utc())
            code = shipment.dossier_code
    except DomainError as exc:
        return _refused(exc)
    t = i18n.translate
    flash(f"{t('Đã đánh dấu báo cáo')} #{event_id} ({t('hồ sơ')} {code}) {t('là đã xử lý')}."
          if created else f"{t('Báo cáo')} #{event_id} ({t('hồ sơ')} {code}) {t('đã được xử lý trước đó')}.")
    return redirect(url_for(".board", date=_back_day().isoformat(), _anchor="checks"))

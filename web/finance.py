"""The finance workspace (`/staff/finance`): a day's KPIs and collections chart, statement
imports and their lines, the exception queue, suspense, refunds and the day's close.

Pages read through the reconciliation and payments services; the forms post to
`web.finance_actions`, which calls the same services as the API. Auditors see everything and
get no form that changes anything.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from flask import Blueprint, flash, g, render_template, request
from sqlalchemy.orm import Session

from kernel.auth import same_principal
from kernel import audit, inbox
from kernel.clock import as_people_read, business_date, format_booked, now_utc
from kernel.errors import DomainError, NotFound, ValidationError
from kernel.http import MAX_ID, current_principal, int_arg, settings, transaction
from kernel.text import is_ascii_digits, whole_number
from payments import refund_payees, refunds
from payments.banks import all_banks
from payments import suspense as suspense_money
from payments.models import Payment
from payments.presenters import payment_view
from reconciliation import counting, days, exceptions, service
from reconciliation.profiles import PROFILE_NAMES
from reconciliation.reports import NOT_A_PERSON, person_name
from reconciliation.statements import FORMATS
from reconciliation.views import line_views
from web import finance_data, finance_text, i18n
from web.auth import AREAS, page_requires
from web.dates import asked_day
from web.forms import typed_payment_code
from web.paging import PAGE_SIZE, offset_arg, page_start
from web.finance_chart import build_chart

READERS = ("finance", "approver", "auditor")
NO_PAYMENT_YET = "Mã thanh toán này chưa có khoản thu nào."  # the refund desk's search, a request not paid yet

finance_pages = Blueprint("finance_pages", __name__, url_prefix="/staff/finance")
AREAS.append(("finance_pages.workspace", "Kế toán", frozenset(READERS)))
for _vi, _en in finance_text.EN.items():
    i18n.EN.setdefault(_vi, _en)  # never change a text another page already translates


@finance_pages.app_template_filter("ddmmyyyy")
def _ddmmyyyy(value: date | str | None) -> str:
    if not value:
        return ""
    return (date.fromisoformat(value) if isinstance(value, str) else value).strftime("%d/%m/%Y")


@finance_pages.app_template_filter("isodt")
def _isodt(value: str | None) -> str:
    """An instant the services give in ISO 8601 as people read it: `28/11/2026 14:24`, Hà Nội time."""
    return as_people_read(value) if value else ""


@finance_pages.app_template_filter("booked")
def _booked(value: str | None) -> str:
    """When money arrived (an ISO instant): only its date when its statement line gave no time."""
    return format_booked(datetime.fromisoformat(value)) if value else ""


@finance_pages.app_template_filter("person")
def _person(actor: str | None) -> str:
    """How the audit name of a person reads on a page (`reports.person_name`: the reports and the
    pages' error sentences name people the same way); the command line and the system in the visitor's language."""
    name = person_name(actor)
    return i18n.translate(name) if name in NOT_A_PERSON.values() else name


@finance_pages.app_template_test("same_principal")
def _same_principal(actor: str | None, other: str) -> bool:
    """`{% if r.requested_by is same_principal(me) %}`: the page tells who asked as the four-eyes check
    does (`kernel.auth.same_principal`: by kind and id, whatever name they go by now)."""
    return actor is not None and same_principal(actor, other)


@finance_pages.app_template_filter("exception")
def _exception(key: str | None) -> str:
    """`request:HS…:over_payment` -> `HS… — Nộp thừa`: an exception's key as a person reads it (the key
    itself is for machines: the line's database id, the kind's code, the ledger's name of an account)."""
    subject_type, _, rest = (key or "").partition(":")
    if subject_type == "balance":  # balance:<ledger account>:<day>
        account, _, day = rest.rpartition(":")
        try:
            of = date.fromisoformat(day)
        except ValueError:
            return key
        return (f"{i18n.translate('Tài khoản')} {finance_text.account_name(account)} ({of:%d/%m/%Y}) — "
                f"{i18n.translate(finance_text.KINDS['balance_mismatch'])}")
    subject, _, kind = rest.rpartition(":")
    if not subject or kind not in finance_text.KINDS:
        return key or ""
    kind_text = i18n.translate(finance_text.KINDS[kind])
    if subject_type == "line":
        return f"{i18n.translate('Dòng')} #{subject} — {kind_text}"
    if subject_type == "payment":
        return f"{i18n.translate('Mã khoản thu')} #{subject} — {kind_text}"
    return f"{subject} — {kind_text}"


def chosen_day() -> date:
    """The day the page is about: `?date=` (or `?day=`, as the API's `/days/<day>` names it: read the same,
    never passed over for today unsaid), else today in Hà Nội (`web.dates.asked_day`, the postal board's rule).
    One that is not a day shows today's page saying so, answered 400 (`_render`), as the postal board does; a
    form's `date` only names the page to go back to, today's then."""
    raw = request.args.get("date") or request.args.get("day") or request.form.get("date")
    try:
        return asked_day(raw)
    except ValidationError as exc:
        flash(finance_text.error_sentence(exc.code, exc.details, i18n.translate), "error")
        g.refused_day = True
        return business_date(now_utc())


def _filter(name: str, choices) -> str:
    """A list's filter as its form sends it: one of `choices`, or blank (or left out) for the form's first
    option. Anything else was not chosen on the form (an edited link, a forged value) and is refused (400, the
    filter named) rather than ignored: the list shown unfiltered would read as the filtered one."""
    value = request.args.get(name, "")
    if value and value not in choices:
        raise ValidationError(f"{name} is not one of the list's choices", code="invalid_parameter",
                              details={"parameter": name})
    return value


def _render(template: str, session: Session, day: date, section: str, **extra):
    principal = current_principal()
    awaiting = days.awaiting_approval(session)  # the approver lands on today and must find them
    today = business_date(now_utc())
    return render_template(
        template, day=day, section=section, today=today, one_day=timedelta(days=1),
        day_status=days.status_of(session, day), text=finance_text, awaiting_approval=awaiting,
        left_open=[d for d in days.left_open(session, today) if d not in awaiting],
        can_write="finance" in principal.roles, can_approve="approver" in principal.roles, me=principal.actor,
        page_size=PAGE_SIZE, **extra), 400 if g.get("refused_day") else 200


@finance_pages.get("/")
@page_requires(*READERS)
def workspace():
    """The day at a glance: KPIs, 30 days of collections by channel, balances, close and reports."""
    day = chosen_day()
    with transaction() as session:
        summary = days.summary(session, day, settings=settings(), now=now_utc())
        chart = build_chart(finance_data.daily_collections(session, day), list(finance_text.CHANNELS))
        return _render("staff/finance.html", session, day, "overview", summary=summary, chart=chart,
                       expected_vnd=finance_data.expected_vnd(session, day),
                       # what still needs a person: the open conflicts, not those finance has handled
                       callbacks_waiting={"failed": inbox.count_needing_people(session, inbox.RECEIVED),
                                          "conflicts": inbox.count_needing_people(session, inbox.CONFLICT)})


@finance_pages.get("/statements")
@page_requires(*READERS)
def statements():
    """Upload a statement; recent imports with their progress; an import's (or the day's) lines."""
    day = chosen_day()
    import_id = int_arg("import_id", 0, 1, MAX_ID) or None
    status = _filter("status", finance_text.LINE_STATUS) or None
    with transaction() as session:
        current = service.get_import(session, import_id) if import_id else None
        lines = functools.partial(service.list_lines, session, import_id=import_id, day=None if import_id else day,
                                  status=status, limit=PAGE_SIZE)
        page, total = lines(offset=(offset := offset_arg()))
        if page_start(offset, total) != offset:
            page, total = lines(offset=(offset := page_start(offset, total)))
        return _render("staff/finance_statements.html", session, day, "statements",
                       imports=service.list_imports(session, limit=15), current=current, status=status,
                       lines=line_views(session, page, suggest=False), total=total, offset=offset,
                       formats=FORMATS, profiles=PROFILE_NAMES)


@finance_pages.get("/lines/<int:line_id>")
@page_requires(*READERS)
def line(line_id: int):
    """One statement line: its money, suggestions, every decision on it, and what can be done."""
    with transaction() as session:
        found = service.get_line(session, line_id)
        [view] = line_views(session, [(found.line_no, found, False)])
        decisions = service.resolutions_of(session, line_id)
        trail = [audit.entry_view(e) for e in service.audit_of(session, line_id, decisions)]  # as the API's `audit`
        # a decision counted in a closed day stands: no undo form for it (the service refuses it anyway)
        closed = counting.closed_days(session, min(d.recon_date for d in decisions)) if decisions else set()
        return _render("staff/finance_line.html", session, found.recon_date, "statements", line=view,
                       decisions=decisions, closed_days=closed, actions=line_actions(view), trail=trail)


def line_actions(view: dict) -> list[str]:
    """The decisions that make sense for a line as it is now (the services refuse the others anyway)."""
    if view["direction"] != "credit" or view["payment_id"] is None:
        return ["ignore"] if view["status"] != "ignored" else []
    actions = []
    if view["unallocated_vnd"] > 0:
        actions += ["match", "refund", "write_off"]
    if view["allocations"]:
        actions.append("unmatch")
    decided = {"written_off", "partly_written_off", "refund_requested", "settled_by_finance"} & set(view["reasons"])
    if view["status"] != "ignored" and not view["unallocated_vnd"] and not view["allocations"] and not decided:
        actions.append("ignore")  # a write-off or refund accounts for the money: ignoring would hide it
    return actions


def _wanted(exc: exceptions.DayException, kind: str, state: str) -> bool:
    if state == "open" and not exc.open:
        return False
    return exc.kind == kind if kind else exc.blocking


@finance_pages.get("/exceptions")
@page_requires(*READERS)
def exception_queue():
    """The day's exception queue (filtered by kind and state) and the day's decisions."""
    day = chosen_day()
    kind = _filter("kind", finance_text.KINDS)
    state = _filter("state", ("open", "all")) or "open"
    with transaction() as session:
        found = exceptions.shown(session, day, settings=settings(), today=business_date(now_utc()))
        shown = [e for e in found if _wanted(e, kind, state)]
        offset = page_start(offset_arg(), len(shown))
        page = shown[offset:offset + PAGE_SIZE]
        lines = [service.get_line(session, line_id) for line_id in sorted({e.line_id for e in page if e.line_id})]
        views = {v["id"]: v for v in line_views(session, [(found_line.line_no, found_line, False)
                                                           for found_line in lines])}
        return _render("staff/finance_exceptions.html", session, day, "exceptions", queue=page, total=len(shown),
                       offset=offset, kind=kind, state=state, lines=views,
                       decisions=finance_data.day_resolutions(session, day), exception_actions=exception_actions)


def exception_actions(exc: exceptions.DayException, line_view: dict | None) -> list[str]:
    """What finance may decide on an open exception: line decisions where a line holds the money."""
    if not exc.open:
        return []
    actions = line_actions(line_view) if line_view and exc.kind in ("unmatched_credit", "late", "reversed") else []
    if line_view and exc.kind == "amount_differs":  # the payment is corrected to the statement, not refunded
        actions.append("correct_amount")
    return [*actions, "acknowledge"]


@finance_pages.get("/suspense")
@page_requires(*READERS)
def suspense():
    """Money in suspense, each with its assignment form."""
    day = chosen_day()
    with transaction() as session:
        waiting = suspense_money.waiting(session, limit=200, prefix=settings().payment_code_prefix)
        return _render("staff/finance_suspense.html", session, day, "suspense", payments=waiting["payments"],
                       total_vnd=waiting["total_vnd"], count=waiting["count"])


def _lookup(session: Session, query: str) -> tuple[dict | None, list[dict], str | None]:
    """(payment with refundable amount and refunds, payments of a request code, error sentence)."""
    if not query:
        return None, [], None
    try:
        if is_ascii_digits(query):
            payment_id = whole_number(query, 1, MAX_ID)  # a number no key can be is simply not found
            payment = session.get(Payment, payment_id) if payment_id else None
            if payment is None:
                raise ValidationError(f"no payment {query}", code="payment_not_found", status=404)
            view = payment_view(payment)
            view["refundable_vnd"] = refunds.refundable_vnd(session, payment)
            view["refunds"] = finance_data.refunds_in(session, payment_id=payment.id)
            return view, [], None
        code = typed_payment_code(query)
        found = [payment_view(p) for p in finance_data.payments_of_request(session, code)]
        if not found:  # an empty answer said nothing: a mistyped code and one not paid yet read alike
            if not finance_data.request_exists(session, code):
                raise NotFound(f"no payment request {code}", code="payment_request_not_found")
            return None, [], i18n.translate(NO_PAYMENT_YET)
        return None, found, None
    except DomainError as exc:
        return None, [], finance_text.error_sentence(exc.code, exc.details, i18n.translate)


@finance_pages.get("/refunds")
@page_requires(*READERS)
def refund_desk():
    """Ask for a refund from a payment; approvals; transfer orders to execute; recent refunds."""
    day = chosen_day()
    query = request.args.get("q", "").strip()[:40]
    with transaction() as session:
        payment, candidates, lookup_error = _lookup(session, query)
        return _render("staff/finance_refunds.html", session, day, "refunds", query=query, payment=payment,
                       candidates=candidates, lookup_error=lookup_error,
                       awaiting=finance_data.refunds_in(session, refunds.AWAITING_APPROVAL),
                       orders=finance_data.refunds_in(session, refunds.TRANSFER_ORDERED),
                       cash_due=finance_data.refunds_in(session, refunds.CASH_DUE), banks=all_banks(),
                       payee_view=refund_payees.payee_view,
                       recent=finance_data.refunds_in(session, limit=30),
                       threshold_vnd=settings().refund_approval_threshold_vnd)


from web import finance_actions  # noqa: E402,F401  (registers the forms' POST routes on the blueprint)
from web import finance_callbacks  # noqa: E402,F401  (the callbacks section's page and forms)

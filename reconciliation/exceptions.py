"""The exception queue of a business day: everything finance must look at before closing it.

Computed from the ledger and the statement lines when asked (never a second copy to keep in
sync); only the people's decisions are stored (`Resolution`). Kinds:

- `unmatched_credit`   money still (partly) in suspense: on a statement line, or a payment no line
                       carries (card, cash, gateways);
- `late`               money for a request that had expired or was cancelled (in suspense);
- `under_payment` / `over_payment`  a request paid by the day's lines owes more / got too much (also
                       one of a closed day's payments whose fee item was withdrawn since, the postage
                       of a cancelled shipment, in the next open day: `payments.corrections`);
- `duplicate`          a callback payment that the statement shows already credited by another;
- `amount_differs`     a line linked to its callback by the bank reference, for another amount
                       (also a callback that came after the statement: `payments.announcements`);
- `reversed`           a reversal entry on the statement, or a line whose payment was reversed (information
                       when a reversal line of the statement took it back: finance settles the pair once,
                       on the reversal line, whichever day it was booked);
- `payment_without_statement_line`  a bank-transfer callback the day's statement does not show;
- `balance_mismatch`   the bank's closing balance differs from opening + the day's lines (a closed
                       day's, changed by a part of its statement imported after the close, in the
                       next open day, where that part's lines land);
- `missed_callback`    (information) a statement credit no callback announced, before or after.

Each has a stable `key`; an exception is open until acknowledged (with a reason) or resolved.
An acknowledgement accepts the amount it saw: a larger one is open again. Money in suspense is
resolved by leaving it; `amount_differs` and `reversed` by refunds and write-offs on the line worth
their amount (ignoring a line moves no money: it resolves neither).
Blocking exceptions above the tolerance keep the day from closing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from config import Settings
from kernel.clock import business_date, business_day_bounds, ensure_aware_utc, is_working_day
from payments.announcements import announced_amounts
from payments.corrections import FEE_WITHDRAWN
from payments.ledger import LedgerEntry
from payments.models import Payment, PaymentAllocation, PaymentRequest
from payments.refunds import NOT_COUNTED, Refund, suspense_claimed_vnd as refunds_claims
from reconciliation import counting, links, sweep
from reconciliation.models import CLOSED, FROM_CALLBACK, FROM_STATEMENT, IGNORED, ReconDay, Resolution, \
    StatementBalance, StatementImport, StatementLine
from reconciliation.statements import CREDIT

INFO_KINDS = frozenset({"missed_callback"})
# Money still in suspense: open while it is there, whatever was decided about the line (a write-off
# or a refund that moved all of it leaves no exception; ignoring a line moves nothing).
MONEY_KINDS = frozenset({"unmatched_credit", "late"})
# Line decisions that account for money (their amount): with the line's other blocking exceptions
# (`amount_differs`, `reversed`), they settle one only when they are worth its amount, together.
SETTLING_ACTIONS = frozenset({"refund", "write_off"})


@dataclass
class DayException:
    key: str
    kind: str
    amount_vnd: int
    line_id: int | None = None
    payment_id: int | None = None
    payment_code: str | None = None
    account: str | None = None
    details: dict = field(default_factory=dict)
    acknowledged: bool = False
    resolution: str | None = None
    info: bool = False  # information whatever its kind (the other half of a pair settled elsewhere)
    decision: dict | None = None  # the acknowledgement or decision that settled it: who, when, why

    @property
    def blocking(self) -> bool:
        return self.kind not in INFO_KINDS and not self.info

    @property
    def open(self) -> bool:
        return not self.acknowledged and self.resolution is None

    @classmethod
    def from_view(cls, view: dict) -> DayException:
        """Back from `view` (a closed day keeps its queue as views)."""
        return cls(key=view["key"], kind=view["kind"], amount_vnd=view["amount_vnd"], line_id=view["line_id"],
                   payment_id=view["payment_id"], payment_code=view["payment_code"], account=view["account"],
                   details=view["details"], acknowledged=view["acknowledged"], resolution=view["resolution"],
                   info=view["severity"] == "info" and view["kind"] not in INFO_KINDS,
                   decision=view.get("decision"))  # absent from queues frozen before decisions were named

    def view(self) -> dict:
        return {"key": self.key, "kind": self.kind, "severity": "blocking" if self.blocking else "info",
                "amount_vnd": self.amount_vnd, "line_id": self.line_id, "payment_id": self.payment_id,
                "payment_code": self.payment_code, "account": self.account, "details": self.details,
                "open": self.open, "acknowledged": self.acknowledged, "resolution": self.resolution,
                "decision": self.decision}


def shown(session: Session, day: date, *, settings: Settings, today: date) -> list[DayException]:
    """The queue as people see it: a closed day's as it was frozen at its close (what comes later
    is the next open day's), an open day's as it is now."""
    closed = session.execute(select(ReconDay.summary).where(ReconDay.business_date == day,
                                                            ReconDay.status == CLOSED)).scalar()
    if closed is not None and "closed_exceptions" in closed:
        return [DayException.from_view(view) for view in closed["closed_exceptions"]]
    return day_exceptions(session, day, settings=settings, today=today)


def day_exceptions(session: Session, day: date, *, settings: Settings, today: date) -> list[DayException]:
    """Every exception of `day`, open or not, in a stable order."""
    found: list[DayException] = []
    lines = session.execute(select(StatementLine).where(StatementLine.recon_date == day)
                            .order_by(StatementLine.id)).scalars().all()
    carried = _carried_lines(session, day, settings.holidays)
    facts = links.payment_facts(session, [line.payment_id for line in lines + carried if line.payment_id])
    announced = _payment_amounts(session, [line.payment_id for line in lines if line.source == FROM_CALLBACK])
    # A callback that came after the statement is linked to the statement's payment: the line is announced.
    late = announced_amounts(session, [line.payment_id for line in lines
                                       if line.source == FROM_STATEMENT and line.payment_id])
    announced.update(late)
    reversed_lines = links.reversed_by(session, [line.id for line in lines if line.is_reversal])
    reversal_of = links.reversal_lines(session, [pid for pid, f in facts.items() if f.status != "active"])
    for line in lines:
        found += _line_exceptions(line, facts.get(line.payment_id) if line.payment_id else None,
                                  announced.get(line.payment_id), reversed_lines.get(line.id),
                                  reversal_of.get(line.payment_id))
    for line in carried:  # its own day is closed: what it still holds in suspense is this day's to settle
        found += [e for e in _line_exceptions(line, facts.get(line.payment_id), None, None)
                  if e.kind in MONEY_KINDS]
    off_statement, off_statement_ids = _money_off_statement(session, day, settings)
    found += off_statement
    found += _request_exceptions(session, [line.payment_id for line in lines
                                           if line.payment_id and line.status != IGNORED] + off_statement_ids
                                 + _withdrawn_after_close(session, day, settings.holidays))
    found += _unseen_payments(session, day, [line for line in lines if line.payment_id not in late],
                              settings=settings, today=today)
    found += _balance_exceptions(session, day, settings.holidays)
    _apply_decisions(session, day, found, lines + carried)
    return found


def _carried_lines(session: Session, day: date, holidays) -> list[StatementLine]:
    """Lines of closed days whose money `day` must settle: those a decision counted in `day`
    changed (an adjustment), and those whose money is (back) in suspense — a refund rejected
    after the close, say — while `day` is the first open working day after theirs."""
    adjusted = set(session.execute(select(Resolution.line_id).where(
        Resolution.recon_date == day, Resolution.adjustment.is_(True), Resolution.undone_at.is_(None),
        Resolution.line_id.is_not(None))).scalars())
    closed = counting.closed_days(session, day - timedelta(days=counting.LOOKBACK_DAYS))
    earlier = sorted(d for d in closed if d < day)
    waiting = set(session.execute(select(StatementLine.id).join(Payment, Payment.id == StatementLine.payment_id).where(
        StatementLine.recon_date.in_(earlier), StatementLine.direction == CREDIT, Payment.status == "active",
        Payment.unallocated_vnd > 0)).scalars()) if earlier else set()
    carried = []
    for chunk in links._chunks(sorted(adjusted | waiting)):
        for line in session.execute(select(StatementLine).where(StatementLine.id.in_(chunk),
                                                                StatementLine.recon_date != day)).scalars():
            if line.id in adjusted or counting.next_open_day(line.recon_date, closed, holidays) == day:
                carried.append(line)
    return sorted(carried, key=lambda line: line.id)


def _money_off_statement(session: Session, day: date, settings: Settings) -> tuple[list[DayException], list[int]]:
    """Money no statement line will carry — card, cash, gateways — that is (partly) in suspense:
    counted in `day`, or counted in a closed day for which `day` is the first open working day
    (carried, as a line's is). Also the ids of the day's payments no line carries yet, whose requests
    are checked for under and over payment as the lines' are."""
    off = ~exists().where(StatementLine.payment_id == Payment.id)
    columns = (Payment.id, Payment.unallocated_vnd, Payment.suspense_reason, Payment.clearing_account, Payment.memo,
               Payment.provider, Payment.booked_at, Payment.recorded_at)
    todays = session.execute(select(*columns).where(
        counting.counted_in(session, day, settings.holidays), Payment.status == "active", off)
        .order_by(Payment.id)).all()
    # Bank money waits for its statement line, which carries its suspense (`payment_without_statement_line`
    # until then): flagged here too, it would count twice and lose its acknowledgement when the line came.
    waiting = [row for row in todays if row.unallocated_vnd > 0 and not row.clearing_account.startswith("bank:")]
    closed_at = counting.closing_times(session, day - timedelta(days=counting.LOOKBACK_DAYS))
    earlier = [d for d in closed_at if d < day]
    if earlier:
        start = business_day_bounds(min(earlier))[0]
        for row in session.execute(select(*columns).where(
                Payment.status == "active", Payment.unallocated_vnd > 0, Payment.booked_at >= start,
                Payment.booked_at < business_day_bounds(day)[0], ~Payment.clearing_account.startswith("bank:"), off)
                .order_by(Payment.id)):
            counted = counting.day_counting(business_date(row.booked_at), row.recorded_at, closed_at,
                                            settings.holidays)
            if counted in closed_at and counting.next_open_day(counted, closed_at, settings.holidays) == day:
                waiting.append(row)
    out = []
    for row in waiting:
        kind = "late" if row.suspense_reason == "request_closed" else "unmatched_credit"
        out.append(DayException(f"payment:{row.id}:{kind}", kind, row.unallocated_vnd, payment_id=row.id,
                                account=row.clearing_account,
                                details={"reason": row.suspense_reason, "provider": row.provider,
                                         "memo": (row.memo or "")[:200]}))
    return out, [row.id for row in todays]


def _withdrawn_after_close(session: Session, day: date, holidays) -> list[int]:
    """Payments of closed days whose request stopped asking for a fee item they paid while `day` was the
    first open one (its adjustment, `counting.adjusted_in`): the money to give back is this day's to
    settle, checked with the day's own requests."""
    return list(session.execute(select(LedgerEntry.payment_id).join(Payment, Payment.id == LedgerEntry.payment_id)
                                .where(LedgerEntry.kind == FEE_WITHDRAWN, counting.adjusted_in(session, day, holidays))
                                ).scalars())


def _payment_amounts(session: Session, payment_ids: list[int]) -> dict[int, int]:
    amounts: dict[int, int] = {}
    for chunk in links._chunks(payment_ids):
        amounts.update(session.execute(select(Payment.id, Payment.amount_vnd).where(Payment.id.in_(chunk))).all())
    return amounts


def _line_exceptions(line: StatementLine, facts, callback_vnd: int | None,
                     reversed_line_id: int | None, reversal_line_id: int | None = None) -> list[DayException]:
    """`callback_vnd`: what the callback the line was linked to announced (None: not linked);
    `reversed_line_id`: the credit line a reversal line took back (None: none, or not known);
    `reversal_line_id`: the statement's reversal line that took this credit back (None: none, or the
    payment was reversed otherwise — a card void, a bank callback — which the statement does not show)."""
    out = []
    base = {"line_id": line.id, "payment_id": line.payment_id, "account": line.clearing_account}
    if line.is_reversal:
        out.append(DayException(f"line:{line.id}:reversed", "reversed", line.amount_vnd, **base,
                                details={"memo": line.memo[:200], "reversed_line_id": reversed_line_id}))
    elif facts is not None and facts.status != "active":
        # Taken back by a reversal line of the statement: the money came in and went out as the bank says,
        # and finance looks at the pair once, on the reversal line (its exception, blocking, names this
        # line), whether both were booked on one day or the reversal a day later. A payment reversed
        # otherwise is a credit the statement shows that our books no longer hold: finance's to settle here.
        out.append(DayException(f"line:{line.id}:reversed", "reversed", line.amount_vnd, **base,
                                details={"memo": line.memo[:200], "reversal_line_id": reversal_line_id},
                                info=reversal_line_id is not None))
    if line.direction != CREDIT or line.is_reversal:
        return out
    if callback_vnd is not None and callback_vnd != line.amount_vnd:
        out.append(DayException(f"line:{line.id}:amount_differs", "amount_differs",
                                abs(line.amount_vnd - callback_vnd), **base,
                                details={"statement_vnd": line.amount_vnd, "callback_vnd": callback_vnd,
                                         "memo": line.memo[:200]}))
    if facts is not None and facts.status == "active" and facts.unallocated_vnd > 0:
        kind = "late" if facts.suspense_reason == "request_closed" else "unmatched_credit"
        out.append(DayException(f"line:{line.id}:{kind}", kind, facts.unallocated_vnd, **base,
                                details={"reason": facts.suspense_reason, "memo": line.memo[:200],
                                         "proposal": line.proposal}))
    if line.source == FROM_STATEMENT and callback_vnd is None and line.status != IGNORED:
        out.append(DayException(f"line:{line.id}:missed_callback", "missed_callback", line.amount_vnd, **base))
    return out


def _request_exceptions(session: Session, payment_ids: list[int]) -> list[DayException]:
    out = []
    request_ids: set[int] = set()
    for chunk in links._chunks(payment_ids):
        request_ids |= set(session.execute(select(PaymentAllocation.payment_request_id).where(
            PaymentAllocation.payment_id.in_(chunk), PaymentAllocation.released_at.is_(None))).scalars())
    for chunk in links._chunks(sorted(request_ids)):
        for code, amount, paid, refunded, status in session.execute(
                select(PaymentRequest.payment_code, PaymentRequest.amount_vnd, PaymentRequest.paid_vnd,
                       PaymentRequest.refunded_vnd, PaymentRequest.status)
                .where(PaymentRequest.id.in_(chunk), PaymentRequest.status.in_(("partially_paid", "overpaid")))
                .order_by(PaymentRequest.payment_code)):
            net = paid - refunded
            if status == "partially_paid":
                out.append(DayException(f"request:{code}:under_payment", "under_payment", amount - net,
                                        payment_code=code, details={"amount_vnd": amount, "paid_vnd": net}))
            else:
                out.append(DayException(f"request:{code}:over_payment", "over_payment", net - amount,
                                        payment_code=code, details={"amount_vnd": amount, "paid_vnd": net}))
    return out


def _unseen_payments(session: Session, day: date, lines: list[StatementLine], *, settings: Settings,
                     today: date) -> list[DayException]:
    """Bank-transfer callbacks the day counts that no statement line shows (or shows twice over)."""
    rows = session.execute(
        select(Payment.id, Payment.amount_vnd, Payment.clearing_account, Payment.memo, Payment.provider)
        .where(counting.counted_in(session, day, settings.holidays), Payment.status == "active",
               Payment.provider != links.STATEMENT_PROVIDER, Payment.clearing_account.startswith("bank:"),
               ~exists().where(StatementLine.payment_id == Payment.id))
        .order_by(Payment.id)).all()
    if not rows:
        return []
    covered = set(session.execute(select(StatementImport.clearing_account).where(
        StatementImport.status == "done", StatementImport.period_from <= day, StatementImport.period_to >= day))
        .scalars())
    statement_paid = _statement_payments_by_amount(lines, settings.payment_code_prefix)
    age = sweep.elapsed_working_days(day, today, settings.holidays)  # what `overdue` counts
    out = []
    for payment_id, amount, account, memo, provider in rows:
        twin = statement_paid.get((account, amount), [])
        codes = links.codes_in(memo or "", settings.payment_code_prefix)
        duplicate = next((line for line in twin if codes and codes & line[1]), None)
        details = {"provider": provider, "statement_imported": account in covered, "age_working_days": age,
                   "overdue": sweep.is_overdue(day, today, n=settings.recon_sweep_working_days,
                                               holidays=settings.holidays)}
        if duplicate is not None:
            details["statement_line_id"] = duplicate[0]
            out.append(DayException(f"payment:{payment_id}:duplicate", "duplicate", amount, payment_id=payment_id,
                                    account=account, details=details))
        else:
            out.append(DayException(f"payment:{payment_id}:payment_without_statement_line",
                                    "payment_without_statement_line", amount, payment_id=payment_id,
                                    account=account, details=details))
    return out


def _statement_payments_by_amount(lines: list[StatementLine], prefix: str
                                  ) -> dict[tuple[str, int], list[tuple[int, set[str]]]]:
    grouped: dict[tuple[str, int], list[tuple[int, set[str]]]] = {}
    for line in lines:
        if line.source == FROM_STATEMENT:
            grouped.setdefault((line.clearing_account, line.amount_vnd), []).append(
                (line.id, links.codes_in(line.memo, prefix)))
    return grouped


def _balance_exceptions(session: Session, day: date, holidays) -> list[DayException]:
    out = []
    for check in balance_checks(session, day):
        if check["difference_vnd"] not in (None, 0):
            out.append(DayException(f"balance:{check['clearing_account']}:{day.isoformat()}", "balance_mismatch",
                                    abs(check["difference_vnd"]), account=check["clearing_account"],
                                    details=check))
    for check in late_balance_checks(session, day, holidays):
        # what the close accepted (its difference, acknowledged) is not asked again
        if check["difference_vnd"] not in (None, 0, check["closed_difference_vnd"]):
            out.append(DayException(f"balance:{check['clearing_account']}:{check['business_date']}",
                                    "balance_mismatch", abs(check["difference_vnd"]),
                                    account=check["clearing_account"], details=check))
    return out


def balance_checks(session: Session, day: date) -> list[dict]:
    """Per account with a statement for `day`: stated opening/closing vs opening + the day's lines."""
    return [_check(session, balance, day) for balance in session.execute(
        select(StatementBalance).where(StatementBalance.business_date == day)
        .order_by(StatementBalance.clearing_account)).scalars()]


def _check(session: Session, balance: StatementBalance, day: date) -> dict:
    """The bank's figures for `day` against every line booked on it (those that landed in a later day too)."""
    opening = balance.opening_vnd
    if opening is None:
        opening = session.execute(select(StatementBalance.closing_vnd).where(
            StatementBalance.clearing_account == balance.clearing_account,
            StatementBalance.business_date < day).order_by(StatementBalance.business_date.desc())
            .limit(1)).scalar()
    signed = func.sum(func.coalesce(StatementLine.amount_vnd, 0))
    credit = session.execute(select(signed).where(
        StatementLine.clearing_account == balance.clearing_account, StatementLine.booking_date == day,
        StatementLine.direction == CREDIT)).scalar() or 0
    debit = session.execute(select(signed).where(
        StatementLine.clearing_account == balance.clearing_account, StatementLine.booking_date == day,
        StatementLine.direction != CREDIT)).scalar() or 0
    computed = opening + int(credit) - int(debit) if opening is not None else None
    stated = balance.closing_vnd
    return {"clearing_account": balance.clearing_account, "business_date": day.isoformat(), "opening_vnd": opening,
            "credits_vnd": int(credit), "debits_vnd": int(debit), "closing_stated_vnd": stated,
            "closing_computed_vnd": computed,
            "difference_vnd": stated - computed if stated is not None and computed is not None else None}


# What a late part of a closed day's statement can change in its check.
CHECKED_FIGURES = ("opening_vnd", "credits_vnd", "debits_vnd", "closing_stated_vnd")


def late_balance_checks(session: Session, day: date, holidays) -> list[dict]:
    """The checks of closed days whose statement changed after their close (a part imported late: its
    lines land in the next open day, its balances merge into the closed day's), in the first open
    working day after them — `day`, where those lines land (`counting.next_open_day`). Each is compared
    with the check last frozen for it (its own day's close, or that of an open day it was shown in
    since) and listed only if it changed; `closed_difference_vnd` is the difference frozen then."""
    closed = counting.closed_days(session, day - timedelta(days=counting.LOOKBACK_DAYS))
    if day in closed or not is_working_day(day, holidays):
        return []
    earlier = []  # the closed days whose next open day is `day`: back to the open working day before it
    current = day - timedelta(days=1)
    while current in closed or (not is_working_day(current, holidays)
                                and current > day - timedelta(days=counting.LOOKBACK_DAYS)):
        if current in closed:
            earlier.append(current)
        current -= timedelta(days=1)
    if not earlier:
        return []
    balances = session.execute(select(StatementBalance).where(StatementBalance.business_date.in_(earlier))
                               .order_by(StatementBalance.business_date, StatementBalance.clearing_account)
                               ).scalars().all()
    if not balances:
        return []
    frozen = _frozen_checks(session, earlier)
    out = []
    for balance in balances:
        check = _check(session, balance, balance.business_date)
        before = frozen.get((balance.clearing_account, balance.business_date))
        if before is None or any(check[k] != before.get(k) for k in CHECKED_FIGURES):
            out.append({**check, "closed_difference_vnd": before.get("difference_vnd") if before else None})
    return out


def _frozen_checks(session: Session, closed: list[date]) -> dict[tuple[str, date], dict]:
    """(account, day) -> the check as the latest of these closed days froze it: a day's own check at its
    close, or a later day's late check of it."""
    found: dict[tuple[str, date], dict] = {}
    for day, own, late in session.execute(
            select(ReconDay.business_date, ReconDay.summary["balances"], ReconDay.summary["late_balances"])
            .where(ReconDay.business_date.in_(closed)).order_by(ReconDay.business_date)):
        for check in own or []:
            found[(check["clearing_account"], day)] = check
        for check in late or []:
            found[(check["clearing_account"], date.fromisoformat(check["business_date"]))] = check
    return found


def _apply_decisions(session: Session, day: date, found: list[DayException], lines: list[StatementLine]) -> None:
    line_ids = [line.id for line in lines]
    active = session.execute(select(Resolution).where(Resolution.undone_at.is_(None), Resolution.recon_date == day)
                             ).scalars().all()
    for chunk in links._chunks(line_ids):
        active += session.execute(select(Resolution).where(Resolution.undone_at.is_(None),
                                                           Resolution.line_id.in_(chunk),
                                                           Resolution.recon_date != day)).scalars().all()
    accepted = _acknowledged_amounts(active)
    settled = _settled_by_line(session, active)
    awaiting = _refunds_awaiting_approval(session, [e.payment_id for e in found if e.kind in MONEY_KINDS])
    for exc in found:
        exc.acknowledged = exc.key in accepted and exc.amount_vnd <= accepted[exc.key]
        if exc.kind in MONEY_KINDS:  # settled only by a refund, still to be approved, of all of it
            exc.resolution = "refund" if awaiting.get(exc.payment_id, 0) >= exc.amount_vnd else None
        elif exc.line_id is not None and exc.kind not in INFO_KINDS and exc.line_id in settled:
            worth, action, latest = settled[exc.line_id]
            exc.resolution = action if worth >= exc.amount_vnd else None
            exc.decision = _decision(latest) if exc.resolution else None
        if exc.acknowledged and exc.decision is None:  # the latest acknowledgement that covers it
            exc.decision = _decision(max((r for r in active if r.action == "acknowledge" and r.exception_key == exc.key
                                          and _accepted(r) >= exc.amount_vnd), key=lambda r: r.id))


def _decision(resolution: Resolution) -> dict:
    """Who settled an exception, when and why, as the queue, the pages and a closed day's report name it
    (the approver signs the close off on these reasons)."""
    return {"resolution_id": resolution.id, "action": resolution.action, "reason": resolution.reason,
            "by": resolution.created_by, "at": ensure_aware_utc(resolution.created_at).isoformat()}


def _accepted(resolution: Resolution) -> int:
    """What an acknowledgement accepted (one recorded before amounts were kept: nothing)."""
    amount = resolution.data.get("amount_vnd") if isinstance(resolution.data, dict) else None
    return amount if type(amount) is int else 0


def _acknowledged_amounts(active: list[Resolution]) -> dict[str, int]:
    """exception key -> the largest amount an acknowledgement in force accepted for it. An exception
    is acknowledged while its amount is no larger: money that grew since (a match undone, a line
    taken off its request) is open again. An acknowledgement recorded before amounts were kept
    accepts nothing more: it is asked again."""
    accepted: dict[str, int] = {}
    for r in active:
        if r.action == "acknowledge" and r.exception_key:
            accepted[r.exception_key] = max(accepted.get(r.exception_key, 0), _accepted(r))
    return accepted


def _settled_by_line(session: Session, active: list[Resolution]) -> dict[int, tuple[int, str, Resolution]]:
    """line id -> (what its refunds and write-offs in force are worth, the latest's action, the latest). A refund
    counts while it still claims the money (not rejected nor failed)."""
    decisions = sorted((r for r in active if r.line_id is not None and r.action in SETTLING_ACTIONS),
                       key=lambda r: r.id)
    refund_ids = [r.data.get("refund_id") for r in decisions if r.action == "refund"]
    counted: dict[int, int] = {}
    for chunk in links._chunks([i for i in refund_ids if i is not None]):
        counted.update(session.execute(select(Refund.id, Refund.amount_vnd).where(
            Refund.id.in_(chunk), Refund.status.not_in(NOT_COUNTED))).all())
    settled: dict[int, tuple[int, str, Resolution]] = {}
    for r in decisions:
        worth = counted.get(r.data.get("refund_id"), 0) if r.action == "refund" else int(r.data.get("amount_vnd", 0))
        settled[r.line_id] = (settled[r.line_id][0] + worth if r.line_id in settled else worth, r.action, r)
    return settled


def _refunds_awaiting_approval(session: Session, payment_ids: list[int]) -> dict[int, int]:
    """payment id -> money asked back that has not left suspense yet (the refund awaits an approver)."""
    awaiting: dict[int, int] = {}
    for chunk in links._chunks(payment_ids):
        awaiting.update((pid, vnd) for pid, (vnd, _) in refunds_claims(session, chunk).items())
    return awaiting


def open_blocking(exceptions: list[DayException], tolerance_vnd: int) -> list[DayException]:
    """What keeps a day from closing: open, blocking, and above the tolerance."""
    return [e for e in exceptions if e.open and e.blocking and e.amount_vnd > tolerance_vnd]


def open_counts(session: Session, *, settings: Settings, today: date) -> dict[str, int]:
    """Open exceptions of the business day by kind (for monitoring)."""
    counts: dict[str, int] = {}
    for exception in day_exceptions(session, today, settings=settings, today=today):
        if exception.open:
            counts[exception.kind] = counts.get(exception.kind, 0) + 1
    return counts

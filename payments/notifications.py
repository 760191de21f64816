"""What follows a payment request's change of state, written in the same transaction:
the e-receipt when it becomes fully paid, the citizen's SMS, and the outbound events.

Everything here lands in tables (receipts, outbox) inside the caller's transaction; the
worker sends after commit. So a change that rolls back announces nothing, and one that
commits is announced at least once.

What is announced (events to subscribers, SMS to the citizen):
- money received: `paid` (and the receipt) or `partially_paid`, with an SMS; a request settled
  because what it still owed was withdrawn (a cancelled shipment's postage) is `paid` as well, with
  the receipt for the fees it was paid and an SMS saying what is no longer asked (`withdrawn_vnd`);
  one left asking for nothing (0 ₫: all it got is to give back) is not, it gets no receipt; money received by a
  request that was already paid (a citizen who paid twice): `overpaid`, with an SMS saying how
  much came, how much is in excess and that it will be refunded. Every one of them carries
  `received_vnd`, what this change added, so a payment is told even when the status stays. The
  announcement is per request per call, not per payment: payments applied together (a worker
  batch) make one event and one SMS, with the status after them all and `received_vnd` their sum;
- a refund's money out of the bank (the refund executed): `refunded`, with an SMS. Not at
  approval: then the money has only left the request for `refunds_payable`, and a payout can
  still bounce. So the citizen never reads "refunded" about money that did not reach them;
- a refund that could not be paid out: `refund_failed` (its money is the request's again).
  No SMS: the citizen was told nothing about that refund yet;
- `expired`; and any other change of status (a refund approved, a POS void, a match
  undone...): `status_changed`, so a subscriber's copy of the status is never stale. A fee item
  withdrawn from a request that got money (not settling it) is `status_changed` even when the status
  stays: what it asks and owes changed. When it still owes money the citizen's SMS says what is no
  longer asked and what is left to pay (money to be given back is told by the cancellation's SMS).
Every event's data carries `sequence`: the request's history length (payment_request_events,
written under the request's row lock before the announcement), which grows with every
announced change (by their number when several are announced together, so it may skip numbers),
so a receiver can drop an event older than one it already applied. The
same number keys the citizen's SMS: one per announcement (a second `paid` after a void and a
new payment is sent too), and the same one again if the transaction is retried.

Receipts follow the money (payments.receipts): a request that is fully paid and holds no valid
receipt gets one; one that falls short of its amount because money was taken back (a void, a
reversal, a released match) or whose full refund is paid out has its valid receipt cancelled.
A refund only approved cancels nothing yet: its payout can still bounce.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, column, func, select, table

from config import Settings
from kernel.clock import format_local
from kernel.events import publish
from kernel.keysets import among
from kernel.money import format_vnd
from kernel.notify import SENDER, fit, sms
from kernel.outbox import enqueue_many
from payments import states
from payments.models import Dossier, PaymentRequest, PaymentRequestEvent
from payments.receipts import PAYMENT_REVERSED, REFUNDED, cancel_receipts, issue_receipts


@dataclass(frozen=True)
class RequestInfo:
    """What the announcements need to know about a request, as it is now."""

    id: int
    payment_code: str
    amount_vnd: int
    paid_vnd: int
    refunded_vnd: int
    status: str
    dossier_code: str
    applicant_phone: str
    has_receipt: bool | None = None  # a valid (not cancelled) one; None: not known, look it up
    history_length: int | None = None  # its history rows, these changes' included; None: not known, counted


@dataclass(frozen=True)
class Transition:
    request_id: int
    from_status: str | None
    to_status: str
    event: str
    data: dict | None = None  # the history row's data (a refund's id and amount)


# Event types a subscription may name (README, "After the money lands"); patterns over them.
PAYMENT_REQUEST_EVENTS = ("paid", "partially_paid", "overpaid", "refunded", "refund_failed", "expired",
                          "status_changed")
RECEIVED = frozenset({"paid", "partially_paid", "overpaid"})  # the announcements of money received


# Every SMS here fits three UCS-2 segments (201 characters) in its worst case: a 64-character dossier code,
# 500.000.000 ₫ asked, 1.000.000.000.000 ₫ received or in excess (tests/unit/test_payment_sms_worst_case.py).
# So the texts are short: a request with nothing left to pay is named by its dossier alone, one still owing
# by its payment code too (the citizen pays the rest with it).


def _paid_for(kinds: frozenset[str]) -> str:
    """What fee items were for: postage (cước bưu chính) is the post's price, not a fee."""
    if "postage" not in kinds:
        return "phí, lệ phí"
    return "cước bưu chính" if kinds == {"postage"} else "phí, lệ phí và cước bưu chính"


def _over(amount: int, paid: int, refunded: int) -> str:
    """The SMS's sentence on money paid beyond what is asked (the citizen may ask for it back), else ''."""
    extra = paid - refunded - amount
    return f" Tiền thừa {format_vnd(extra)} sẽ được hoàn trả." if extra > 0 else ""


def _text(kind: str, code: str, dossier: str, amount: int, paid: int, refunded: int, money_vnd: int) -> str:
    """The Vietnamese SMS for a paid, partially paid, overpaid or refunded request; `money_vnd` is what was
    received (overpaid) or refunded (refunded) this time."""
    over = _over(amount, paid, refunded)
    if kind == "overpaid":
        # A request asking 0 ₫ (its items withdrawn after it was paid: a cancelled shipment's postage) is not
        # "paid in full 0 ₫": it asks for nothing any more.
        done = f"đã nộp đủ {format_vnd(amount)}" if amount else "không còn khoản phải nộp"
        return f"{SENDER}: Hồ sơ {dossier} {done}, nay nhận thêm {format_vnd(money_vnd)}.{over}"
    if kind == "paid":
        return f"{SENDER}: Hồ sơ {dossier} đã nộp đủ {format_vnd(amount)}, có biên lai điện tử.{over}"
    if kind == "partially_paid":
        return (f"{SENDER}: Đã nhận {format_vnd(paid - refunded)}/{format_vnd(amount)} cho hồ sơ {dossier} "
                f"(mã {code}). Còn thiếu {format_vnd(states.outstanding_vnd(amount, paid, refunded))}.")
    return f"{SENDER}: Đã hoàn trả {format_vnd(money_vnd)} cho hồ sơ {dossier} (mã {code})."


def _settled_text(dossier: str, amount: int, paid: int, refunded: int, withdrawn_vnd: int, withdrawn_for: str) -> str:
    """The Vietnamese SMS for a request settled because what it still owed was withdrawn: that it is no longer
    asked (thôi thu), that the rest is paid in full, and any excess, as the paid SMS says it."""
    return (f"{SENDER}: Thôi thu {format_vnd(withdrawn_vnd)} {withdrawn_for} hồ sơ {dossier}, đã nộp đủ."
            f"{_over(amount, paid, refunded)}")


def _still_owed_text(code: str, dossier: str, owed: int, withdrawn_vnd: int, withdrawn_for: str) -> str:
    """The Vietnamese SMS for a request that got money and, an item withdrawn, still owes some: what is no
    longer asked and what is left to pay."""
    return (f"{SENDER}: Thôi thu {format_vnd(withdrawn_vnd)} {withdrawn_for} hồ sơ {dossier} (mã {code}), "
            f"còn phải nộp {format_vnd(owed)}.")


class Payable(NamedTuple):
    """An open request a text asks the citizen to pay: its code, what it still owes, its deadline, and the
    code(s) it replaces (fees asked again under a new code: money sent to those no longer reaches them)."""
    code: str
    amount_vnd: int
    expires_at: datetime
    replaces: str = ""


def payable_sentence(payable: list[Payable], *, compact: bool = False) -> str:
    """What open requests ask the citizen to pay and by when, for an SMS (no closing full stop: the caller may
    go on): `Vui lòng nộp 8.000 ₫ (mã HS…) trước 30/11/2026 18:08`, a renewal's `(mã mới HS… thay mã HS…)`.
    `compact`: `Nộp 8.000 ₫ (mã HS…) trước …`, the total and how many codes when there are several."""
    deadline = format_local(min(p.expires_at for p in payable))
    if compact:
        which = f"mã {payable[0].code}" if len(payable) == 1 else f"{len(payable)} mã thanh toán"
        return f"Nộp {format_vnd(sum(p.amount_vnd for p in payable))} ({which}) trước {deadline}"
    asks = ", ".join(f"{format_vnd(p.amount_vnd)} (mã mới {p.code} thay mã {p.replaces})" if p.replaces else
                     f"{format_vnd(p.amount_vnd)} (mã {p.code})" for p in payable)
    return f"Vui lòng nộp {asks} trước {deadline}"


def renewed_text(dossier: str, renewal: Payable) -> str:
    """The Vietnamese SMS for fees asked again under a new payment code because the request that asked them
    was cancelled (with a cancelled shipment's postage, `payments.service.withdraw_fee_items`): money sent to
    the old code no longer reaches them (it waits in suspense). Sent to the applicant when the shipment's
    own text (which names it: postal.messages) goes to another phone."""
    code, old, amount = renewal.code, renewal.replaces, format_vnd(renewal.amount_vnd)
    deadline = format_local(renewal.expires_at)
    return fit(f"{SENDER}: Hồ sơ {dossier} có mã thanh toán mới {code} thay mã {old}. "
               f"{payable_sentence([renewal._replace(replaces='')])}.",
               f"{SENDER}: Hồ sơ {dossier}: mã thanh toán mới {code} thay "
               f"{'mã ' + old if ',' not in old else 'mã cũ'}. Nộp {amount} trước {deadline}.")


def after_transitions(conn: Connection, transitions: list[Transition], *, settings: Settings, now: datetime,
                      actor: str = "system", known: dict[int, RequestInfo] | None = None) -> dict[int, bool]:
    """Receipts, SMS and events for the requests whose state just changed (`known`: their current
    state when the caller has it, which saves reading it again). Returns, for each request whose
    receipt was issued or cancelled, whether it now has a valid one."""
    first: dict[int, Transition] = {}
    last: dict[int, Transition] = {}
    released, paid_out = set(), set()  # requests money was taken back from; whose refund was paid out
    paying_out: set[int] = set()  # the refunds being paid out now (still marked as awaiting it)
    received: dict[int, int] = {}  # what these changes put onto each request
    for t in transitions:
        first.setdefault(t.request_id, t)
        last[t.request_id] = t
        if t.event == PAYMENT_RECEIVED and t.data:
            received[t.request_id] = received.get(t.request_id, 0) + t.data["amount_vnd"]
        if t.event in RELEASES:
            released.add(t.request_id)
        elif t.event == REFUND_EXECUTED:
            paid_out.add(t.request_id)
            paying_out.add(t.data["refund_id"])
    if not last:
        return {}
    paid_out -= _awaiting_payout(conn, paid_out, paying_out)  # a receipt stands until all refunded money has left
    if known and all(i in known for i in last):
        infos = [known[i] for i in last]
    else:
        infos = [RequestInfo(*row) for row in conn.execute(
            select(PaymentRequest.id, PaymentRequest.payment_code, PaymentRequest.amount_vnd, PaymentRequest.paid_vnd,
                   PaymentRequest.refunded_vnd, PaymentRequest.status, Dossier.code, Dossier.applicant_phone)
            .join(Dossier, Dossier.id == PaymentRequest.dossier_id).where(PaymentRequest.id.in_(list(last))))]
    to_receipt, to_cancel, messages, events = [], {}, [], []
    receipts_known = all(info.has_receipt is not None for info in infos)
    kinds = {info.id: _kind(first[info.id].from_status, last[info.id], info.amount_vnd) for info in infos}
    sequences = {info.id: info.history_length for info in infos if info.history_length is not None}
    sequences.update(_sequences(conn, [i for i, kind in kinds.items() if kind and i not in sequences]))
    for info in infos:
        request_id, code, amount, paid, refunded = info.id, info.payment_code, info.amount_vnd, info.paid_vnd, \
            info.refunded_vnd
        status, dossier, phone = info.status, info.dossier_code, info.applicant_phone
        began, ended, kind = first[request_id].from_status, last[request_id], kinds[request_id]
        if states.is_settled(status) and not info.has_receipt and amount > 0:  # 0: it asks for nothing (its
            to_receipt.append((request_id, amount))  # items withdrawn): what it holds is to give back, no fee
        elif info.has_receipt is not False and (
                reason := _receipt_cancel_reason(status, request_id in released, request_id in paid_out)):
            to_cancel[request_id] = reason
        if kind is None:
            continue
        data = {"payment_code": code, "dossier_code": dossier, "status": status, "previous_status": began,
                "amount_vnd": amount, "paid_vnd": paid, "refunded_vnd": refunded,
                "outstanding_vnd": states.owed_vnd(status, amount, paid, refunded), "sequence": sequences[request_id]}
        refund = ended.data if kind in ("refunded", "refund_failed") and ended.data else None
        if refund:
            data["refund"] = {"id": refund["refund_id"], "amount_vnd": refund["amount_vnd"]}
        if kind in RECEIVED:
            data["received_vnd"] = received.get(request_id, 0)
        withdrawal = ended.data if ended.event == FEE_WITHDRAWN and ended.data else None
        if withdrawal:
            data["withdrawn_vnd"] = withdrawal["amount_vnd"]
        events.append((f"payment_request.{kind}", data))
        if kind in RECEIVED and withdrawal:  # settled by the withdrawal, not by money: say what is no longer asked
            text = _settled_text(dossier, amount, paid, refunded, withdrawal["amount_vnd"],
                                 _paid_for(frozenset(withdrawal["kinds"])))
            messages.append(sms(phone, text, f"request:{request_id}:{kind}:{sequences[request_id]}"))
        elif kind in RECEIVED:
            text = _text(kind, code, dossier, amount, paid, refunded, received.get(request_id, 0))
            messages.append(sms(phone, text, f"request:{request_id}:{kind}:{sequences[request_id]}"))
        elif withdrawal and paid > refunded and (owed := states.owed_vnd(status, amount, paid, refunded)) > 0:
            # Still short: what is left to pay is the citizen's news. Money paid for the withdrawn item and now
            # to be given back is told by the cancellation's own SMS (postal.messages), not a second time here.
            text = _still_owed_text(code, dossier, owed, withdrawal["amount_vnd"],
                                    _paid_for(frozenset(withdrawal["kinds"])))
            messages.append(sms(phone, text, f"request:{request_id}:withdrawn:{sequences[request_id]}"))
        elif kind == "refunded" and refund:
            text = _text(kind, code, dossier, amount, paid, refunded, refund["amount_vnd"])
            messages.append(sms(phone, text, f"request:{request_id}:refunded:refund:{refund['refund_id']}"))
    cancel_receipts(conn, to_cancel, actor=actor, now=now)
    issue_receipts(conn, to_receipt, settings=settings, now=now, checked=receipts_known)
    enqueue_many(conn, messages, now=now)
    publish(conn, events, now=now)
    return {**{request_id: False for request_id in to_cancel}, **{request_id: True for request_id, _ in to_receipt}}


# Events that take money a request received back off it (payments.credits: a void or reversal, a released match).
RELEASES = frozenset({"payment_reversed", "allocation_released"})


# Refund statuses between asking and paying out (payments.refunds; a test keeps the two in step).
AWAITING_PAYOUT = ("awaiting_approval", "sending", "transfer_ordered", "cash_due")


def _awaiting_payout(conn: Connection, request_ids: set[int], paying_out: set[int]) -> set[int]:
    """Requests with a refund (other than those `paying_out` now) asked for or approved but not yet
    paid out or failed: their money is not all back with the payer, whatever their status counts."""
    if not request_ids:
        return set()
    # The refunds tables by name: payments.refunds builds on this module (through moves).
    parts, refunds = table("refund_parts", column("refund_id"), column("payment_request_id")), \
        table("refunds", column("id"), column("status"))
    return set(conn.execute(select(parts.c.payment_request_id).join(refunds, refunds.c.id == parts.c.refund_id).where(
        parts.c.payment_request_id.in_(sorted(request_ids)), refunds.c.id.not_in(sorted(paying_out)),
        refunds.c.status.in_(AWAITING_PAYOUT))).scalars())


def _receipt_cancel_reason(status: str, released: bool, paid_out: bool) -> str | None:
    """Why a request's valid receipt (if any) no longer stands after its changes, or None if it does.

    Money taken back that leaves the request short of its amount: PAYMENT_REVERSED. A refund
    that leaves nothing paid, once its money is out of the bank: REFUNDED. A partial refund
    leaves the receipt standing (its verify page shows what was refunded)."""
    if states.is_settled(status):
        return None
    if released:
        return PAYMENT_REVERSED
    if paid_out and status == states.REFUNDED:
        return REFUNDED
    return None


def _kind(began: str | None, ended: Transition, amount_vnd: int) -> str | None:
    """Which announcement a change deserves, if any (see the module's docstring); `amount_vnd`: what the
    request asks for now."""
    if ended.to_status == states.EXPIRED:
        return "expired"
    if ended.event == REFUND_EXECUTED:
        return "refunded"
    if ended.event == "refund_failed":
        return "refund_failed"
    if ended.event == PAYMENT_RECEIVED:
        if states.is_settled(ended.to_status):
            # Money for a request already paid (paid twice) is news as much as the first payment.
            already_paid = began is not None and states.is_settled(began)
            return "overpaid" if already_paid and ended.to_status == states.OVERPAID else "paid"
        if ended.to_status in states.OPEN and ended.to_status != states.PENDING:
            return "partially_paid"
    if ended.event == FEE_WITHDRAWN and settled_by_withdrawal(began, ended.to_status, amount_vnd):
        return "paid"  # what it still owed is no longer asked: the fees it asks for are paid in full
    if ended.event == FEE_WITHDRAWN:  # it asks for less, status changed or not: a subscriber's copy must follow
        return "status_changed"
    if began != ended.to_status:
        return "status_changed"
    return None


def settled_by_withdrawal(began: str | None, to_status: str, amount_vnd: int) -> bool:
    """True when withdrawing fee items settles a request that was not settled (`began`) and still asks
    for something: it is announced `paid`, and its SMS names what is no longer asked and any excess."""
    return states.is_settled(to_status) and amount_vnd > 0 and not (began is not None and states.is_settled(began))


PAYMENT_RECEIVED = "payment_received"  # the history row of money put onto a request (payments.moves)
# The history row (and ledger entry, payments.corrections) of fee items a request got money for, withdrawn.
FEE_WITHDRAWN = "fee_withdrawn"
REFUND_EXECUTED = "refund_executed"  # the history row of a refund's payout (no change of money on the request)


# Built once, the ids one parameter (`kernel.keysets`): it runs with every change of state.
_HISTORY_LENGTHS = (select(PaymentRequestEvent.payment_request_id, func.count())
                    .where(among(PaymentRequestEvent.payment_request_id, "ids", integers=True))
                    .group_by(PaymentRequestEvent.payment_request_id))


def _sequences(conn: Connection, request_ids: list[int]) -> dict[int, int]:
    """Each request's history length: its events' order, since every announced change adds to it."""
    ordered, found = sorted(request_ids), {}
    for start in range(0, len(ordered), 1000):  # bounded statements
        found.update(conn.execute(_HISTORY_LENGTHS, {"ids": ordered[start:start + 1000]}).all())
    return found

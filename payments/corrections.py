"""Money already recorded, moved by a decision or a reversal: a payment undone (POS void or
reversal, a statement reversal), suspense money assigned to a request, an allocation taken back
into suspense, a fee item withdrawn from requests that got money for it. Each is one balanced
ledger entry (per payment) under the books lock, stamped like every writer of money
(`kernel.books`); `credits` records money as it arrives and calls `reverse_payment`.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import NamedTuple

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from config import Settings
from kernel.books import books_stamp
from kernel.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from payments import in_time
from payments.ledger import Accounts, Entry, Line, post_many
from payments.models import Payment, PaymentAllocation
from payments.moves import Book, load_requests
from payments.notifications import FEE_WITHDRAWN, settled_by_withdrawal
from payments.service import is_due

ACTIVE, REVERSED = "active", "reversed"  # a payment's status

_PAYMENT = select(Payment.id, Payment.amount_vnd, Payment.unallocated_vnd, Payment.status, Payment.clearing_account,
                  Payment.channel, Payment.suspense_reason).with_for_update()
_ACTIVE_ALLOCATIONS = select(PaymentAllocation.id, PaymentAllocation.payment_request_id, PaymentAllocation.amount_vnd) \
    .where(PaymentAllocation.released_at.is_(None)).order_by(PaymentAllocation.id)


class Assigned(NamedTuple):
    """What `assign_from_suspense` did: the amount, and the over-payment confirmed (for the audit record)."""

    amount_vnd: int
    overpayment_confirmed: list[dict]  # as `refuse_unconfirmed_overpayment` returns it


def _locked_payment(conn: Connection, payment_id: int):
    row = conn.execute(_PAYMENT.where(Payment.id == payment_id)).one_or_none()
    if row is None:
        raise NotFound(f"no payment {payment_id}", code="payment_not_found")
    return row


def reverse_payment(session: Session, *, payment_id: int, reversal_ref: str, settings: Settings, actor: str,
                    now: datetime) -> bool:
    """Undo a payment (POS void/reversal) by one reversing entry; False if it was already undone."""
    stamp = books_stamp(session, now)
    session.flush()
    conn = session.connection()
    payment = _locked_payment(conn, payment_id)
    if payment.status == REVERSED:
        return False
    from payments.refunds import withdraw_refunds  # late: refunds build on credits (through cash)

    if withdraw_refunds(session, payment_id=payment_id, reversal_ref=reversal_ref, settings=settings, actor=actor,
                        now=now):
        payment = _locked_payment(conn, payment_id)  # the refunds' money is back where it came from
    book = Book(conn, actor=actor, now=now, settings=settings)
    allocations = conn.execute(_ACTIVE_ALLOCATIONS.where(PaymentAllocation.payment_id == payment_id)).all()
    by_id = {s.id: s for s in load_requests(conn, ids={a.payment_request_id for a in allocations})}
    lines = [Line(payment.clearing_account, credit_vnd=payment.amount_vnd)]
    for allocation in allocations:
        lines += book.release(by_id[allocation.payment_request_id], allocation_id=allocation.id,
                              payment_id=payment_id, amount_vnd=allocation.amount_vnd, event="payment_reversed")
    if payment.unallocated_vnd:
        lines.append(Line(Accounts.SUSPENSE, debit_vnd=payment.unallocated_vnd))
    book.flush()
    conn.execute(update(Payment).where(Payment.id == payment_id).values(
        status=REVERSED, reversed_at=now, reversal_ref=reversal_ref, unallocated_vnd=0))
    post_many(conn, [Entry("reversal", lines, stamp, actor, f"reversal {reversal_ref}", payment_id)])
    session.expire_all()
    return True


def check_unallocated(conn: Connection, payment_id: int, expected_vnd: int | None) -> None:
    """Refuse a decision taken on what a page showed in suspense when that has changed since (the
    same form sent twice, or another person first): under the payment's lock, so two at once see
    each other. None: the caller saw nothing to compare."""
    if expected_vnd is None:
        return
    unallocated = _locked_payment(conn, payment_id).unallocated_vnd
    if unallocated != expected_vnd:
        raise PreconditionFailed(f"the payment now has {unallocated:,} VND in suspense, not {expected_vnd:,} VND: "
                                 "someone (or the same form, sent again) changed it; look again",
                                 code="suspense_changed", details={"unallocated_vnd": unallocated})


def refuse_unconfirmed_overpayment(session: Session, allocations: list[tuple[str, int | None]],
                                   unallocated_vnd: int, now: datetime,
                                   confirmed: Mapping[str, int] | None = None, *, payment_id: int) -> list[dict]:
    """Money assigned from suspense (a statement line's match, an unmatch undone included) onto a request
    already paid, or beyond what it still owes, makes it overpaid: the citizen is told by SMS and the excess
    must be refunded. Usually a wrong code, so it is refused (409 `confirmation_required`, with what each
    request of the call owes: `outstanding_by_code`) unless finance confirmed it. A confirmation names what
    it confirms (`confirmed`: code -> what the request owed when finance was asked): one that no longer
    describes the requests (money came or left since) is refused again (409 `confirmation_stale`, with
    the fresh amounts), so nobody overpays by more than they saw. `allocations`: (code, amount or None
    for all `unallocated_vnd`). Checked before anything moves, on the requests locked as the credit will
    lock them (ordered by id). Returns the over-payments confirmed (for the audit record), [] for none.
    `payment_id`: the money's payment: a statement line's is judged when the bank booked it (`in_time`), so a
    request whose expiry it beat takes it, and is asked about like any other."""
    wanted: dict[str, int] = {}
    for code, amount in allocations:
        wanted[code] = wanted.get(code, 0) + (unallocated_vnd if amount is None else amount)
    session.flush()
    conn = session.connection()
    at, lapsed = in_time.for_payment(conn, payment_id, wanted, now)  # the dossiers before the requests
    found = load_requests(conn, codes=wanted)
    reopenable = in_time.reopenable(conn, lapsed)
    # A request not found, or one that cannot take money (a pending one past its time included: the credit
    # expires it first), is refused by the credit with its own error; asking first to confirm another row
    # would only lead there, and the checkbox would be gone once that row is fixed.
    if len(found) < len(wanted) or not all(
            in_time.reopens(state, at, reopenable)
            or state.creditable and not is_due(state.status, state.expires_at, at or now) for state in found):
        return []
    owed = {state.payment_code: state.outstanding_vnd for state in found}
    status = {state.payment_code: state.status for state in found}
    asked = partial(_asked, wanted=wanted, owed=owed, status=status)
    over = [code for code in wanted if wanted[code] > owed[code]]
    if not over:  # a code corrected after the warning: nothing left to confirm, whatever the page still names
        return []
    if confirmed is not None and (not confirmed or not set(confirmed) <= set(wanted)):
        raise ValidationError("confirmed_outstanding_vnd names what each request of this call owed when you were "
                              "asked (details.outstanding_by_code of the 409)", code="invalid_parameter",
                              details={"parameter": "confirmed_outstanding_vnd"})
    # Stale: a request this call overpays that owes something else than confirmed. One it does not overpay
    # (other money reached it, it still owes at least what it gets) changes no over-payment confirmed.
    stale = [code for code in over if code in (confirmed or {}) and confirmed[code] != owed[code]]
    if stale:
        code = stale[0]
        raise Conflict(f"request {code} now owes {owed[code]} VND, not the {confirmed[code]} VND confirmed: look "
                       "again and confirm what it owes now", code="confirmation_stale",
                       details={**asked(code), "confirmed_vnd": confirmed[code]})
    unconfirmed = [code for code in over if confirmed is None or code not in confirmed]
    if unconfirmed:
        details = asked(unconfirmed[0])
        raise Conflict(f"request {details['payment_code']} ({details['status']}) owes {details['outstanding_vnd']} "
                       f"VND: assigning {details['amount_vnd']} VND overpays it by {details['overpayment_vnd']} VND; "
                       "send confirm_overpayment: true with confirmed_outstanding_vnd (details.outstanding_by_code) "
                       "to do it anyway", code="confirmation_required", details=details)
    return [{key: value for key, value in asked(code).items()
             if key not in ("status", "outstanding_by_code", "overpayment_by_code")} for code in over]


def _asked(code: str, *, wanted: dict[str, int], owed: dict[str, int], status: dict[str, str]) -> dict:
    """A 409's details for one request of the call, with what every request of it owes (`outstanding_by_code`)
    and by how much each one it overpays would be overpaid (`overpayment_by_code`)."""
    return {"payment_code": code, "status": status[code], "outstanding_vnd": owed[code], "amount_vnd": wanted[code],
            "overpayment_vnd": max(wanted[code] - owed[code], 0),
            "outstanding_by_code": {c: owed[c] for c in wanted},
            "overpayment_by_code": {c: wanted[c] - owed[c] for c in wanted if wanted[c] > owed[c]}}


def overpayment_note(confirmed: list[dict]) -> dict:
    """What an audit record of money moved says of an over-payment finance confirmed: nothing when none."""
    return {"overpayment_confirmed": confirmed} if confirmed else {}


def assign_from_suspense(session: Session, *, payment_id: int, payment_code: str, amount_vnd: int | None,
                         settings: Settings, actor: str, now: datetime, expected_unallocated_vnd: int | None = None,
                         confirmed_outstanding_vnd: Mapping[str, int] | None = None,
                         overpayment_checked: bool = False) -> Assigned:
    """Credit (part of) a payment waiting in suspense to a request, as finance decided. Onto a request already
    paid, or beyond what it owes, only as confirmed (`confirmed_outstanding_vnd`, see
    `refuse_unconfirmed_overpayment`); `overpayment_checked`: the caller checked it for several at once."""
    stamp = books_stamp(session, now)
    session.flush()
    conn = session.connection()
    check_unallocated(conn, payment_id, expected_unallocated_vnd)
    payment = _locked_payment(conn, payment_id)
    if payment.status != ACTIVE or payment.unallocated_vnd == 0:
        raise Conflict("this payment has nothing left in suspense", code="nothing_in_suspense",
                       details={"unallocated_vnd": payment.unallocated_vnd})
    amount = payment.unallocated_vnd if amount_vnd is None else amount_vnd
    if amount > payment.unallocated_vnd:
        raise ValidationError(f"only {payment.unallocated_vnd} VND of this payment is in suspense",
                              code="amount_exceeds_suspense", details={"unallocated_vnd": payment.unallocated_vnd})
    refuse_if_claimed_by_refund(conn, payment, amount)
    at, lapsed = in_time.for_payment(conn, payment_id, [payment_code], now)  # before the request's lock
    confirmed = [] if overpayment_checked else refuse_unconfirmed_overpayment(
        session, [(payment_code, amount)], payment.unallocated_vnd, now, confirmed_outstanding_vnd,
        payment_id=payment_id)
    book = Book(conn, actor=actor, now=now, settings=settings)
    [state] = load_requests(conn, codes=[payment_code]) or [None]
    if state is None:
        raise NotFound(f"no payment request with code {payment_code}", code="payment_request_not_found")
    book.expire_if_due(state, at)  # a statement line's money is judged when the bank booked it
    if in_time.reopens(state, at, in_time.reopenable(conn, lapsed)):
        book.undo_expiry(state, at)
    if not state.creditable:
        book.flush()
        raise Conflict(f"the request is {state.status}: it cannot receive money; renew it first",
                       code="request_not_creditable", details={"status": state.status})
    lines = [Line(Accounts.SUSPENSE, debit_vnd=amount)]
    lines += book.credit(state, payment_id=payment_id, amount_vnd=amount, how="manual", channel=payment.channel)
    book.flush()
    left = payment.unallocated_vnd - amount
    conn.execute(update(Payment).where(Payment.id == payment_id).values(
        unallocated_vnd=left, **({} if left else {"suspense_reason": None})))
    post_many(conn, [Entry("suspense_assignment", lines, stamp, actor, None, payment_id, state.id)])
    session.expire_all()
    return Assigned(amount, confirmed)


def refuse_if_claimed_by_refund(conn: Connection, payment, amount_vnd: int) -> None:
    """Suspense money a refund waiting for approval names is decided: its approval takes it from
    suspense (`refunds.suspense_claims`). Assigned to a request meanwhile, the approval took that
    request's money instead and refunded a fee the citizen had paid; written off, the approval
    failed. Refused until the approver decides (a rejection frees it); the caller holds the payment's
    lock, so a refund asked at once waits for this."""
    from payments.refunds import suspense_claimed_vnd  # late: refunds build on credits (through cash)

    claimed, first = suspense_claimed_vnd(conn, [payment.id]).get(payment.id, (0, None))
    if amount_vnd > payment.unallocated_vnd - claimed:
        raise Conflict(f"a refund waiting for approval names {claimed:,} VND of this payment's suspense money: "
                       "ask the approver to decide it before deciding on this money",
                       code="suspense_claimed_by_refund",
                       details={"unallocated_vnd": payment.unallocated_vnd, "refund_awaiting_vnd": claimed,
                                "refund_id": first})


def release_to_suspense(session: Session, *, allocation_id: int, reason: str, settings: Settings, actor: str,
                        now: datetime) -> int:
    """Take an allocation back off its request into suspense (a wrong match undone); returns the payment id."""
    stamp = books_stamp(session, now)
    session.flush()
    conn = session.connection()
    payment_id = conn.execute(select(PaymentAllocation.payment_id)
                              .where(PaymentAllocation.id == allocation_id)).scalar_one_or_none()
    if payment_id is None:
        raise NotFound(f"no allocation {allocation_id}", code="allocation_not_found")
    # The payment before its allocation, as a void (reverse_payment) and every other writer of a payment
    # lock them: the allocation first deadlocked with a void of the same payment on PostgreSQL.
    payment = _locked_payment(conn, payment_id)
    allocation = conn.execute(select(PaymentAllocation.payment_id, PaymentAllocation.payment_request_id,
                                     PaymentAllocation.amount_vnd, PaymentAllocation.released_at)
                              .where(PaymentAllocation.id == allocation_id).with_for_update()).one()
    if allocation.released_at is not None:
        raise Conflict("this allocation was already released", code="allocation_released")
    from payments.refunds import NOT_COUNTED, Refund, RefundPart  # late: refunds build on credits (through cash)
    refunded = conn.execute(select(RefundPart.id).join(Refund, Refund.id == RefundPart.refund_id).where(
        RefundPart.allocation_id == allocation_id, Refund.status.not_in(NOT_COUNTED)).limit(1)).first()
    if refunded is not None:  # part of it went back to the payer: releasing all of it would move money twice
        raise Conflict("some of this allocation was refunded: it can no longer be taken off its request",
                       code="allocation_refunded")
    if payment.status != ACTIVE:
        raise Conflict("the payment was reversed", code="payment_reversed")
    book = Book(conn, actor=actor, now=now, settings=settings)
    [state] = load_requests(conn, ids=[allocation.payment_request_id])
    lines = book.release(state, allocation_id=allocation_id, payment_id=allocation.payment_id,
                         amount_vnd=allocation.amount_vnd, event="allocation_released")
    lines.append(Line(Accounts.SUSPENSE, credit_vnd=allocation.amount_vnd))
    book.flush()
    conn.execute(update(Payment).where(Payment.id == allocation.payment_id).values(
        unallocated_vnd=payment.unallocated_vnd + allocation.amount_vnd, suspense_reason="released"))
    post_many(conn, [Entry("allocation_release", lines, stamp, actor, reason[:500], allocation.payment_id,
                           state.id)])
    session.expire_all()
    return allocation.payment_id


def _active_payment_to_correct(session: Session, payment_id: int, now: datetime):
    """(books stamp, connection, the payment locked) for a correction of its amount; a reversed one is refused."""
    stamp = books_stamp(session, now)
    session.flush()
    conn = session.connection()
    payment = _locked_payment(conn, payment_id)
    if payment.status != ACTIVE:
        raise Conflict("the payment was reversed", code="payment_reversed")
    return stamp, conn, payment


def reduce_payment(session: Session, *, payment_id: int, amount_vnd: int, reason: str, settings: Settings,
                   actor: str, now: datetime, suspense_only: bool = False, kind: str = "payment_corrected") -> dict:
    """Take `amount_vnd` out of a payment recorded for more than the bank received (a callback that claimed
    more than the statement shows): from its suspense first, then off its requests, newest allocation first
    (each keeps the rest as a new allocation, found as before). One balanced entry: the clearing account
    gives back what never came, suspense and the requests' revenue what they held of it. Refused while a
    refund claims the payment (its money may have left). `suspense_only` (a surplus booked into suspense,
    taken back out): refused when suspense no longer holds it all (finance moved it; undo that first).
    Returns what moved, for the decision's record."""
    stamp, conn, payment = _active_payment_to_correct(session, payment_id, now)
    from payments.refunds import NOT_COUNTED, Refund  # late: refunds build on credits (through cash)
    claimed = conn.execute(select(func.min(Refund.id)).where(Refund.payment_id == payment_id,
                                                             Refund.status.not_in(NOT_COUNTED))).scalar()
    if claimed is not None:
        raise Conflict("a refund claims this payment's money: reject it (or mark it failed) first",
                       code="payment_has_refunds", details={"refund_id": claimed})
    from_suspense = min(payment.unallocated_vnd, amount_vnd)
    if suspense_only and from_suspense < amount_vnd:
        raise Conflict(f"only {payment.unallocated_vnd:,} VND of the {amount_vnd:,} VND booked into suspense is "
                       "still there: undo what moved it first", code="suspense_changed",
                       details={"unallocated_vnd": payment.unallocated_vnd, "amount_vnd": amount_vnd})
    lines = [Line(payment.clearing_account, credit_vnd=amount_vnd)]
    if from_suspense:
        lines.append(Line(Accounts.SUSPENSE, debit_vnd=from_suspense))
    book, left, taken = Book(conn, actor=actor, now=now, settings=settings), amount_vnd - from_suspense, []
    if left:
        allocations = conn.execute(select(PaymentAllocation.id, PaymentAllocation.payment_request_id,
                                          PaymentAllocation.amount_vnd, PaymentAllocation.how)
                                   .where(PaymentAllocation.payment_id == payment_id,
                                          PaymentAllocation.released_at.is_(None))
                                   .order_by(PaymentAllocation.id.desc()).with_for_update()).all()
        by_id = {s.id: s for s in load_requests(conn, ids={a.payment_request_id for a in allocations})}
        for allocation in allocations:
            if not left:
                break
            part = min(left, allocation.amount_vnd)
            state = by_id[allocation.payment_request_id]
            lines += book.take_back(state, allocation_id=allocation.id, payment_id=payment_id,
                                    allocated_vnd=allocation.amount_vnd, amount_vnd=part, how=allocation.how)
            taken.append({"allocation_id": allocation.id, "payment_code": state.payment_code, "amount_vnd": part,
                          "kept_vnd": allocation.amount_vnd - part})
            left -= part
    if left:  # more than the payment holds: nothing was written (the caller checked the amount)
        raise Conflict("the payment holds less than the amount to take out (part was written off): undo that first",
                       code="amount_exceeds_payment")
    book.flush()
    for row in taken:  # the new allocation that keeps the rest of each one taken from
        row["kept_allocation_id"] = conn.execute(select(func.max(PaymentAllocation.id)).where(
            PaymentAllocation.payment_id == payment_id, PaymentAllocation.released_at.is_(None),
            PaymentAllocation.amount_vnd == row["kept_vnd"])).scalar() if row["kept_vnd"] else None
    conn.execute(update(Payment).where(Payment.id == payment_id).values(
        amount_vnd=payment.amount_vnd - amount_vnd, unallocated_vnd=payment.unallocated_vnd - from_suspense,
        **({"suspense_reason": None} if from_suspense and from_suspense == payment.unallocated_vnd else {})))
    post_many(conn, [Entry(kind, lines, stamp, actor, reason[:500], payment_id)])
    session.expire_all()
    return {"from_vnd": payment.amount_vnd, "to_vnd": payment.amount_vnd - amount_vnd,
            "from_suspense_vnd": from_suspense, "taken_back": taken}


def increase_payment(session: Session, *, payment_id: int, amount_vnd: int, reason: str, actor: str,
                     now: datetime, suspense_reason: str, kind: str = "payment_corrected") -> dict:
    """The payment is worth `amount_vnd` more (the bank received more than its callback claimed, or a
    `reduce_payment` undone): the difference waits in suspense (`suspense_reason`) for finance to match,
    refund or write off; nothing is put onto a request blindly. One balanced entry: the clearing account
    holds what came, suspense owes it."""
    stamp, conn, payment = _active_payment_to_correct(session, payment_id, now)
    conn.execute(update(Payment).where(Payment.id == payment_id).values(
        amount_vnd=payment.amount_vnd + amount_vnd, unallocated_vnd=payment.unallocated_vnd + amount_vnd,
        suspense_reason=suspense_reason))
    post_many(conn, [Entry(kind, [Line(payment.clearing_account, debit_vnd=amount_vnd),
                                  Line(Accounts.SUSPENSE, credit_vnd=amount_vnd)], stamp, actor, reason[:500],
                           payment_id)])
    session.expire_all()
    return {"from_vnd": payment.amount_vnd, "to_vnd": payment.amount_vnd + amount_vnd, "to_suspense_vnd": amount_vnd,
            "previous_reason": payment.suspense_reason}


def restore_payment(session: Session, *, payment_id: int, amount_vnd: int, reason: str, actor: str,
                    now: datetime) -> None:
    """`reduce_payment` undone: the payment is worth `amount_vnd` more again, the difference waiting in
    suspense (`released`) for finance to match — what it was taken off is not put back blindly."""
    increase_payment(session, payment_id=payment_id, amount_vnd=amount_vnd, reason=reason, actor=actor, now=now,
                     suspense_reason="released", kind="payment_correction_undone")


def withdraw_from_paid_requests(session: Session, *, request_ids: list[int], fee_item_ids: frozenset[int],
                                reason: str, settings: Settings, actor: str, now: datetime) -> int:
    """Stop asking for fee items in requests that got money for them (`Book.withdraw_items`): each asks for
    that much less, and what it received for them is an over-payment in the day's exception queue until
    finance refunds it. One entry per payment whose money moved, stamped like any correction: money of a
    closed day moves in the next open one (`reconciliation.counting.adjusted_in`). The caller holds the
    books (`kernel.books.hold_books`, taken before its other locks). Returns the over-payment this made
    (what the requests received for the items; none when a part payment does not reach the rest) that no
    SMS of the request's own names: one the withdrawal settles is announced paid, with its excess
    (`payments.notifications.settled_by_withdrawal`), and the citizen is told the refund once."""
    stamp = books_stamp(session, now)
    session.flush()
    conn = session.connection()
    book = Book(conn, actor=actor, now=now, settings=settings)
    entries, overpaid = [], 0
    for state in load_requests(conn, ids=request_ids):
        status_before, excess_before = state.status, state.excess_vnd
        shares = conn.execute(select(PaymentAllocation.payment_id, PaymentAllocation.amount_vnd).where(
            PaymentAllocation.payment_request_id == state.id, PaymentAllocation.released_at.is_(None))
            .order_by(PaymentAllocation.id)).all()
        for payment_id, lines in book.withdraw_items(state, fee_item_ids=fee_item_ids, shares=shares):
            entries.append(Entry(FEE_WITHDRAWN, lines, stamp, actor, reason[:500], payment_id, state.id))
        if not settled_by_withdrawal(status_before, state.status, state.amount_vnd):
            overpaid += state.excess_vnd - excess_before  # what it got for the items, now to give back
    book.flush()
    post_many(conn, entries)
    session.expire_all()
    return overpaid

"""Refunds: money a payer gets back (an over-payment, a refused dossier, a payment in error).

The request names what it believes is refundable (`expected_refundable_vnd`); if that is no
longer true the answer is 412 (GOV.UK Pay's guard against double refunds). Above a
threshold a different person with the approver role must approve. Once approved the money
leaves the request (or suspense) for `refunds_payable`; it leaves the bank when the refund
is executed: card refunds through the acquirer's refund call (via the outbox), transfers as
an order finance executes and marks with the bank reference, cash at the counter.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from config import Settings
from kernel import audit
from kernel.auth import same_principal
from kernel.books import hold_books, stamp_after_closes
from kernel.db import PK, Base, BigIntPK
from kernel.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationError
from kernel.outbox import DONE as OUTBOX_DONE, PENDING as OUTBOX_PENDING, OutboxMessage, Outgoing, enqueue_many, \
    guard_replays
from payments.cash import drawer_for, hand_out
from payments.ledger import Accounts, Entry, Line, post_many
from payments.models import CashDrawer, Payment, PaymentAllocation, PaymentRequest
from payments.moves import Book, load_requests

AWAITING_APPROVAL, SENDING, TRANSFER_ORDERED, CASH_DUE, EXECUTED, REJECTED, FAILED = (
    "awaiting_approval", "sending", "transfer_ordered", "cash_due", "executed", "rejected", "failed")
STATUSES = (AWAITING_APPROVAL, SENDING, TRANSFER_ORDERED, CASH_DUE, EXECUTED, REJECTED, FAILED)
NOT_COUNTED = (REJECTED, FAILED)  # refunds that no longer claim any of the payment
PAYING_OUT = (SENDING, TRANSFER_ORDERED, CASH_DUE)  # approved (the request counts them), the money not yet out
POS_REFUND_TOPIC = "pos.refund"
METHODS = {"pos_card": "card", "cash": "cash", "vietqr_transfer": "transfer", "internet_banking": "transfer",
           "cod": "transfer"}  # money the post collected goes back by transfer


# Told when a refund claims a payment's money or gives it back (asked, approved, rejected, failed):
# reconciliation re-reads the statement line carrying that money, which the refund settles or opens
# again (registered at import; payments does not import reconciliation).
_WATCHERS: list[Callable[[Session, int], None]] = []


def on_refund_changed(watcher: Callable[[Session, int], None]) -> None:
    """Register `watcher(session, payment_id)`, called when a refund of that payment is asked for or decided."""
    if watcher not in _WATCHERS:
        _WATCHERS.append(watcher)


# Asked before a refund of a payment is recorded, under the payment's lock: reconciliation refuses one
# of a payment whose statement line shows less than its callback claimed (money that never arrived).
_GUARDS: list[Callable[[Session, Payment], None]] = []


def on_refund_asked(guard: Callable[[Session, Payment], None]) -> None:
    """Register `guard(session, payment)`, which raises to refuse a refund of that payment."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def _refund_changed(session: Session, refund: Refund) -> None:
    session.flush()
    for watcher in _WATCHERS:
        watcher(session, refund.payment_id)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[PK]
    payment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payments.id"), index=True)
    amount_vnd: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10))  # card | transfer | cash
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    executed_at: Mapped[datetime | None]
    executed_by: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))  # bank reference or acquirer refund id
    failure: Mapped[str | None] = mapped_column(Text)
    # Where a transfer goes when finance switched a cash refund to one (refund_payees): bank, account, holder.
    payee_bank_bin: Mapped[str | None] = mapped_column(String(6))
    payee_account: Mapped[str | None] = mapped_column(String(19))
    payee_name: Mapped[str | None] = mapped_column(String(100))

    parts: Mapped[list[RefundPart]] = relationship(lazy="selectin", order_by="RefundPart.id")


class RefundPart(Base):
    """Where an approved refund's money came from: a request (through an allocation) or suspense."""

    __tablename__ = "refund_parts"

    id: Mapped[PK]
    refund_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("refunds.id"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payment_allocations.id"), index=True)
    payment_request_id: Mapped[int | None] = mapped_column(BigIntPK)
    amount_vnd: Mapped[int]


def refundable_vnd(session: Session, payment: Payment) -> int:
    """What can still be refunded: what the payment still holds (_sources, net of what every refund
    not rejected or failed names, those waiting for approval included) less refunds asked before round
    18 that wait for approval naming nothing yet. Money written off or otherwise gone is not advertised."""
    if payment.status != "active":
        return 0
    return max(0, sum(available for _, available in _sources(session, payment)) - _unplanned_waiting(session, payment))


def _unplanned_waiting(session: Session, payment: Payment) -> int:
    """Refunds waiting for approval that name no parts (asked before refunds named what they refund):
    they still claim their amount, planned when approved."""
    named = select(RefundPart.id).where(RefundPart.refund_id == Refund.id).exists()
    return int(session.execute(select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(
        Refund.payment_id == payment.id, Refund.status == AWAITING_APPROVAL, ~named)).scalar_one())


def _sources(session: Session, payment: Payment) -> list[tuple[PaymentAllocation | None, int]]:
    """Where a refund's money can come from, in the order it is taken: suspense (None), then the
    active allocations newest first, each less what refunds not rejected or failed already name of it
    (a refund waiting for approval keeps what it named: a later one approved first takes other money)."""
    suspense = payment.unallocated_vnd - int(session.execute(
        select(func.coalesce(func.sum(RefundPart.amount_vnd), 0)).join(Refund, Refund.id == RefundPart.refund_id)
        .where(Refund.payment_id == payment.id, Refund.status == AWAITING_APPROVAL,
               RefundPart.allocation_id.is_(None))).scalar_one())
    head = [(None, suspense)] if suspense > 0 else []
    return head + _refundable_allocations(session, payment)


def suspense_claims():
    """(payment_id, vnd) rows: the suspense money each refund waiting for approval names (one asked
    before refunds named their parts claims its whole amount, as then). Deciding that money (assigning,
    writing off) waits for the approver; the rest of the payment's suspense is free."""
    named = select(Refund.payment_id.label("payment_id"), RefundPart.amount_vnd.label("vnd")).join(
        RefundPart, RefundPart.refund_id == Refund.id).where(Refund.status == AWAITING_APPROVAL,
                                                             RefundPart.allocation_id.is_(None))
    unnamed = select(Refund.payment_id.label("payment_id"), Refund.amount_vnd.label("vnd")).where(
        Refund.status == AWAITING_APPROVAL, ~select(RefundPart.id).where(RefundPart.refund_id == Refund.id).exists())
    return named.union_all(unnamed).subquery()


def suspense_claimed_vnd(session_or_conn, payment_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """payment id -> (suspense money refunds waiting for approval claim, the first such refund's id)."""
    claims = suspense_claims()
    first = select(Refund.payment_id, func.min(Refund.id).label("refund_id")).where(
        Refund.status == AWAITING_APPROVAL).group_by(Refund.payment_id).subquery()
    rows = session_or_conn.execute(
        select(claims.c.payment_id, func.sum(claims.c.vnd), func.min(first.c.refund_id))
        .join(first, first.c.payment_id == claims.c.payment_id)
        .where(claims.c.payment_id.in_(sorted(payment_ids))).group_by(claims.c.payment_id)).all()
    return {pid: (int(vnd), rid) for pid, vnd, rid in rows if vnd}


def _name_parts(session: Session, refund: Refund, payment: Payment) -> None:
    """Name where the refund's money comes from, when it is asked (suspense first: the excess goes back
    before a fee, then the newest allocations): an approval takes exactly these, whatever the order of
    approvals, so a later refund approved first never takes the money an earlier one named."""
    remaining = refund.amount_vnd
    for allocation, available in _sources(session, payment):
        if not remaining:
            break
        take = min(remaining, available)
        session.add(RefundPart(refund_id=refund.id, amount_vnd=take, allocation_id=allocation and allocation.id,
                               payment_request_id=allocation and allocation.payment_request_id))
        remaining -= take
    if remaining:
        raise Conflict("the payment no longer holds enough to refund", code="refundable_changed")
    session.flush()
    session.refresh(refund, ["parts"])


def request_refund(session: Session, *, payment_id: int, amount_vnd: int, reason: str, expected_refundable_vnd: int,
                   settings: Settings, actor: str, now: datetime) -> Refund:
    """Ask for a refund; it proceeds at once under the threshold, else waits for an approver."""
    hold_books(session)  # before the payment's lock: a refund moves money (kernel.books)
    payment = session.get(Payment, payment_id, with_for_update=True)  # serialises refunds of one payment
    if payment is None:
        raise NotFound(f"no payment {payment_id}", code="payment_not_found")
    for guard in _GUARDS:
        guard(session, payment)
    refundable = refundable_vnd(session, payment)
    if expected_refundable_vnd != refundable:
        raise PreconditionFailed(
            f"the refundable amount is now {refundable:,} VND, not {expected_refundable_vnd:,} VND: "
            "someone else changed it; look again before refunding",
            code="refundable_changed", details={"refundable_vnd": refundable})
    if amount_vnd > refundable:
        raise ValidationError(f"at most {refundable:,} VND of this payment can be refunded",
                              code="amount_exceeds_refundable", details={"refundable_vnd": refundable})
    total = amount_vnd + _claimed_alongside(session, payment)
    refund = Refund(payment_id=payment.id, amount_vnd=amount_vnd, reason=reason, method=METHODS[payment.channel],
                    status=AWAITING_APPROVAL, requested_by=actor, requested_at=now)
    session.add(refund)
    session.flush()
    _name_parts(session, refund, payment)
    if total <= settings.refund_approval_threshold_vnd:
        _proceed(session, refund, payment, settings=settings, actor=actor, now=now)
    _refund_changed(session, refund)
    return refund


def _claimed_alongside(session: Session, payment: Payment) -> int:
    """What refunds (asked, in progress or done; not rejected or failed) already claim from this payment
    and from every payment to the same requests. The four-eyes threshold applies to that total plus the
    new refund, so one person cannot refund a large payment alone by splitting it, or by refunding each
    of several payments to one request."""
    request_ids = sorted({a.payment_request_id for a in payment.allocations})
    payment_ids = {payment.id}
    if request_ids:
        # Refunds of another payment to the same request lock that payment, not this one: the
        # requests' rows serialise them (in the one lock order: payment, then requests by id).
        session.execute(select(PaymentRequest.id).where(PaymentRequest.id.in_(request_ids))
                        .order_by(PaymentRequest.id).with_for_update())
        payment_ids |= set(session.execute(select(PaymentAllocation.payment_id).where(
            PaymentAllocation.payment_request_id.in_(request_ids))).scalars())
    return int(session.execute(select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(
        Refund.payment_id.in_(sorted(payment_ids)), Refund.status.not_in(NOT_COUNTED))).scalar_one())


def audit_refund(session: Session, action: str, refund: Refund, *, actor: str, now: datetime,
                 reason: str | None = None) -> None:
    """One audit row for a person's step on a refund (asked, approved, rejected, executed, failed)."""
    audit.record(session, actor=actor, action=action, subject_type="refund", subject_id=refund.id, at=now,
                 reason=reason, data={"payment_id": refund.payment_id, "amount_vnd": refund.amount_vnd,
                                      "status": refund.status})


PAID_OUT_BY = {"transfer": "finance", "cash": "cashier"}  # card: the acquirer, never a person


def check_payer(refund: Refund, roles: frozenset[str], outcome: str) -> None:
    """The one rule for a person's verdict on a payout (`outcome` executed or failed): finance for a
    transfer, a cashier for cash; a card refund completes or fails through the acquirer alone."""
    needed = PAID_OUT_BY.get(refund.method)
    if needed is None or needed not in roles:
        raise Forbidden(f"a {refund.method} refund is marked {outcome} by the {needed or 'acquirer'}",
                        code="wrong_role_for_method", details={"method": refund.method})


def check_executor(refund: Refund, roles: frozenset[str], reference: str | None) -> None:
    """Who may mark the payout executed (check_payer), and a transfer names its bank reference."""
    check_payer(refund, roles, "executed")
    if refund.method == "transfer" and not reference:
        raise ValidationError("bank_reference is required for a transfer", code="missing_field")


def get_refund(session: Session, refund_id: int, *, for_update: bool = False) -> Refund:
    refund = session.get(Refund, refund_id, with_for_update=for_update)
    if refund is None:
        raise NotFound(f"no refund {refund_id}", code="refund_not_found")
    return refund


def decide(session: Session, *, refund_id: int, approve: bool, reason: str | None, settings: Settings, actor: str,
           now: datetime) -> Refund:
    """An approver approves or rejects a refund someone else asked for."""
    hold_books(session)
    refund = get_refund(session, refund_id, for_update=True)
    if refund.status != AWAITING_APPROVAL:
        raise Conflict(f"this refund is {refund.status}, not awaiting approval", code="refund_not_awaiting_approval")
    if same_principal(refund.requested_by, actor):  # the same person, whatever name they go by now
        raise Forbidden("a refund must be approved by someone other than the person who asked for it",
                        code="same_person")
    refund.decided_by, refund.decided_at = actor, now
    if not approve:
        refund.status, refund.failure = REJECTED, reason
    else:
        payment = session.get(Payment, refund.payment_id, with_for_update=True, populate_existing=True)  # as locked
        _proceed(session, refund, payment, settings=settings, actor=actor, now=now)
    _refund_changed(session, refund)
    return refund


def _proceed(session: Session, refund: Refund, payment: Payment, *, settings: Settings, actor: str,
             now: datetime) -> None:
    """The money leaves the request(s) and suspense for refunds_payable; payout is set in motion."""
    if payment.status != "active":
        raise Conflict("the payment was reversed: nothing is left to refund", code="refundable_changed")
    if not refund.parts:  # asked before refunds named their parts: named now, as then
        _name_parts(session, refund, payment)
    conn = session.connection()
    book = Book(conn, actor=actor, now=now, settings=settings)
    lines = [Line(Accounts.REFUNDS_PAYABLE, credit_vnd=refund.amount_vnd)]
    for part in refund.parts:
        if part.allocation_id is None:
            if payment.unallocated_vnd < part.amount_vnd:  # guarded (suspense_claimed_by_refund); never negative
                raise Conflict("the payment's suspense no longer holds what this refund named",
                               code="refundable_changed")
            lines.append(Line(Accounts.SUSPENSE, debit_vnd=part.amount_vnd))
            payment.unallocated_vnd -= part.amount_vnd
            continue
        allocation = session.get(PaymentAllocation, part.allocation_id)
        if allocation.released_at is not None:  # guarded (allocation_refunded); never refunds a released match
            raise Conflict("the payment no longer pays what this refund named", code="refundable_changed")
        [state] = load_requests(conn, ids=[part.payment_request_id])
        lines += book.refund(state, refund_id=refund.id, amount_vnd=part.amount_vnd)
    session.flush()
    book.flush()
    post_many(conn, [Entry("refund_approved", lines, stamp_after_closes(session, now), actor, f"refund {refund.id}",
                           payment.id)])
    session.expire_all()  # the requests changed under the ORM's feet
    refund.status = {"card": SENDING, "transfer": TRANSFER_ORDERED, "cash": CASH_DUE}[refund.method]
    if refund.method == "card":
        enqueue_many(conn, [Outgoing(POS_REFUND_TOPIC, f"{POS_REFUND_TOPIC}:{refund.id}", {"refund_id": refund.id})],
                     now=now)


def withdraw_refunds(session: Session, *, payment_id: int, reversal_ref: str, settings: Settings, actor: str,
                     now: datetime) -> int:
    """Before a POS void/reversal undoes a sale, settle its refunds; returns how many gave money back.

    The void gives the card its money back, so a refund of the same sale must not as well. One
    waiting for approval is rejected; a card refund whose acquirer call was never taken by a worker
    (attempts 0, row locked here so none can take it now) is withdrawn: failed, money back where
    it came from, the call marked done unsent. One that may have reached the acquirer, or was
    executed, is a conflict: the void is not applied and waits for finance (/finance/conflicts)."""
    withdrawn = 0
    # NOWAIT: a worker recording the acquirer's answer holds the call, then the refund, then wants
    # this payment, which the void holds: waiting would deadlock. The void is retried shortly.
    for refund in session.execute(select(Refund).where(Refund.payment_id == payment_id,
                                                       Refund.status.not_in(NOT_COUNTED))
                                  .order_by(Refund.id).with_for_update(nowait=True)).scalars().all():
        why = f"the sale was voided ({reversal_ref}) before this refund was paid out"
        if refund.status == AWAITING_APPROVAL:
            refund.status, refund.failure, refund.decided_by, refund.decided_at = REJECTED, why, actor, now
        elif refund.status == SENDING and _withdraw_call(session, refund, why, now):
            mark_failed(session, refund_id=refund.id, reason=why, settings=settings, actor=actor, now=now,
                        by_acquirer=True)
            withdrawn += 1
        else:
            raise Conflict(
                f"void {reversal_ref} arrived while refund {refund.id} of the same sale is {refund.status} and "
                "may already have reached the card: not applied; check with the acquirer which of the two "
                "returned the money", code="void_of_refunded_sale",
                details={"refund_id": refund.id, "refund_status": refund.status, "payment_id": payment_id})
    session.flush()  # the caller goes on in Core and then expires the session
    return withdrawn


def _withdraw_call(session: Session, refund: Refund, why: str, now: datetime) -> bool:
    """Take back a card refund's acquirer call if no worker has taken it yet; False if one may have."""
    message = session.execute(select(OutboxMessage).where(OutboxMessage.key == f"{POS_REFUND_TOPIC}:{refund.id}")
                              .with_for_update(nowait=True)).scalar_one_or_none()
    if message is None or message.status != OUTBOX_PENDING or message.attempts:
        return False
    message.status, message.done_at, message.last_error = OUTBOX_DONE, now, f"withdrawn unsent: {why}"
    return True


def _replay_refusal(session: Session, payload: dict) -> str | None:
    """A card refund's acquirer call may be sent again only while the refund still waits for it."""
    refund = session.get(Refund, payload.get("refund_id"), with_for_update=True)
    if refund is None or refund.status != SENDING:
        status = refund.status if refund else "gone"
        return f"refund {payload.get('refund_id')} is {status}, no longer sending: its card must not be refunded again"
    return None


guard_replays(POS_REFUND_TOPIC, _replay_refusal)


def _refundable_allocations(session: Session, payment: Payment) -> list[tuple[PaymentAllocation, int]]:
    refunded = dict(session.execute(
        select(RefundPart.allocation_id, func.sum(RefundPart.amount_vnd)).join(Refund, Refund.id == RefundPart.refund_id)
        .where(RefundPart.allocation_id.is_not(None), Refund.payment_id == payment.id,
               Refund.status.not_in(NOT_COUNTED)).group_by(RefundPart.allocation_id)).all())
    result = []
    for allocation in sorted(payment.allocations, key=lambda a: a.id, reverse=True):
        if allocation.released_at is None:
            available = allocation.amount_vnd - int(refunded.get(allocation.id, 0))
            if available > 0:
                result.append((allocation, available))
    return result


def _check_decided_by(refund: Refund, by_acquirer: bool) -> None:
    """Only the acquirer's answer decides a card refund: its call may be on the way (or done) while a
    person looks, so a hand-made verdict could refund the card and give the money back to the request."""
    if refund.method == "card" and not by_acquirer:
        raise Forbidden("a card refund is decided by the acquirer's answer, not by hand",
                        code="wrong_role_for_method")


def _check_method(refund: Refund, method: str | None) -> None:
    """The payout is still of the kind the caller checked its role against (check_payer, before the lock):
    finance may have switched a cash refund to a transfer meanwhile (refund_payees), which a cashier must
    not then record as handed over from a drawer, nor as never collected."""
    if method is not None and refund.method != method:
        raise Conflict(f"this refund is now paid by {refund.method}, not {method}: reload", code="refund_method_changed",
                       details={"method": refund.method})


def mark_executed(session: Session, *, refund_id: int, reference: str | None, settings: Settings, actor: str,
                  now: datetime, by_acquirer: bool = False, method: str | None = None) -> Refund:
    """The money has left: the transfer was made, the card refunded, the cash handed over. A person's
    step is audited (`refund.executed`) here, once: told again, it is answered as it was and writes nothing.
    `method`: the kind of payout the caller checked (`_check_method`)."""
    hold_books(session)
    refund = get_refund(session, refund_id, for_update=True)
    _check_decided_by(refund, by_acquirer)
    _check_method(refund, method)
    if refund.status == EXECUTED:
        if reference != refund.reference:
            # The same payout told twice is harmless; another bank reference (or one for cash handed over,
            # or none where one was given) is another payout, or a typo: never taken as the same.
            raise Conflict(f"this refund was already executed with reference {refund.reference}",
                           code="refund_reference_differs", details={"reference": refund.reference})
        if refund.method == "cash" and not by_acquirer and not same_principal(refund.executed_by, actor):
            # The cash left another cashier's drawer: told 200, this one would take their own handover as
            # recorded and find their drawer over (or the citizen paid twice) only at the close.
            raise Conflict("this cash refund was already handed over by another cashier",
                           code="refund_already_executed",
                           details={"executed_by": refund.executed_by, "executed_at": refund.executed_at.isoformat()})
        return refund
    if refund.status not in (SENDING, TRANSFER_ORDERED, CASH_DUE):
        raise Conflict(f"a {refund.status} refund cannot be executed", code="refund_not_executable")
    payment = session.get(Payment, refund.payment_id)
    source = _payout_account(session, refund, payment, settings=settings, actor=actor, now=now)
    conn = session.connection()
    post_many(conn, [Entry("refund_executed", [
        Line(Accounts.REFUNDS_PAYABLE, debit_vnd=refund.amount_vnd), Line(source, credit_vnd=refund.amount_vnd),
    ], stamp_after_closes(session, now), actor, f"refund {refund.id} {reference or ''}".strip(), payment.id)])
    _announce_payout(conn, refund, settings=settings, actor=actor, now=now)
    refund.status, refund.executed_at, refund.executed_by, refund.reference = EXECUTED, now, actor, reference
    if not by_acquirer:
        audit_refund(session, "refund.executed", refund, actor=actor, now=now)
    return refund


def _payout_account(session: Session, refund: Refund, payment: Payment, *, settings: Settings, actor: str,
                    now: datetime) -> str:
    """Where the refunded money leaves from: the cashier's drawer, the card acquirer's clearing (its
    settlement is that much less), else our bank. A transfer order for money that arrived elsewhere
    (VNPay's gateway, the post's cash on delivery) is paid from the collection account, not from
    what the gateway or the post owes us."""
    if refund.method == "cash":
        return _cash_source(session, refund, actor=actor, now=now)
    if refund.method == "transfer" and not payment.clearing_account.startswith("bank:"):
        account = settings.collection_account("*")
        return Accounts.bank(account.bin, account.account_number)
    return payment.clearing_account


def _cash_source(session: Session, refund: Refund, *, actor: str, now: datetime) -> str:
    """The cashier's drawer, if it holds the cash handed over: paying out money a drawer never took
    would leave it negative and the drawer that took it expecting cash that is gone (both closes off)."""
    drawer = drawer_for(session, cashier=actor, now=now)
    # The drawer's lock serialises payouts from it (and its close): two cannot both spend its last cash.
    session.get(CashDrawer, drawer.id, with_for_update=True, populate_existing=True)
    try:
        return hand_out(session, drawer, refund.amount_vnd)
    except Conflict as exc:
        # Each day's drawer starts empty: cash taken on an earlier day is in that day's (closed) drawer.
        raise Conflict(f"{exc.message}; if no drawer of today holds it, finance can switch the refund to a "
                       f"transfer to the payer's account (POST /refunds/{refund.id}/to-transfer)",
                       code=exc.code, details=exc.details) from exc


def _announce_payout(conn, refund: Refund, *, settings: Settings, actor: str, now: datetime) -> None:
    """Each request the refund came from records the payout; its citizen and subscribers hear of it now."""
    by_request: dict[int, int] = {}
    for part in refund.parts:
        if part.payment_request_id is not None:
            by_request[part.payment_request_id] = by_request.get(part.payment_request_id, 0) + part.amount_vnd
    if not by_request:
        return  # refunded from suspense: no request, nobody to tell
    book = Book(conn, actor=actor, now=now, settings=settings)
    for state in load_requests(conn, ids=by_request):  # locked: the history's order is the events' order
        book.refund_paid_out(state, refund_id=refund.id, amount_vnd=by_request[state.id])
    book.flush()


def mark_failed(session: Session, *, refund_id: int, reason: str, settings: Settings, actor: str,
                now: datetime, by_acquirer: bool = False, method: str | None = None) -> Refund:
    """The payout could not be made (card refund refused, transfer bounced): the money goes back. A person's
    step is audited (`refund.failed`) here, once: told again with the same reason, it is answered as it was
    and writes nothing (as `mark_executed`)."""
    hold_books(session)
    refund = get_refund(session, refund_id, for_update=True)
    _check_decided_by(refund, by_acquirer)
    _check_method(refund, method)
    if refund.status == FAILED and refund.failure == reason and not by_acquirer:
        return refund
    if refund.status not in (SENDING, TRANSFER_ORDERED, CASH_DUE):
        raise Conflict(f"a {refund.status} refund cannot fail", code="refund_not_executable")
    # Read again under the lock: a POS void (withdraw_refunds) loaded the payment before it waited for
    # the lock, and a stale suspense amount plus this refund's would bring back money assigned meanwhile.
    payment = session.get(Payment, refund.payment_id, with_for_update=True, populate_existing=True)
    conn = session.connection()
    book = Book(conn, actor=actor, now=now, settings=settings)
    lines = [Line(Accounts.REFUNDS_PAYABLE, debit_vnd=refund.amount_vnd)]
    for part in refund.parts:
        if part.payment_request_id is None:
            payment.unallocated_vnd += part.amount_vnd
            lines.append(Line(Accounts.SUSPENSE, credit_vnd=part.amount_vnd))
        else:
            [state] = load_requests(conn, ids=[part.payment_request_id])
            lines += book.undo_refund(state, refund_id=refund.id, amount_vnd=part.amount_vnd)
    session.flush()
    book.flush()
    post_many(conn, [Entry("refund_failed", lines, stamp_after_closes(session, now), actor,
                           f"refund {refund.id} failed", payment.id)])
    session.expire_all()
    refund.status, refund.failure = FAILED, reason
    _refund_changed(session, refund)
    if not by_acquirer:
        audit_refund(session, "refund.failed", refund, actor=actor, now=now, reason=reason)
    return refund


def paying_out_vnd(session: Session, payment_request_id: int) -> int:
    """What approved refunds take from the request that has not yet left the bank or the drawer:
    the request already counts it refunded, but nobody may tell the citizen it was paid back."""
    return int(session.execute(select(func.coalesce(func.sum(RefundPart.amount_vnd), 0))
                               .join(Refund, Refund.id == RefundPart.refund_id)
                               .where(RefundPart.payment_request_id == payment_request_id,
                                      Refund.status.in_(PAYING_OUT))).scalar_one())


def paid_back_vnd(session: Session, payment_id: int) -> int:
    """What refunds of the payment have paid out (left the bank or the drawer)."""
    return int(session.execute(select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(
        Refund.payment_id == payment_id, Refund.status == EXECUTED)).scalar_one())

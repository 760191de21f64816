"""Use cases for dossiers and payment requests.

Every function takes the session as its first argument and the current instant as `now=`;
none of them commits: the caller owns the transaction.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Settings
from kernel.books import hold_books
from kernel.clock import ensure_aware_utc
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.inbox import QUEUED, RECEIVED, InboundCallback
from kernel.money import MAX_MONEY_VND
from kernel.text import clean_text
from payments import codes, states, vietqr
from payments.notifications import Payable, Transition, after_transitions
from payments.models import Dossier, FeeItem, PaymentRequest, PaymentRequestEvent, PaymentRequestItem
from payments.validation import DossierInput, FeeInput

CODE_SHAPE_RE = re.compile(r"[A-Z]{2}[0-9]{11}")
CODE_ATTEMPTS = 8  # 10^9 codes: a collision is rare, several in a row mean something is wrong


# --- dossiers -------------------------------------------------------------------------

def create_dossier(session: Session, *, data: DossierInput, settings: Settings, actor: str,
                   now: datetime) -> tuple[Dossier, PaymentRequest, bool]:
    """Create a dossier, its fee items and its first payment request.

    Idempotent on the dossier code: the same body again returns the existing dossier and
    its current request (`created` is False); a different body is a 409.
    """
    existing = _find_dossier(session, data.code)
    if existing is not None:
        return _replay(session, existing, data, settings, now)
    dossier = Dossier(
        code=data.code, procedure_code=data.procedure_code, procedure_name=data.procedure_name,
        agency_code=data.agency_code, applicant_name=data.applicant_name,
        applicant_phone=data.applicant_phone, applicant_email=data.applicant_email,
        applicant_id_number=data.applicant_id_number, body_hash=data.body_hash(),
        created_at=now, created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(dossier)
            session.flush()
    except IntegrityError:
        # Another request created the same dossier code between our read and our insert.
        existing = _find_dossier(session, data.code)
        if existing is None:
            raise
        return _replay(session, existing, data, settings, now)
    for position, fee in enumerate(data.fees):
        session.add(FeeItem(dossier_id=dossier.id, position=position, name=fee.name, kind=fee.kind,
                            amount_vnd=fee.amount_vnd, created_at=now))
    session.flush()
    session.refresh(dossier, ["fee_items"])
    request = open_payment_request(session, dossier=dossier, settings=settings, actor=actor, now=now)
    return dossier, request, True


def _find_dossier(session: Session, code: str) -> Dossier | None:
    return session.execute(select(Dossier).where(Dossier.code == code)).scalar_one_or_none()


def _replay(session: Session, dossier: Dossier, data: DossierInput, settings: Settings,
            now: datetime) -> tuple[Dossier, PaymentRequest, bool]:
    if dossier.body_hash != data.body_hash():
        raise Conflict(
            f"dossier {dossier.code} already exists with different content",
            code="dossier_conflict", details={"dossier_code": dossier.code},
        )
    expire_due_of(session, dossier, settings, now)
    return dossier, current_request(session, dossier), False


def expire_due_of(session: Session, dossier: Dossier, settings: Settings, now: datetime) -> None:
    """Expire the dossier's requests whose time has passed, before anyone is shown them."""
    for request in dossier.payment_requests:
        expire_if_due(session, request, settings, now)


def get_dossier(session: Session, code: str) -> Dossier:
    dossier = _find_dossier(session, code)
    if dossier is None:
        raise NotFound(f"no dossier with code {code}", code="dossier_not_found")
    return dossier


def lock_dossier(session: Session, code: str) -> Dossier:
    """The dossier, its row locked until the transaction ends and read again under the lock.

    Everything that decides which fee items to ask for (renewal, added fee items) takes this lock
    first: under READ COMMITTED two transactions would otherwise both see the same items as not yet
    asked for, and each would open a payable request for them (the fee collected twice). The second
    one now waits, then sees the first one's request. (SQLite: a no-op, BEGIN IMMEDIATE already
    serialises writers.)
    """
    dossier = session.execute(
        select(Dossier).where(Dossier.code == code).with_for_update(of=Dossier)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if dossier is None:
        raise NotFound(f"no dossier with code {code}", code="dossier_not_found")
    # Collections loaded before the lock may predate another transaction's commit.
    session.expire(dossier, ["fee_items", "payment_requests"])
    return dossier


def current_request(session: Session, dossier: Dossier) -> PaymentRequest:
    """The latest request for the fees the dossier was registered with (or its renewal).

    Requests added later for other items (postage for a delivery) do not replace it: posting the
    same dossier again must keep answering with the same request.
    """
    first_item = select(func.min(FeeItem.id)).where(FeeItem.dossier_id == dossier.id).scalar_subquery()
    return session.execute(
        select(PaymentRequest).join(PaymentRequestItem, PaymentRequestItem.payment_request_id == PaymentRequest.id)
        .where(PaymentRequest.dossier_id == dossier.id, PaymentRequestItem.fee_item_id == first_item)
        .order_by(PaymentRequest.id.desc()).limit(1)
    ).scalar_one()


# --- payment requests -----------------------------------------------------------------

LIVE_FOR_ITEMS = frozenset(set(states.STATUSES) - {states.EXPIRED, states.CANCELLED})


def uncovered_fee_items(session: Session, dossier: Dossier) -> list[FeeItem]:
    """Fee items still owed (not withdrawn) that no live (not expired, not cancelled) request asks for."""
    covered = set(session.execute(
        select(PaymentRequestItem.fee_item_id)
        .join(PaymentRequest, PaymentRequest.id == PaymentRequestItem.payment_request_id)
        .where(PaymentRequest.dossier_id == dossier.id, PaymentRequest.status.in_(LIVE_FOR_ITEMS))
    ).scalars())
    return [item for item in dossier.fee_items if item.id not in covered and item.withdrawn_at is None]


def open_payment_request(session: Session, *, dossier: Dossier, settings: Settings, actor: str,
                         now: datetime, only: frozenset[int] | None = None) -> PaymentRequest:
    """A new request (new code, new QR) for the dossier's fee items not yet asked for.

    `only` (fee item ids) narrows it to those items: a request added for one purpose (a shipment's
    postage) must not sweep in whatever else is unasked on the dossier (an expired fee). It can only
    narrow, never widen: this stays the one place fee items become payable, and an item already
    asked for, or withdrawn, is never asked for twice. It takes the dossier's lock (again: callers
    that read before deciding take it first) so that holds across concurrent transactions too.
    """
    dossier = lock_dossier(session, dossier.code)
    items = [item for item in uncovered_fee_items(session, dossier) if only is None or item.id in only]
    if not items:
        raise Conflict(f"dossier {dossier.code} has no fee items left to request",
                       code="nothing_to_request")
    amount = sum(item.amount_vnd for item in items)
    account = settings.collection_account(dossier.agency_code)
    for _ in range(CODE_ATTEMPTS):
        code = codes.new_code(settings.payment_code_prefix)
        request = PaymentRequest(
            dossier_id=dossier.id, payment_code=code, amount_vnd=amount, paid_vnd=0, refunded_vnd=0,
            status=states.PENDING, expires_at=now + settings.request_ttl, created_at=now, updated_at=now,
            bank_bin=account.bin, account_number=account.account_number,
            account_name=account.account_name,
        )
        request.vietqr_payload = request_vietqr(request, amount)
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
        except IntegrityError:
            continue  # payment code taken: draw again
        break
    else:
        raise RuntimeError("could not draw a free payment code")
    for item in items:
        session.add(PaymentRequestItem(payment_request_id=request.id, fee_item_id=item.id,
                                       amount_vnd=item.amount_vnd))
    record_event(session, request, event="created", from_status=None, actor=actor, now=now,
                 data={"amount_vnd": amount})
    session.flush()
    session.refresh(request, ["items"])
    return request


def request_vietqr(request: PaymentRequest, amount_vnd: int) -> str:
    """The request's VietQR asking for `amount_vnd`: its own collection account, its payment code as the memo."""
    return vietqr.build_payload(bin=request.bank_bin, account=request.account_number, amount_vnd=amount_vnd,
                                purpose=request.payment_code)


def collected_on_delivery(request: PaymentRequest) -> bool:
    """Whether the postman is to collect what the request owes (a COD delivery holds it: no deadline,
    `postal.cod.hold_requests`). It is not offered for online payment meanwhile: the post does not
    learn of money paid elsewhere, so the postman would collect it a second time."""
    return request.status in states.OPEN and request.expires_at is None


def payable_vietqr(request: PaymentRequest) -> str | None:
    """The VietQR to pay with now, or None when nothing is owed (paid, overpaid), the request is closed
    or the postman collects it (`collected_on_delivery`).

    A bank app transfers what the QR says, so it must ask for what is still owed: once part is paid
    (or part refunded) it asks for the rest, under the same payment code. The stored payload (the full
    amount, frozen at creation for the record) is offered unchanged while it asks for what is owed: not
    once the request asks for less than it was made for (a fee item withdrawn, `withdraw_fee_items`).
    """
    if request.status not in states.OPEN or collected_on_delivery(request):
        return None
    owed = states.owed_vnd(request.status, request.amount_vnd, request.paid_vnd, request.refunded_vnd)
    if owed <= 0:
        return None
    asked_at_creation = sum(line.amount_vnd for line in request.items)  # what the stored payload asks for
    return request.vietqr_payload if owed == asked_at_creation else request_vietqr(request, owed)


def renew_payment_request(session: Session, *, dossier_code: str, settings: Settings, actor: str,
                          now: datetime) -> PaymentRequest:
    """After expiry or cancellation, ask again with a new code for the fees no live request asks for
    (one renewal at a time per dossier). Every lapsed request of the dossier is expired first, not
    only the current one: the answer must not depend on whether someone read them. With nothing left
    unasked, a request still open (pending, or part paid) is named: that is the one to pay."""
    dossier = lock_dossier(session, dossier_code)
    expire_due_of(session, dossier, settings, now)
    if not uncovered_fee_items(session, dossier):
        still_open = [r for r in dossier.payment_requests if r.status in states.OPEN]
        if still_open:
            latest = current_request(session, dossier)
            named = latest if latest in still_open else still_open[0]
            raise Conflict(f"payment request {named.payment_code} is still open",
                           code="request_still_open", details={"payment_code": named.payment_code})
    return open_payment_request(session, dossier=dossier, settings=settings, actor=actor, now=now)


def payment_code_field(value: object, settings: Settings) -> str:
    """A JSON body's `payment_code`: missing or not text is a 400 naming the field (`clean_text`, as
    `POST /payments/cash` reads it), never the code `None` or `123` refused as a malformed one. A code is read
    as wherever one is typed (`codes.compact_code`) before the text rules apply: the invisible characters a
    paste brings along (U+200B, U+FEFF) are no "control characters" in a code, as the staff pages read it."""
    if isinstance(value, str):
        value = codes.compact_code(value)
    return parse_payment_code(clean_text(value, "payment_code", max_len=64), settings)


def parse_payment_code(raw: str, settings: Settings) -> str:
    """A well-formed payment code with valid check digits, else a 400 saying which is wrong.

    Any case, and grouped the way bank memos and people group it (`HS 408810231 60`, `hs-4088-1023-160`,
    what finance copies out of a memo or a cashier hears read out): the check digits say whether what is
    left once the separators go is a code."""
    code = codes.compact_code(raw)
    if not CODE_SHAPE_RE.fullmatch(code):
        raise ValidationError(
            "a payment code is 2 letters and 11 digits, such as HS12345678978",
            code="invalid_payment_code", details={"payment_code": raw[:32]},
        )
    prefix = settings.payment_code_prefix
    if not code.startswith(prefix):
        raise ValidationError(
            f"this service's payment codes start with {prefix}",
            code="invalid_payment_code", details={"payment_code": code},
        )
    if not codes.is_valid_code(code, prefix=prefix):
        raise ValidationError(
            "the payment code's check digits do not match: it was probably mistyped",
            code="invalid_payment_code", details={"payment_code": code},
        )
    return code



def parse_confirmation(confirm: bool, named: object, settings: Settings) -> dict[str, int] | None:
    """An over-payment confirmation (API and pages alike): `confirm_overpayment: true` with
    `confirmed_outstanding_vnd`, {payment code: what the request owed when asked} (the 409's
    `outstanding_by_code`), else None. One without the other is a 400 naming the one missing; which codes
    it must name is the check's (`corrections.refuse_unconfirmed_overpayment`)."""
    if named is None:
        if confirm:
            raise ValidationError("confirm_overpayment needs confirmed_outstanding_vnd: what each request owed "
                                  "when you were asked (details.outstanding_by_code of the 409)",
                                  code="missing_field", details={"field": "confirmed_outstanding_vnd"})
        return None
    if not confirm:
        raise ValidationError("confirmed_outstanding_vnd goes with confirm_overpayment: true", code="missing_field",
                              details={"field": "confirm_overpayment"})
    invalid = ValidationError("confirmed_outstanding_vnd must be an object {payment_code: VND owed}, as "
                              "details.outstanding_by_code of the 409", code="invalid_parameter",
                              details={"parameter": "confirmed_outstanding_vnd"})
    if not isinstance(named, dict) or not 0 < len(named) <= 50:
        raise invalid
    confirmed = {}
    for code, owed in named.items():
        if type(owed) is not int or not 0 <= owed <= MAX_MONEY_VND:
            raise invalid
        try:
            code = parse_payment_code(str(code), settings)
        except ValidationError:
            raise invalid from None
        if code in confirmed:  # one request twice, in two spellings: which amount was seen is unknown
            raise invalid
        confirmed[code] = owed
    return confirmed

def get_payment_request(session: Session, code: str, *, settings: Settings, now: datetime,
                        for_update: bool = False) -> PaymentRequest:
    """The request with this code, expired on the spot if its time has passed."""
    code = parse_payment_code(code, settings)
    query = select(PaymentRequest).where(PaymentRequest.payment_code == code)
    if for_update:
        query = query.with_for_update(of=PaymentRequest)
    request = session.execute(query).scalar_one_or_none()
    if request is None:
        raise NotFound(f"no payment request with code {code}", code="payment_request_not_found")
    expire_if_due(session, request, settings, now)
    return request


# What other packages do when a request is cancelled, in the same transaction (postal: the shipment the
# cancelled fees were for follows, `postal.fees`). Registered by them: payments knows nothing of postal.
_CANCELLATION_FOLLOWERS: list[Callable[..., None]] = []


def on_request_cancelled(follower: Callable[..., None]) -> None:
    """Register `follower(session, request, *, reason, settings, actor, now)`, run in the cancelling
    transaction after the request is cancelled (as `refunds.on_refund_changed` is for refunds)."""
    if follower not in _CANCELLATION_FOLLOWERS:
        _CANCELLATION_FOLLOWERS.append(follower)


def cancel_payment_request(session: Session, *, code: str, reason: str, settings: Settings,
                           actor: str, now: datetime, over_waiting_payments: bool = False) -> PaymentRequest:
    """Cancel a request nobody has paid into yet. Cancelling twice is harmless.

    A callback answered 2xx and still waiting for the workers (`_waiting_codes`) that may pay the
    request is money paid into it: the request is not cancelled over it, as it would not be had the
    workers applied it already. Only a withdrawal of its fees (`over_waiting_payments`) cancels over
    it, and that money then waits in suspense, as money for any cancelled code does."""
    # The order every writer of a dossier's fees takes (a renewal, a withdrawal): the books, the dossier, then
    # its requests. A follower may withdraw postage under the dossier's lock (`postal.fees`): taken after the
    # request's, it deadlocked with a renewal of the same dossier taking them the other way round.
    hold_books(session)
    dossier_code = session.execute(select(Dossier.code).join(PaymentRequest, PaymentRequest.dossier_id == Dossier.id)
                                   .where(PaymentRequest.payment_code == parse_payment_code(code, settings))).scalar()
    if dossier_code is not None:
        lock_dossier(session, dossier_code)
    request = get_payment_request(session, code, settings=settings, now=now, for_update=True)
    if request.status == states.CANCELLED:
        return request
    if request.status != states.PENDING:
        raise Conflict(f"the payment request is {request.status}: only a pending one can be cancelled",
                       code="cannot_cancel", details={"status": request.status})
    if not over_waiting_payments and request.payment_code in _waiting_codes(session, settings, now):
        raise Conflict("a payment for this request has arrived and is being applied: it cannot be cancelled",
                       code="cannot_cancel", details={"status": request.status, "payment_waiting": True})
    transition(session, request, states.CANCELLED, event="cancelled", actor=actor, settings=settings, now=now,
               reason=reason)
    for follow in _CANCELLATION_FOLLOWERS:
        follow(session, request, reason=reason, settings=settings, actor=actor, now=now)
    return request


def waiting_callbacks(session: Session, settings: Settings, before: datetime) -> list[tuple[int, str, datetime,
                                                                                          set[str]]]:
    """(inbox id, status, arrival, codes) of every credit callback that arrived before `before` and still
    waits to be applied (queued; or failed, with its event, for a retry): the codes it may pay are every
    code it may mean, as crediting reads it (`codes.codes_it_may_mean`). Read through the inbox's partial
    indexes of queued and of failed rows: the table itself keeps every callback ever received."""
    waiting = session.execute(select(InboundCallback.id, InboundCallback.status, InboundCallback.received_at,
                                     InboundCallback.event).where(
        or_(InboundCallback.status == QUEUED, InboundCallback.status == RECEIVED),
        InboundCallback.received_at < before).order_by(InboundCallback.id)).all()
    return [(inbox_id, status, ensure_aware_utc(received_at),
             codes.codes_it_may_mean(event.get("payment_code"), event.get("memo"), settings.payment_code_prefix))
            for inbox_id, status, received_at, event in waiting
            if isinstance(event, dict) and event.get("type") == "credit"]


def _waiting_codes(session: Session, settings: Settings, before: datetime) -> dict[str, datetime]:
    """Code -> the earliest arrival (before `before`) of a callback still waiting that may pay it."""
    arrived: dict[str, datetime] = {}
    for _, _, at, may_pay in waiting_callbacks(session, settings, before):
        for code in may_pay:
            arrived[code] = min(arrived.get(code, at), at)
    return arrived


def _held(request: PaymentRequest, waiting: dict[str, datetime]) -> bool:
    """Expiry is judged at a callback's arrival: a transfer that arrived while the request was open
    pays it however late the workers apply it, so the request must not expire meanwhile."""
    arrival = waiting.get(request.payment_code)
    return arrival is not None and arrival < ensure_aware_utc(request.expires_at)


def expire_due_requests(session: Session, *, settings: Settings, now: datetime, limit: int = 1000) -> int:
    """Move pending requests past their expiry to `expired` (up to `limit`); returns how many moved.
    Those a waiting callback may pay (`_held`) are passed over, and the pages after them read."""
    waiting = _waiting_codes(session, settings, now)
    moved, after = 0, 0
    while moved < limit:
        due = session.execute(
            select(PaymentRequest)
            .where(PaymentRequest.status == states.PENDING, PaymentRequest.expires_at <= now, PaymentRequest.id > after)
            .order_by(PaymentRequest.id).limit(limit).with_for_update(skip_locked=True, of=PaymentRequest)
        ).scalars().all()
        if not due:
            break
        for request in due:
            if moved == limit:
                break
            after = request.id
            if not _held(request, waiting):
                transition(session, request, states.EXPIRED, event="expired", actor="system:expiry",
                           settings=settings, now=now)
                moved += 1
    return moved


def is_due(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """A pending request whose time has passed must expire before anything else happens to it
    (one without a deadline, held for cash on delivery, does not)."""
    return status == states.PENDING and expires_at is not None and expires_at <= now


def expire_if_due(session: Session, request: PaymentRequest, settings: Settings, now: datetime) -> None:
    """Expire a pending request whose time has passed (under a row lock), unless a callback that
    arrived before then may pay it and still waits to be applied (`_held`)."""
    if is_due(request.status, request.expires_at, now) and \
            not _held(request, _waiting_codes(session, settings, ensure_aware_utc(request.expires_at))):
        session.refresh(request, with_for_update=True)  # re-read under lock: another node may have moved it
        if request.status == states.PENDING:
            transition(session, request, states.EXPIRED, event="expired", actor="system:expiry",
                       settings=settings, now=now)


def transition(session: Session, request: PaymentRequest, to_status: str, *, event: str, actor: str,
               settings: Settings, now: datetime, reason: str | None = None, data: dict | None = None) -> None:
    """Move a request to `to_status` (if allowed), record the event and announce it."""
    states.check_transition(request.status, to_status)
    from_status = request.status
    request.status = to_status
    request.updated_at = now
    record_event(session, request, event=event, from_status=from_status, actor=actor, now=now,
                 reason=reason, data=data)
    session.flush()
    after_transitions(session.connection(), [Transition(request.id, from_status, to_status, event)],
                      settings=settings, now=now)


def record_event(session: Session, request: PaymentRequest, *, event: str, from_status: str | None,
                 actor: str, now: datetime, reason: str | None = None, data: dict | None = None) -> None:
    session.add(PaymentRequestEvent(
        payment_request_id=request.id, at=now, event=event, from_status=from_status,
        to_status=request.status, actor=actor, reason=reason, data=data,
    ))


def request_events(session: Session, request: PaymentRequest) -> list[PaymentRequestEvent]:
    return list(session.execute(
        select(PaymentRequestEvent).where(PaymentRequestEvent.payment_request_id == request.id)
        .order_by(PaymentRequestEvent.id)
    ).scalars())


# --- services other packages use (postal adds postage; deliveries wait for payment) ----

SETTLED = frozenset({states.PAID, states.OVERPAID})


def add_fee_items(session: Session, *, dossier_code: str, fees: tuple[FeeInput, ...], settings: Settings,
                  actor: str, now: datetime) -> PaymentRequest:
    """Add fee items (e.g. postage) to an existing dossier and ask for them with a new request.

    The dossier's current request is left alone: its code may already be in a citizen's
    bank app, so changing what it asks for would make that payment wrong.
    """
    dossier = lock_dossier(session, dossier_code)  # positions and the new request: one addition at a time
    position = max((item.position for item in dossier.fee_items), default=-1) + 1
    for offset, fee in enumerate(fees):
        session.add(FeeItem(dossier_id=dossier.id, position=position + offset, name=fee.name,
                            kind=fee.kind, amount_vnd=fee.amount_vnd, created_at=now))
    session.flush()
    session.refresh(dossier, ["fee_items"])
    added = frozenset(item.id for item in dossier.fee_items if item.position >= position)
    return open_payment_request(session, dossier=dossier, settings=settings, actor=actor, now=now, only=added)


class Withdrawal(NamedTuple):
    """What `withdraw_fee_items` leaves the caller to tell the citizen."""
    overpaid_vnd: int  # paid for the withdrawn items, to give back (less what a request's own SMS tells)
    renewal: Payable | None  # the other fees of a cancelled request, asked again under a new code


def withdraw_fee_items(session: Session, *, dossier_code: str, fee_item_ids: frozenset[int], reason: str,
                       settings: Settings, actor: str, now: datetime) -> Withdrawal:
    """Stop asking for these fee items for good (the postage of a cancelled shipment), wherever they
    are asked: in the request first made for them, or in one that renewed them with other fees.

    A live request asking for them that nobody has paid into is cancelled, and the other fees it
    asked for are asked again without them. One that got money keeps it: it asks for these items no
    more (its amount drops by them, `payments.corrections.withdraw_from_paid_requests`), so what it
    received for them is an over-payment, in finance's exception queue until refunded (giving it
    back is a refund, decided by people). The items are withdrawn: never asked for again (renewal),
    not counted as owed, and no delivery waits for them. Returns that over-payment (0: nobody paid for
    them), so the caller may tell the citizen the money comes back; less what a request's own SMS
    already tells (one the withdrawal settles is announced paid, with its excess). And the request that
    asks the other fees of a cancelled one again under a new code (None: none), for the caller's text to
    name: the code they had no longer takes money (one SMS for the event: postal.service.enter_state).
    """
    hold_books(session)  # first, before the dossier's lock: money may move (kernel.books)
    dossier = lock_dossier(session, dossier_code)
    expire_due_of(session, dossier, settings, now)
    owed = frozenset(item.id for item in dossier.fee_items if item.id in fee_item_ids and item.withdrawn_at is None)
    # A transfer for such a request that waits to be applied finds it cancelled and waits in suspense,
    # as money for any cancelled code does (finance assigns it to the fees asked again, or refunds it):
    # a request kept for it could leave the postage owed for good, if the transfer paid part or none.
    others: set[int] = set()  # the other fees of the requests cancelled here: asked again without these
    replaced: list[str] = []  # the codes of the requests cancelled with those fees
    paid_into: list[int] = []  # the requests that got money for them
    asking = [r for r in dossier.payment_requests if {line.fee_item_id for line in r.items} & owed]
    # Whether one got money is read under its lock (in id order, as crediting takes them): a payment
    # applied since the dossier's requests were read is kept, never cancelled over.
    session.execute(select(PaymentRequest).where(PaymentRequest.id.in_([r.id for r in asking]))
                    .order_by(PaymentRequest.id).with_for_update(of=PaymentRequest)
                    .execution_options(populate_existing=True)).all()
    for request in asking:
        asked = {line.fee_item_id for line in request.items}
        if request.status in (states.EXPIRED, states.CANCELLED):
            continue
        if request.status == states.PENDING:
            cancel_payment_request(session, code=request.payment_code, reason=reason, settings=settings,
                                   actor=actor, now=now, over_waiting_payments=True)
            others |= asked - fee_item_ids
            if asked - fee_item_ids:
                replaced.append(request.payment_code)
        else:
            paid_into.append(request.id)
    overpaid, renewal = 0, None
    if paid_into:
        from payments.corrections import withdraw_from_paid_requests  # late: corrections build on this module

        overpaid = withdraw_from_paid_requests(session, request_ids=paid_into, fee_item_ids=owed, reason=reason,
                                               settings=settings, actor=actor, now=now)
    for item in dossier.fee_items:
        if item.id in owed:
            item.withdrawn_at = now
    session.flush()
    if others and any(item.id in others for item in uncovered_fee_items(session, dossier)):
        request = open_payment_request(session, dossier=dossier, settings=settings, actor=actor, now=now,
                                       only=frozenset(others))
        renewal = Payable(request.payment_code, request.amount_vnd, request.expires_at, ", ".join(replaced))
    return Withdrawal(overpaid, renewal)


def ask_for_lapsed_fees(session: Session, dossier_code: str, *, settings: Settings, actor: str,
                        now: datetime) -> PaymentRequest | None:
    """Ask again, with a new request (new code, new QR), for the fees still owed that no live request
    asks for (theirs expired unpaid); None when every fee is asked for, or the dossier was withdrawn
    (its registered fees cancelled: nothing is asked for it). What waits for the dossier's fees (a
    delivery, a cash-on-delivery order) would otherwise wait for money nobody can pay. Looked at
    without the dossier's lock first: a periodic job asks this of every waiting delivery."""
    dossier = get_dossier(session, dossier_code)
    due = any(is_due(r.status, r.expires_at, now) for r in dossier.payment_requests)
    if not due and not uncovered_fee_items(session, dossier):
        return None
    dossier = lock_dossier(session, dossier_code)
    expire_due_of(session, dossier, settings, now)
    if current_request(session, dossier).status == states.CANCELLED or not uncovered_fee_items(session, dossier):
        return None
    return open_payment_request(session, dossier=dossier, settings=settings, actor=actor, now=now)


def dossier_fees_settled(session: Session, dossier_code: str) -> bool:
    """True when every fee item still owed (not withdrawn) is asked for by a paid (or overpaid) request."""
    dossier = get_dossier(session, dossier_code)
    settled_items = set(session.execute(
        select(PaymentRequestItem.fee_item_id)
        .join(PaymentRequest, PaymentRequest.id == PaymentRequestItem.payment_request_id)
        .where(PaymentRequest.dossier_id == dossier.id, PaymentRequest.status.in_(SETTLED))
    ).scalars())
    return all(item.id in settled_items for item in dossier.fee_items if item.withdrawn_at is None)

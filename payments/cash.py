"""Cash at the counter: a cashier takes money for a request into their drawer for the day."""
from __future__ import annotations

import textwrap
import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from config import Settings
from kernel import audit
from kernel.auth import principal_key, same_principal
from kernel.books import hold_books, stamp_after_closes
from kernel.clock import business_date, format_local
from kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from kernel.money import MAX_MONEY_VND, format_vnd
from kernel.words import amount_in_words
from payments import states
from payments.credits import CONFLICT, DUPLICATE, CreditResult, IncomingCredit, find_payment, record_credit
from payments.ledger import Accounts, LedgerEntry, LedgerLine, Line, balance, post
from payments.models import CashDrawer, Payment
from payments.service import collected_on_delivery, get_payment_request, parse_payment_code

PROVIDER = "cash"
OVER_SHORT = "cash_over_short"  # the ledger entry of a close's difference
WIDTH = 40  # characters a line of the counter's thermal printer holds
# A procedure's name is printed whole up to this (real ones run past 100 characters); a longer one is
# shortened at a word, never cut mid-word.
PROCEDURE_ON_SLIP = 240
# More cash than a counter's drawer ever holds in a day (ten billion đồng): a count beyond it is a typing
# slip, refused (400) even confirmed, where MAX_MONEY_VND would book it.
MAX_COUNT_VND = 10_000_000_000


def drawer_for(session: Session, *, cashier: str, now: datetime) -> CashDrawer:
    """The cashier's drawer for today's business day, opened on first use, row-locked: cash taken
    into it and its close are serialised (as payouts from it are), so a close counts every payment
    recorded before it and none is booked into a drawer closed meanwhile. Found by the principal
    (`principal_key`), not the name: a cashier renamed during the day keeps one drawer."""
    day, key = business_date(now), principal_key(cashier)
    query = select(CashDrawer).where(CashDrawer.cashier_key == key, CashDrawer.business_date == day) \
        .with_for_update().execution_options(populate_existing=True)
    drawer = session.execute(query).scalar_one_or_none()
    if drawer is None:
        try:
            with session.begin_nested():
                drawer = CashDrawer(cashier_key=key, cashier=cashier, business_date=day, opened_at=now)
                session.add(drawer)
                session.flush()
        except IntegrityError:
            drawer = session.execute(query).scalar_one()
    if drawer.closed_at is not None:
        raise Conflict("your cash drawer for today is closed", code="drawer_closed")
    return drawer


def take_cash(session: Session, *, code: str, amount_vnd: int, cashier: str, idempotency_key: str | None,
              settings: Settings, now: datetime) -> CreditResult:
    """Credit cash paid at the counter. Unlike transfers, cash can still be handed back, so
    the cashier takes no more than is owed and nothing for a closed request."""
    hold_books(session)  # before the request's lock: the crediting path takes it too (kernel.books)
    code = parse_payment_code(code, settings)
    ref = _idempotency_ref(cashier, idempotency_key) if idempotency_key else uuid.uuid4().hex
    if idempotency_key:
        # A retried request after a lost answer: give back what the first one did, even once the drawer
        # has closed (it locks nothing: the payment row is the answer).
        replayed = _replay(session, ref, code, amount_vnd)
        if replayed is not None:
            return replayed
    # The drawer before the request: the order of a cash refund's payout (drawer, then the requests
    # its money comes from) and of the drawer's close, so none of them waits for another in a cycle.
    drawer = drawer_for(session, cashier=cashier, now=now)
    request = get_payment_request(session, code, settings=settings, now=now, for_update=True)
    if idempotency_key:
        # Again under the locks: the same payment sent twice at once (a double click) waited for the
        # first, which has committed since; the second gets its answer, not "nothing left to pay".
        replayed = _replay(session, ref, code, amount_vnd)
        if replayed is not None:
            return replayed
    if request.status not in states.OPEN:
        raise Conflict(f"the payment request is {request.status}: it takes no cash", code="request_not_payable",
                       details={"status": request.status})
    if collected_on_delivery(request):
        # The post asks the postman to collect what is owed and learns of nothing paid here meanwhile.
        raise Conflict("the postman collects this fee on delivery: cancel the delivery first, or let him collect it",
                       code="collected_on_delivery")
    if amount_vnd > request.outstanding_vnd:
        raise ValidationError(f"only {request.outstanding_vnd:,} VND is owed", code="amount_exceeds_outstanding",
                              details={"outstanding_vnd": request.outstanding_vnd})
    credit = IncomingCredit(provider=PROVIDER, provider_ref=ref, channel="cash", amount_vnd=amount_vnd,
                            booked_at=now, clearing_account=Accounts.cash(drawer.id),
                            payment_code=request.payment_code,
                            details={"drawer_id": drawer.id, "cashier": cashier.split(":", 2)[-1]})
    result = record_credit(session, credit, settings=settings, actor=cashier, now=now)
    if result.outcome in (DUPLICATE, CONFLICT):
        # A concurrent retry with the same key recorded it first (and this one wrote nothing).
        return _replay(session, ref, code, amount_vnd)
    return result


def hand_out(session: Session, drawer: CashDrawer, amount_vnd: int) -> str:
    """The drawer's account, if the drawer (locked by the caller) holds `amount_vnd` to hand back (a
    refund paid out, cash voided): handing out money it no longer holds would leave it negative, and
    its close expecting cash that is gone."""
    account = Accounts.cash(drawer.id)
    held = balance(session, account)
    if held < amount_vnd:
        raise Conflict(f"the cash drawer holds {held:,} VND, less than the {amount_vnd:,} VND to hand back",
                       code="insufficient_cash_in_drawer", details={"balance_vnd": held})
    return account


def _idempotency_ref(cashier: str, key: str) -> str:
    """`<kind>:<id>:<key>`, at most 90 characters: the principal's name is left out, because a long
    name once pushed the key past the 100 characters provider_ref holds, so keys were cut alike."""
    kind, principal_id = cashier.split(":", 2)[:2]
    return f"{kind}:{principal_id}:{key}"


def _replay(session: Session, ref: str, code: str, amount_vnd: int) -> CreditResult | None:
    """What the first request with this key did; None if there was none. The same key with
    another body is a client bug (a key reused for a new payment): refused, never guessed at."""
    existing = find_payment(session, PROVIDER, ref)
    if existing is None:
        return None
    same_request = any(a.payment_request.payment_code == code for a in existing.allocations)
    if existing.amount_vnd != amount_vnd or not same_request:
        raise ValidationError("this Idempotency-Key was already used for another payment code or amount; "
                              "send a new key for a new payment", code="idempotency_key_reused", status=422,
                              details={"payment_id": existing.id})
    return CreditResult(DUPLICATE, existing.id)


def parse_difference_confirmation(confirm: bool, named: object) -> int | None:
    """A count difference confirmed (API and counter page alike): `confirm_difference: true` with
    `confirmed_difference_vnd`, the difference the 409 showed (counted − expected, VND, signed), else None.
    One without the other is a 400 naming the one missing: a bare flag confirmed whatever difference the
    drawer had by then, which may not be the one the cashier read."""
    if named is None:
        if confirm:
            raise ValidationError("confirm_difference needs confirmed_difference_vnd: the difference you were "
                                  "shown (details.difference_vnd of the 409)", code="missing_field",
                                  details={"field": "confirmed_difference_vnd"})
        return None
    if not confirm:
        raise ValidationError("confirmed_difference_vnd goes with confirm_difference: true", code="missing_field",
                              details={"field": "confirm_difference"})
    if type(named) is not int or abs(named) > MAX_MONEY_VND:
        raise ValidationError("confirmed_difference_vnd must be a whole number of đồng (details.difference_vnd "
                              "of the 409)", code="invalid_parameter",
                              details={"parameter": "confirmed_difference_vnd"})
    return named


def close_drawer(session: Session, *, drawer_id: int, counted_vnd: int, actor: str, any_drawer: bool,
                 confirmed_difference_vnd: int | None, settings: Settings, now: datetime) -> dict:
    """Close a drawer with the cash counted; the difference from the ledger is posted and audited.

    A close cannot be undone, so a count further from what the drawer should hold than
    `settings.cash_count_confirm_vnd` (a mistyped zero) is refused (409 `confirmation_required`,
    with what it should hold, the count and the difference) unless `confirmed_difference_vnd` names
    that very difference: what the drawer should hold may change between the 409 and the confirmation
    (a take or a void meanwhile), and a difference nobody was shown is asked again (409
    `confirmation_stale`, with the new figures and the one confirmed).
    A cashier closes only their own drawer: the count is theirs to vouch for, and closing someone
    else's would stop that cashier taking cash for the rest of the day. `any_drawer` (finance) may
    close anyone's, e.g. one left open at the end of the day.
    """
    hold_books(session)  # a difference is money written: before the drawer's lock, as take_cash
    drawer = session.get(CashDrawer, drawer_id, with_for_update=True, populate_existing=True)
    if drawer is None:
        raise NotFound(f"no cash drawer {drawer_id}", code="drawer_not_found")
    if not any_drawer and not same_principal(drawer.cashier, actor):
        raise Forbidden("a cashier may close only their own drawer", code="not_your_drawer",
                        details={"drawer_id": drawer.id})
    if drawer.closed_at is not None:
        raise Conflict("this drawer is already closed", code="drawer_closed")
    expected = balance(session, Accounts.cash(drawer.id))
    difference = counted_vnd - expected
    large = abs(difference) > settings.cash_count_confirm_vnd
    figures = {"expected_vnd": expected, "counted_vnd": counted_vnd, "difference_vnd": difference,
               "threshold_vnd": settings.cash_count_confirm_vnd}
    if large and confirmed_difference_vnd is None:
        raise Conflict(f"the count differs from the {expected:,} VND the drawer should hold by {difference:+,} VND: "
                       "count again, or send confirm_difference: true with confirmed_difference_vnd (this "
                       "difference) to book it", code="confirmation_required",
                       details={"parameter": "confirm_difference", **figures})
    if large and confirmed_difference_vnd != difference:
        raise Conflict(f"the count now differs by {difference:+,} VND from the {expected:,} VND the drawer should "
                       f"hold, not by the {confirmed_difference_vnd:+,} VND confirmed: look again and confirm this "
                       "difference", code="confirmation_stale",
                       details={"parameter": "confirmed_difference_vnd",
                                "confirmed_difference_vnd": confirmed_difference_vnd, **figures})
    drawer.closed_at, drawer.counted_vnd = now, counted_vnd
    _post_over_short(session, drawer, difference, actor=actor, now=now)
    audit.record(session, actor=actor, action="cash_drawer.close", subject_type="cash_drawer", subject_id=drawer.id,
                 at=now, data={"expected_vnd": expected, "counted_vnd": counted_vnd,
                               **({"confirmed_difference": True, "confirmed_difference_vnd": difference} if large else {})})
    return {"id": drawer.id, "cashier": drawer.cashier, "business_date": drawer.business_date.isoformat(),
            "expected_vnd": expected, "counted_vnd": counted_vnd, "difference_vnd": difference}


def _post_over_short(session: Session, drawer: CashDrawer, difference: int, *, actor: str, now: datetime) -> None:
    """Bring the drawer's account to the cash counted, against `cash_over_short`: a shortage or an
    overage is an unexplained đồng the books must show (and the drawer's balance is then what it holds)."""
    if not difference:
        return
    account, amount = Accounts.cash(drawer.id), abs(difference)
    lines = [Line(account, debit_vnd=amount), Line(Accounts.CASH_OVER_SHORT, credit_vnd=amount)] if difference > 0 \
        else [Line(Accounts.CASH_OVER_SHORT, debit_vnd=amount), Line(account, credit_vnd=amount)]
    post(session, kind=OVER_SHORT, lines=lines, at=stamp_after_closes(session, now), created_by=actor,
         memo=f"cash drawer {drawer.id} counted {drawer.counted_vnd}")


def expected_vnd(session: Session, drawer: CashDrawer) -> int:
    """The cash the drawer should hold by its takings and payouts: its ledger balance, less the
    difference its close posted (payments.cash._post_over_short)."""
    account = Accounts.cash(drawer.id)
    posted = session.execute(
        select(func.coalesce(func.sum(LedgerLine.debit_vnd - LedgerLine.credit_vnd), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerLine.account == account, LedgerEntry.kind == OVER_SHORT)).scalar_one()
    return balance(session, account) - int(posted)


def count_of(session: Session, drawer: CashDrawer) -> dict:
    """What the drawer should hold by its takings and payouts, and (once counted) what its count found
    beyond (+) or short of (−) that: the close posted it to `cash_over_short`, so its balance is the count."""
    expected = expected_vnd(session, drawer)
    return {"expected_vnd": expected,
            "difference_vnd": None if drawer.counted_vnd is None else drawer.counted_vnd - expected}


def day_counts(session: Session, day: date) -> dict:
    """The drawers of a business day as a day's summary shows them: each one's count, those still
    open (their cash not counted yet), and what the counts found over (+) or short (−) in all."""
    drawers = session.execute(select(CashDrawer).where(CashDrawer.business_date == day)
                              .order_by(CashDrawer.id)).scalars().all()
    rows = [{"id": d.id, "cashier": d.cashier, "closed": d.closed_at is not None, "counted_vnd": d.counted_vnd,
             **count_of(session, d)} for d in drawers]
    return {"drawers": rows, "open": sum(1 for row in rows if not row["closed"]),
            "over_short_vnd": sum(row["difference_vnd"] or 0 for row in rows)}


def receipt_text(payment: Payment) -> str:
    """The counter receipt (phiếu thu) as plain text, `WIDTH` columns for thermal printers: where the
    money stands now (a match released since is left out; what waits in suspense is said; a voided
    payment is stamped cancelled and still names the requests the void took it back from)."""
    lines = ["PHIẾU THU TIỀN MẶT".center(WIDTH), "Trung tâm Phục vụ Hành chính công".center(WIDTH), "-" * WIDTH]
    if payment.reversed_at is not None:  # voided at the counter (payments.cash_voids): the money went back
        lines += ["*** PHIẾU THU ĐÃ HỦY ***".center(WIDTH), f"Hủy lúc: {format_local(payment.reversed_at)}"]
    if payment.reversed_at is not None:  # what it was for: the allocations the void took back, not none
        standing = [a for a in payment.allocations if a.released_at == payment.reversed_at]
    else:
        standing = [a for a in payment.allocations if a.released_at is None]  # a released match pays nothing now
    for allocation in standing:
        request = allocation.payment_request
        lines += [f"Mã thanh toán: {request.payment_code}", f"Hồ sơ: {request.dossier.code}",
                  f"Thủ tục: {textwrap.shorten(request.dossier.procedure_name, PROCEDURE_ON_SLIP, placeholder=' …')}"]
        if len(standing) > 1 or allocation.amount_vnd != payment.amount_vnd:
            lines.append(f"Nộp cho hồ sơ này: {format_vnd(allocation.amount_vnd)}")
    if payment.unallocated_vnd:
        lines.append(f"Chờ xử lý: {format_vnd(payment.unallocated_vnd)}")
    from payments.refunds import paid_back_vnd  # here: refunds pays cash out of drawers (it imports this module)

    paid_back = paid_back_vnd(object_session(payment), payment.id)
    if paid_back:
        lines.append(f"Đã hoàn trả: {format_vnd(paid_back)}")
    lines += [
        f"Số tiền: {format_vnd(payment.amount_vnd)}",
        f"Bằng chữ: {amount_in_words(payment.amount_vnd)}",
        f"Thời gian: {format_local(payment.booked_at)}",
        f"Thu ngân: {(payment.details or {}).get('cashier', '')}",
        f"Số phiếu: TM-{payment.id:07d}",
        "-" * WIDTH,
        "Đã trả lại tiền cho người nộp." if payment.reversed_at is not None
        else "Biên lai điện tử được gửi khi hồ sơ đã nộp đủ phí.",
    ]
    # A thermal printer's line: longer ones (a procedure's name, the amount in words) are wrapped
    # here, at words, instead of cut by the printer mid-word.
    return "\n".join(wrapped for line in lines for wrapped in textwrap.wrap(line, WIDTH) or [""]) + "\n"

"""Moving money onto and off payment requests, in set-based Core SQL.

Every flow that changes what a request has received (a callback, a statement line, a cash
payment, finance assigning suspense, a void, a released match) loads the requests it
touches under a row lock with `load_requests`, records its moves in a `Book`, and flushes
the book: one statement per table for the whole batch, so a single callback and a
million-line statement run the same code. The `Book` also returns the revenue and
overpayment ledger lines each move implies; the caller adds the other side and posts.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, exists, func, select, update

from config import Settings
from kernel.bulk import insert_rows, update_rows
from kernel.keysets import among
from payments import states
from payments.allocation import ItemDue, PaidChange, basis_change, paid_change
from payments.ledger import Accounts, Line
from payments.models import (Dossier, FeeItem, PaymentAllocation, PaymentRequest, PaymentRequestEvent,
                             PaymentRequestItem)
from payments.notifications import FEE_WITHDRAWN, REFUND_EXECUTED, RequestInfo, Transition, after_transitions
from payments.receipts import Receipt
from payments.service import is_due

CHUNK = 1000
EXPIRY_UNDONE = "expiry_undone"  # the event of `Book.undo_expiry`
PaymentKey = int | tuple[str, str]  # a payment id, or (provider, provider_ref) before it has one


@dataclass
class RequestState:
    """A locked payment request as the book sees it while moves are applied."""

    id: int
    payment_code: str
    amount_vnd: int
    paid_vnd: int
    refunded_vnd: int
    status: str
    expires_at: datetime | None
    agency_code: str
    dossier_code: str
    applicant_phone: str
    has_receipt: bool  # a valid (not cancelled) one
    # Its history rows, counting the book's own moves: an announced change's sequence (notifications).
    # Read with the lock, which every writer of a request's history holds, so nobody else adds to it meanwhile.
    history_length: int
    items: list[ItemDue] = field(default_factory=list)

    @property
    def net_paid_vnd(self) -> int:
        return self.paid_vnd - self.refunded_vnd

    @property
    def outstanding_vnd(self) -> int:
        return states.outstanding_vnd(self.amount_vnd, self.paid_vnd, self.refunded_vnd)

    @property
    def excess_vnd(self) -> int:
        """What it holds beyond what it asks for: an over-payment, to give back."""
        return max(self.net_paid_vnd - self.amount_vnd, 0)

    @property
    def creditable(self) -> bool:
        return self.status in states.CREDITABLE

    def info(self) -> RequestInfo:
        return RequestInfo(self.id, self.payment_code, self.amount_vnd, self.paid_vnd, self.refunded_vnd, self.status,
                           self.dossier_code, self.applicant_phone, self.has_receipt, self.history_length)


# The crediting path runs these for every callback and every statement chunk. The requests are
# locked first and read after, by a second statement: a statement that waits for a row lock sees
# the locked rows as their holder committed them, but what it reads beside them (receipts, fee
# items) as they were before the wait (PostgreSQL, READ COMMITTED), and a request the holder
# settled would seem to have no receipt yet. Each is built once and takes its keys as one parameter
# (`kernel.keysets`): an expanding IN's 1,000 placeholders cost more than the lookups themselves.
_LOCK_REQUESTS = (select(PaymentRequest.id)
                  .order_by(PaymentRequest.id)  # one lock order everywhere: no deadlocks between batches
                  .with_for_update())
_LOCK_BY_CODE = _LOCK_REQUESTS.where(among(PaymentRequest.payment_code, "keys"))
_LOCK_BY_ID = _LOCK_REQUESTS.where(among(PaymentRequest.id, "keys", integers=True))
_READ_LOCKED = (
    select(PaymentRequest.id, PaymentRequest.payment_code, PaymentRequest.amount_vnd, PaymentRequest.paid_vnd,
           PaymentRequest.refunded_vnd, PaymentRequest.status, PaymentRequest.expires_at, Dossier.agency_code,
           Dossier.code, Dossier.applicant_phone,
           exists().where(Receipt.payment_request_id == PaymentRequest.id, Receipt.cancelled_at.is_(None))
           .label("has_receipt"),
           select(func.count()).where(PaymentRequestEvent.payment_request_id == PaymentRequest.id)
           .scalar_subquery().label("history_length"),
           PaymentRequestItem.fee_item_id, FeeItem.kind, FeeItem.position,
           # a withdrawn item is asked for no more: money for it is an over-payment (Book.withdraw_items)
           case((FeeItem.withdrawn_at.is_(None), PaymentRequestItem.amount_vnd), else_=0))
    .join(Dossier, Dossier.id == PaymentRequest.dossier_id)
    .join(PaymentRequestItem, PaymentRequestItem.payment_request_id == PaymentRequest.id)
    .join(FeeItem, FeeItem.id == PaymentRequestItem.fee_item_id)
    .where(among(PaymentRequest.id, "ids", integers=True))
    .order_by(PaymentRequest.id)
)


def load_requests(conn: Connection, *, codes: Iterable[str] = (), ids: Iterable[int] = ()) -> list[RequestState]:
    """Lock and read the requests named by code or id, with their fee items."""
    codes, ids = sorted(codes), sorted(ids)
    keys, lock = (codes, _LOCK_BY_CODE) if codes else (ids, _LOCK_BY_ID)
    found: dict[int, RequestState] = {}
    for start in range(0, len(keys), CHUNK):  # bounded IN lists (SQLite's variable limit)
        locked = conn.execute(lock, {"keys": keys[start:start + CHUNK]}).scalars().all()
        for row in conn.execute(_READ_LOCKED, {"ids": locked}).all():
            state = found.get(row[0])
            if state is None:
                state = found[row[0]] = RequestState(*row[:12])
            state.items.append(ItemDue(*row[12:]))
    return list(found.values())


def request_lines(state: RequestState, before: int, after: int) -> list[Line]:
    """Revenue (per agency and fee kind) and overpayment lines for a change of net paid.

    Money onto a request credits them, money off debits them; the caller adds the other side.
    """
    return change_lines(state.agency_code, paid_change(state.items, before, after))


def change_lines(agency_code: str, change: PaidChange) -> list[Line]:
    """The revenue and overpayment lines of a change (money onto a request credits them)."""
    lines = []
    for kind, delta in change.revenue_by_kind.items():
        account = Accounts.revenue(agency_code, kind)
        lines.append(Line(account, credit_vnd=delta) if delta > 0 else Line(account, debit_vnd=-delta))
    if change.overpaid_vnd > 0:
        lines.append(Line(Accounts.OVERPAYMENTS, credit_vnd=change.overpaid_vnd))
    elif change.overpaid_vnd < 0:
        lines.append(Line(Accounts.OVERPAYMENTS, debit_vnd=-change.overpaid_vnd))
    return lines


# Built once: it runs with every release (building a statement costs more than running it).
_RELEASE_ALLOCATIONS = update(PaymentAllocation).where(PaymentAllocation.id == bindparam("a_id")).values(
    released_at=bindparam("released_at"), released_by=bindparam("released_by"))


class Book:
    """The moves of one transaction, written in a handful of statements by `flush`."""

    def __init__(self, conn: Connection, *, actor: str, now: datetime, settings: Settings):
        self.conn, self.actor, self.now, self.settings = conn, actor, now, settings
        self._allocations: list[dict] = []
        self._releases: list[dict] = []
        self._events: list[dict] = []
        self._touched: dict[int, RequestState] = {}

    def expire_if_due(self, state: RequestState, at: datetime | None = None) -> None:
        """A pending request past its time expires before it can take money (kernel of DESIGN §5). `at`: the
        instant the money came, when not now (a statement line: `in_time.judged_at`)."""
        if is_due(state.status, state.expires_at, self.now if at is None else at):
            self._move_status(state, states.EXPIRED, "expired", {}, actor="system:expiry")

    def undo_expiry(self, state: RequestState, at: datetime) -> None:
        """An expired request the bank booked money for before its deadline (`in_time`) is pending again, to
        take that money: its expiry came only because nobody told us of the transfer in time."""
        self._move_status(state, states.PENDING, EXPIRY_UNDONE, {"booked_at": at.isoformat()}, actor=self.actor,
                          undoing_expiry=True)

    def credit(self, state: RequestState, *, payment_id: PaymentKey, amount_vnd: int, how: str,
               channel: str) -> list[Line]:
        """Put `amount_vnd` of a payment onto a request. The payment may be named by its
        (provider, provider_ref) until it has an id; `flush` resolves it."""
        before = state.net_paid_vnd
        state.paid_vnd += amount_vnd
        self._allocations.append({"payment_id": payment_id, "payment_request_id": state.id, "amount_vnd": amount_vnd,
                                  "how": how, "created_at": self.now, "created_by": self.actor})
        self._settle(state, "payment_received", {"payment_id": payment_id, "amount_vnd": amount_vnd,
                                                 "channel": channel})
        return request_lines(state, before, state.net_paid_vnd)

    def release(self, state: RequestState, *, allocation_id: int, payment_id: int, amount_vnd: int,
                event: str) -> list[Line]:
        """Take an allocation back off its request (a void, or a match undone)."""
        before = state.net_paid_vnd
        state.paid_vnd -= amount_vnd
        self._releases.append({"a_id": allocation_id, "released_at": self.now, "released_by": self.actor})
        self._settle(state, event, {"payment_id": payment_id, "amount_vnd": amount_vnd})
        return request_lines(state, before, state.net_paid_vnd)

    def take_back(self, state: RequestState, *, allocation_id: int, payment_id: int, allocated_vnd: int,
                  amount_vnd: int, how: str) -> list[Line]:
        """Take `amount_vnd` of an allocation of `allocated_vnd` back off its request (money the bank never
        received): the allocation is released and what stays on the request is a new one, found as the
        old was; one status change, as a release (the request got less)."""
        before = state.net_paid_vnd
        state.paid_vnd -= amount_vnd
        self._releases.append({"a_id": allocation_id, "released_at": self.now, "released_by": self.actor})
        if allocated_vnd > amount_vnd:
            self._allocations.append({"payment_id": payment_id, "payment_request_id": state.id,
                                      "amount_vnd": allocated_vnd - amount_vnd, "how": how, "created_at": self.now,
                                      "created_by": self.actor})
        self._settle(state, "allocation_released", {"payment_id": payment_id, "amount_vnd": amount_vnd})
        return request_lines(state, before, state.net_paid_vnd)

    def refund(self, state: RequestState, *, refund_id: int, amount_vnd: int) -> list[Line]:
        """Give `amount_vnd` of what a request received back to the payer."""
        return self._move_refunded(state, amount_vnd, "refunded", {"refund_id": refund_id, "amount_vnd": amount_vnd})

    def undo_refund(self, state: RequestState, *, refund_id: int, amount_vnd: int) -> list[Line]:
        """A refund that could not be paid out: the money is the request's again."""
        return self._move_refunded(state, -amount_vnd, "refund_failed", {"refund_id": refund_id,
                                                                          "amount_vnd": amount_vnd})

    def refund_paid_out(self, state: RequestState, *, refund_id: int, amount_vnd: int) -> None:
        """A refund's money left the bank: nothing moves on the request (that was at approval), but its
        history records it and the citizen and subscribers are told now (payments.notifications)."""
        self._move_status(state, state.status, REFUND_EXECUTED, {"refund_id": refund_id, "amount_vnd": amount_vnd},
                          actor=self.actor)

    def withdraw_items(self, state: RequestState, *, fee_item_ids: frozenset[int],
                       shares: list[tuple[int, int]]) -> list[tuple[int, list[Line]]]:
        """Stop asking for fee items the request got money for (a cancelled shipment's postage): its amount
        drops by them and the money decides its status; what it received for them is an over-payment (moved
        from revenue to overpayments) for finance to refund. `shares`: (payment id, amount) of the money it
        holds, oldest first (its allocations); returns each payment's lines (those it moved)."""
        before = state.items
        state.items = [ItemDue(i.key, i.kind, i.position, 0) if i.key in fee_item_ids else i for i in before]
        withdrawn = sum(i.amount_vnd for i in before) - sum(i.amount_vnd for i in state.items)
        state.amount_vnd -= withdrawn
        self._settle(state, FEE_WITHDRAWN, {"fee_item_ids": sorted(fee_item_ids & {i.key for i in before}),
                                            "amount_vnd": withdrawn,  # and what they were, for the citizen's SMS
                                            "kinds": sorted({i.kind for i in before if i.key in fee_item_ids})})
        moved, low = [], 0
        for payment_id, amount in shares:  # each payment's slice of what the request holds, bottom up
            high = min(low + amount, max(state.net_paid_vnd, 0))
            lines = change_lines(state.agency_code, basis_change(before, state.items, low, high)) if high > low else []
            if lines:
                moved.append((payment_id, lines))
            low = high
        return moved

    def _move_refunded(self, state: RequestState, delta: int, event: str, data: dict) -> list[Line]:
        before = state.net_paid_vnd
        state.refunded_vnd += delta
        self._settle(state, event, data)
        return request_lines(state, before, state.net_paid_vnd)

    def _settle(self, state: RequestState, event: str, data: dict) -> None:
        target = states.status_for_amounts(state.amount_vnd, state.paid_vnd, state.refunded_vnd)
        self._move_status(state, target, event, data, actor=self.actor)

    def _move_status(self, state: RequestState, target: str, event: str, data: dict, *, actor: str,
                     undoing_expiry: bool = False) -> None:
        if undoing_expiry:
            states.check_expiry_undone(state.status, target)
        else:
            states.check_transition(state.status, target)
        self._events.append({"payment_request_id": state.id, "at": self.now, "event": event,
                             "from_status": state.status, "to_status": target, "actor": actor, "reason": None,
                             "data": data})
        state.history_length += 1
        state.status = target
        self._touched[state.id] = state

    def flush(self, payment_ids: dict[tuple[str, str], int] | None = None) -> None:
        """Write every move: allocations, releases, request totals and states, events."""
        conn = self.conn
        if payment_ids:  # each row and event data is the book's own (built by its move): set in place
            for row in self._allocations:
                row["payment_id"] = _resolve(row["payment_id"], payment_ids)
            for row in self._events:
                if "payment_id" in row["data"]:
                    row["data"]["payment_id"] = _resolve(row["data"]["payment_id"], payment_ids)
        if self._allocations:
            insert_rows(conn, PaymentAllocation.__table__, self._allocations)
        if self._releases:
            conn.execute(_RELEASE_ALLOCATIONS, self._releases)
        if self._touched:
            update_rows(conn, PaymentRequest.__table__, [
                {"id": s.id, "amount_vnd": s.amount_vnd, "paid_vnd": s.paid_vnd, "refunded_vnd": s.refunded_vnd,
                 "status": s.status, "updated_at": self.now} for s in self._touched.values()])
        if self._events:
            insert_rows(conn, PaymentRequestEvent.__table__, self._events)
            receipts = after_transitions(
                conn, [Transition(e["payment_request_id"], e["from_status"], e["to_status"], e["event"], e["data"])
                       for e in self._events], settings=self.settings, now=self.now, actor=self.actor,
                known={s.id: s.info() for s in self._touched.values()})
            for request_id, has_receipt in receipts.items():  # a state may be moved again after this flush
                self._touched[request_id].has_receipt = has_receipt
        self._allocations, self._releases, self._events, self._touched = [], [], [], {}


def _resolve(key: PaymentKey, payment_ids: dict[tuple[str, str], int]) -> int:
    return payment_ids[key] if isinstance(key, tuple) else key

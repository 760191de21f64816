"""Payment request states and the transitions allowed between them (DESIGN §5). Pure.

    pending ──► expired | cancelled          (lifecycle: only while nothing is paid)
    pending ◄─► partially_paid ◄─► paid ◄─► overpaid ◄─► partially_refunded ◄─► refunded
                                                         (money decides: see status_for_amounts)
    overpaid ──► cancelled                   (money decides: it asks for nothing and holds nothing)

Once money has arrived, the money decides the status, in either direction (a POS void
takes a paid request back to pending; a refund that fails puts a refunded one back).
A request that asks for nothing (every item withdrawn after it got money: a cancelled
shipment's postage) and no longer holds anything (its money voided, reversed or released) is
cancelled, as it would have been had nobody paid it: nothing is owed, so it waits for no money.
Expired and cancelled requests never change again: money for them waits in suspense. The one exception:
money the bank booked before an expired request's deadline undoes its expiry (`payments.in_time`).

What a request still owes has one definition (`outstanding_vnd`): the amount less what it
received and kept. A request with part of its money refunded (`partially_refunded`) owes the
rest again and stays payable for it (pay page, QR, checkout, cash, matching); one refunded in
full (`refunded`) is closed: money for it waits in suspense for finance.
"""
from __future__ import annotations

from kernel.errors import Conflict

PENDING = "pending"
PARTIALLY_PAID = "partially_paid"
PAID = "paid"
OVERPAID = "overpaid"
EXPIRED = "expired"
CANCELLED = "cancelled"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"

STATUSES = (PENDING, PARTIALLY_PAID, PAID, OVERPAID, EXPIRED, CANCELLED, PARTIALLY_REFUNDED, REFUNDED)

# Requests that still ask for money: the pay page offers a QR, checkout and cash take it.
OPEN = frozenset({PENDING, PARTIALLY_PAID, PARTIALLY_REFUNDED})
# Requests that can still receive money as payment (settled ones take it as overpayment);
# anything else sends it to suspense.
CREDITABLE = OPEN | {PAID, OVERPAID}
# Requests that ask for nothing any more (money for them waits in suspense): no QR, nothing owed.
CLOSED = frozenset({EXPIRED, CANCELLED, REFUNDED})
MONEY_DRIVEN = frozenset({PENDING, PARTIALLY_PAID, PAID, OVERPAID, PARTIALLY_REFUNDED, REFUNDED})

# A request asking for nothing that holds money is overpaid (status_for_amounts): money taken back off
# it (a void, a reversal, a released match; never a refund, which leaves it refunded) cancels it.
TRANSITIONS: dict[str, frozenset[str]] = {
    status: MONEY_DRIVEN - {status} | ({EXPIRED, CANCELLED} if status == PENDING else frozenset())
    | ({CANCELLED} if status == OVERPAID else frozenset())
    for status in MONEY_DRIVEN
}
TRANSITIONS[EXPIRED] = frozenset()
TRANSITIONS[CANCELLED] = frozenset()


class IllegalTransition(Conflict):
    def __init__(self, current: str, target: str):
        super().__init__(f"a payment request cannot go from {current} to {target}",
                         code="illegal_transition", details={"from": current, "to": target})


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransition unless `current -> target` is allowed (staying put is allowed)."""
    if current != target and target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def check_expiry_undone(current: str, target: str) -> None:
    """The one way out of `expired`: back to pending, for money the bank booked before the deadline and we
    learnt of after it (`payments.in_time`). Nothing else reopens a request."""
    if (current, target) != (EXPIRED, PENDING):
        raise IllegalTransition(current, target)


def status_for_amounts(amount_vnd: int, paid_vnd: int, refunded_vnd: int) -> str:
    """The money-driven status of a request from what it asked, got and gave back. One that asks for
    nothing and got nothing (or all it got was voided) waits for nothing: it is cancelled."""
    net = paid_vnd - refunded_vnd
    if refunded_vnd > 0 and net <= 0:
        return REFUNDED
    if refunded_vnd > 0 and net < amount_vnd:
        return PARTIALLY_REFUNDED
    if net <= 0:
        return PENDING if amount_vnd > 0 else CANCELLED
    if net < amount_vnd:
        return PARTIALLY_PAID
    return PAID if net == amount_vnd else OVERPAID


def outstanding_vnd(amount_vnd: int, paid_vnd: int, refunded_vnd: int) -> int:
    """What is still owed: the amount less what was received and kept (money refunded is owed again)."""
    return max(amount_vnd - (paid_vnd - refunded_vnd), 0)


def owed_vnd(status: str, amount_vnd: int, paid_vnd: int, refunded_vnd: int) -> int:
    """What a request asks for now (the API's and the events' `outstanding_vnd`): nothing once it is closed."""
    return 0 if status in CLOSED else outstanding_vnd(amount_vnd, paid_vnd, refunded_vnd)


def is_settled(status: str) -> bool:
    """Fully paid (a receipt is due, a delivery may go)."""
    return status in (PAID, OVERPAID)

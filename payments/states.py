"""Payment request states and the transitions allowed between them (DESIGN §5). Pure.

    pending ──► partially_paid ──► paid ──► overpaid
       │              │              │
       │              └──────────────┴──► partially_refunded ──► refunded
       ├──► expired
       └──► cancelled

Money is never refused: a payment for an expired or cancelled request goes to suspense
(finance assigns it), a payment beyond the amount makes the request `overpaid`.
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

# Requests that still accept money as payment (rather than as suspense).
OPEN = frozenset({PENDING, PARTIALLY_PAID})

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({PARTIALLY_PAID, PAID, OVERPAID, EXPIRED, CANCELLED}),
    PARTIALLY_PAID: frozenset({PENDING, PAID, OVERPAID, PARTIALLY_REFUNDED, REFUNDED}),
    PAID: frozenset({PENDING, PARTIALLY_PAID, OVERPAID, PARTIALLY_REFUNDED, REFUNDED}),
    OVERPAID: frozenset({PENDING, PARTIALLY_PAID, PAID, PARTIALLY_REFUNDED, REFUNDED}),
    PARTIALLY_REFUNDED: frozenset({PARTIALLY_REFUNDED, REFUNDED}),
    EXPIRED: frozenset(),
    CANCELLED: frozenset(),
    REFUNDED: frozenset(),
}


class IllegalTransition(Conflict):
    def __init__(self, current: str, target: str):
        super().__init__(f"a payment request cannot go from {current} to {target}",
                         code="illegal_transition", details={"from": current, "to": target})


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransition unless `current -> target` is allowed (staying put is allowed)."""
    if current != target and target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def status_for_amounts(amount_vnd: int, paid_vnd: int, refunded_vnd: int) -> str:
    """The money-driven status of a request from what it asked, got and gave back."""
    if refunded_vnd > 0:
        return REFUNDED if refunded_vnd >= paid_vnd else PARTIALLY_REFUNDED
    if paid_vnd <= 0:
        return PENDING
    if paid_vnd < amount_vnd:
        return PARTIALLY_PAID
    if paid_vnd == amount_vnd:
        return PAID
    return OVERPAID

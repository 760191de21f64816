"""How money paid into a request is spread over its fee items. Pure.

Fee items are credited in a fixed order (charges, then fees, then postage; within a kind,
in the order the dossier listed them), so a partial payment always covers the same items
and revenue per fee kind is well defined. Anything beyond the request's amount is an
overpayment.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

KIND_ORDER = {"charge": 0, "fee": 1, "postage": 2}


@dataclass(frozen=True)
class ItemDue:
    key: int
    kind: str
    position: int
    amount_vnd: int


def collected_by_item(items: list[ItemDue], paid_vnd: int) -> dict[int, int]:
    """How much of each item `paid_vnd` covers, filling items in crediting order."""
    remaining = max(paid_vnd, 0)
    covered = {}
    for item in sorted(items, key=lambda i: (KIND_ORDER[i.kind], i.position, i.key)):
        take = min(item.amount_vnd, remaining)
        covered[item.key] = take
        remaining -= take
    return covered


def collected_by_kind(items: list[ItemDue], paid_vnd: int) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    by_item = collected_by_item(items, paid_vnd)
    for item in items:
        totals[item.kind] += by_item[item.key]
    return dict(totals)


@dataclass(frozen=True)
class PaidChange:
    """What moving a request's net paid amount from `before` to `after` does to revenue."""

    revenue_by_kind: dict[str, int]  # positive: more collected; negative: less
    overpaid_vnd: int                # change in the part above the request's amount


def paid_change(items: list[ItemDue], before: int, after: int) -> PaidChange:
    if len(items) == 1:  # most requests carry one fee: the same result without the spreading
        item = items[0]
        collected = min(max(after, 0), item.amount_vnd) - min(max(before, 0), item.amount_vnd)
        overpaid = max(after - item.amount_vnd, 0) - max(before - item.amount_vnd, 0)
        return PaidChange({item.kind: collected} if collected else {}, overpaid)
    return _spread_change(items, before, after)


def _spread_change(items: list[ItemDue], before: int, after: int) -> PaidChange:
    total = sum(item.amount_vnd for item in items)
    old, new = collected_by_kind(items, before), collected_by_kind(items, after)
    revenue = {kind: new.get(kind, 0) - old.get(kind, 0) for kind in set(old) | set(new)}
    overpaid = max(after - total, 0) - max(before - total, 0)
    return PaidChange({k: v for k, v in revenue.items() if v}, overpaid)


def basis_change(before: list[ItemDue], after: list[ItemDue], low: int, high: int) -> PaidChange:
    """What asking for `after` instead of `before` (a fee item withdrawn: its amount 0) does to the money a
    request holds between `low` and `high` of its net paid (one payment's share): revenue per kind and
    overpayment of that money as spread over the old items, then over the new. It nets to zero."""
    def spread(items: list[ItemDue]) -> tuple[dict[str, int], int]:
        total = sum(item.amount_vnd for item in items)
        top, bottom = collected_by_kind(items, high), collected_by_kind(items, low)
        return ({kind: top[kind] - bottom[kind] for kind in top},
                max(high - total, 0) - max(low - total, 0))

    (old, old_over), (new, new_over) = spread(before), spread(after)
    revenue = {kind: new.get(kind, 0) - old.get(kind, 0) for kind in set(old) | set(new)}
    return PaidChange({k: v for k, v in revenue.items() if v}, new_over - old_over)

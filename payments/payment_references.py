"""The references a payment is known by (`models.PaymentReference`). One transfer may be reported by
three feeds (the bank's API, SePay/payOS, the statement) each naming its own reference; once two
reports are one payment, a report naming either reference must find it. So every report that creates
a payment or is linked to one adds its reference here (`remember`), and every lookup by reference
reads these rows (`keys_of`, or a join on `PaymentReference.key IN (...)`, at most `CHUNK` keys a query)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from kernel.bulk import insert_rows
from payments.models import PaymentReference
from payments.references import normalise_ref

CHUNK = 1000


def remember(conn: Connection, named: Iterable[tuple[int, str | None, str]], *, new_payments: bool = False) -> None:
    """Record (payment id, a reference as a report wrote it, that report's provider); a filler is no
    reference and is left out. A reference the payment is known by already stays as it was, unless
    `new_payments` (payments inserted in this transaction: a plain insert, the fastest)."""
    rows: dict[tuple[int, str], str] = {}
    for payment_id, reference, source in named:
        key = normalise_ref(reference)
        if key is not None:
            rows.setdefault((payment_id, key), source)
    insert_rows(conn, PaymentReference.__table__,
                [{"payment_id": payment_id, "key": key, "source": source} for (payment_id, key), source in rows.items()],
                skip_conflicts_on=() if new_payments else ("payment_id", "key"))


def keys_of(conn: Connection, payment_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """payment id -> {reference (`normalise_ref`) it is known by: the provider of the report that named
    it first}, for those known by any."""
    found: dict[int, dict[str, str]] = {}
    ids = sorted(set(payment_ids))
    for start in range(0, len(ids), CHUNK):
        for payment_id, key, source in conn.execute(
                select(PaymentReference.payment_id, PaymentReference.key, PaymentReference.source)
                .where(PaymentReference.payment_id.in_(ids[start:start + CHUNK]))):
            found.setdefault(payment_id, {})[key] = source
    return found

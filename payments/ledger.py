"""The double-entry journal: every money movement is one balanced entry; rows are append-only.

Accounts are named strings (see `Accounts`). Balances are materialised per account in a
few shards (so the bank clearing account is not one hot row every callback queues on) and
`check` proves Σ debits = Σ credits and that every stored balance equals its lines.
Corrections are reversing entries, never edits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CheckConstraint, Connection, ForeignKey, String, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.bulk import insert_rows
from kernel.db import PK, Base, BigIntPK, reserve_ids
from payments.models import Payment

BALANCE_SHARDS = 8


class Accounts:
    """Names of ledger accounts (assets are debit-normal, the others credit-normal)."""

    SUSPENSE = "suspense"
    OVERPAYMENTS = "overpayments"
    REFUNDS_PAYABLE = "refunds_payable"
    # Reconciliation write-offs: unidentified money in suspense that finance decides to keep
    # as other income (DR suspense, CR write_offs), with a reason; undone by the reverse entry.
    WRITE_OFFS = "write_offs"
    # Cash a drawer's count found beyond (credit) or short of (debit) what its account expected, at
    # its close (payments.cash.close_drawer): an unexplained đồng on the books until finance explains it.
    CASH_OVER_SHORT = "cash_over_short"

    @staticmethod
    def bank(bin_: str, account_number: str) -> str:
        return f"bank:{bin_}:{account_number}"

    @staticmethod
    def gateway(provider: str) -> str:
        return f"gateway:{provider}"

    @staticmethod
    def pos(terminal_id: str) -> str:
        return f"pos:{terminal_id}"

    @staticmethod
    def cash(drawer_id: int) -> str:
        return f"cash:{drawer_id}"

    @staticmethod
    def cod(courier: str) -> str:
        """What a courier collected on delivery for us and owes us until it remits it (a receivable)."""
        return f"cod:{courier}"

    @staticmethod
    def revenue(agency_code: str, kind: str) -> str:
        return f"revenue:{agency_code}:{kind}"


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[PK]
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30))
    memo: Mapped[str | None] = mapped_column(String(500))
    payment_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payments.id"), index=True)
    # Not indexed: nothing looks an entry up by its request (migration 0022).
    payment_request_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payment_requests.id"))
    created_by: Mapped[str] = mapped_column(String(200))


class LedgerLine(Base):
    __tablename__ = "ledger_lines"
    __table_args__ = (
        CheckConstraint("debit_vnd >= 0 AND credit_vnd >= 0 AND (debit_vnd = 0) <> (credit_vnd = 0)",
                        name="one_side"),
    )

    id: Mapped[PK]
    entry_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    debit_vnd: Mapped[int] = mapped_column(default=0)
    credit_vnd: Mapped[int] = mapped_column(default=0)


class LedgerBalance(Base):
    __tablename__ = "ledger_balances"

    account: Mapped[str] = mapped_column(String(120), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True)
    debit_vnd: Mapped[int] = mapped_column(default=0)
    credit_vnd: Mapped[int] = mapped_column(default=0)


class UnbalancedEntry(ValueError):
    pass


@dataclass(frozen=True)
class Line:
    account: str
    debit_vnd: int = 0
    credit_vnd: int = 0


@dataclass(frozen=True)
class Entry:
    """One journal entry to post."""

    kind: str
    lines: list[Line]
    at: datetime
    created_by: str
    memo: str | None = None
    payment_id: int | None = None
    payment_request_id: int | None = None


def post(session: Session, *, kind: str, lines: list[Line], at: datetime, created_by: str,
         memo: str | None = None, payment_id: int | None = None, payment_request_id: int | None = None) -> None:
    """Write one balanced entry and move the balances, in the caller's transaction."""
    post_many(session.connection(), [Entry(kind, lines, at, created_by, memo, payment_id, payment_request_id)])


_INSERT_ENTRY_RETURNING = insert(LedgerEntry).returning(LedgerEntry.id)


def post_many(conn: Connection, entries: list[Entry]) -> None:
    """Write balanced entries and move the balances: four statements however many entries.

    Core, not the ORM: this runs for every payment and every statement line.
    """
    if not entries:
        return
    merged = [_merge(entry) for entry in entries]
    rows = [{"at": e.at, "kind": e.kind, "memo": e.memo, "payment_id": e.payment_id,
             "payment_request_id": e.payment_request_id, "created_by": e.created_by} for e in entries]
    if len(rows) == 1:  # one entry: RETURNING is one statement, a reservation would be two
        ids = conn.execute(_INSERT_ENTRY_RETURNING, rows[0]).scalars().all()
    else:
        ids = reserve_ids(conn, "ledger_entries", len(rows))
        for row, entry_id in zip(rows, ids):
            row["id"] = entry_id
        insert_rows(conn, LedgerEntry.__table__, rows)
    insert_rows(conn, LedgerLine.__table__, [
        {"entry_id": entry_id, "account": account, "debit_vnd": debit, "credit_vnd": credit}
        for entry_id, lines in zip(ids, merged) for account, debit, credit in lines
    ])
    totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for entry_id, lines in zip(ids, merged):
        for account, debit, credit in lines:
            total = totals[(account, entry_id % BALANCE_SHARDS)]
            total[0] += debit
            total[1] += credit
    _move_balances(conn, totals)


def _merge(entry: Entry) -> list[tuple[str, int, int]]:
    """(account, debit, credit): one per account and side, in (account, side) order (credit first),
    zeros dropped; refuses an entry that does not balance. Runs for every payment: plain dicts."""
    debits: dict[str, int] = {}
    credits: dict[str, int] = {}
    for line in entry.lines:
        account, debit, credit = line.account, line.debit_vnd, line.credit_vnd
        if debit < 0 or credit < 0:
            raise UnbalancedEntry("ledger amounts are never negative: use the other side")
        if debit:
            debits[account] = debits.get(account, 0) + debit
        if credit:
            credits[account] = credits.get(account, 0) + credit
    debit, credit = sum(debits.values()), sum(credits.values())
    if debit != credit or debit == 0:
        raise UnbalancedEntry(f"entry {entry.kind!r} does not balance: debits {debit} != credits {credit}")
    # Amounts are positive, so an account's (account, 0, credit) sorts before its (account, debit, 0).
    return sorted([(account, amount, 0) for account, amount in debits.items()]
                  + [(account, 0, amount) for account, amount in credits.items()])


def _balances_upsert(dialect: str):
    insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LedgerBalance)
    return insert_.on_conflict_do_update(
        index_elements=["account", "shard"],
        set_={"debit_vnd": LedgerBalance.debit_vnd + insert_.excluded.debit_vnd,
              "credit_vnd": LedgerBalance.credit_vnd + insert_.excluded.credit_vnd},
    )


# Built once per dialect: this statement runs with every payment.
_BALANCES_UPSERT = {dialect: _balances_upsert(dialect) for dialect in ("postgresql", "sqlite")}


def _move_balances(conn: Connection, totals: dict[tuple[str, int], list[int]]) -> None:
    rows = [{"account": account, "shard": shard, "debit_vnd": d, "credit_vnd": c}
            for (account, shard), (d, c) in sorted(totals.items())]  # sorted: one lock order, no deadlocks
    conn.execute(_BALANCES_UPSERT[conn.dialect.name], rows)


def balance(session: Session, account: str) -> int:
    """Debit minus credit of an account."""
    debit, credit = session.execute(
        select(func.coalesce(func.sum(LedgerBalance.debit_vnd), 0), func.coalesce(func.sum(LedgerBalance.credit_vnd), 0))
        .where(LedgerBalance.account == account)).one()
    return int(debit) - int(credit)


def balances(session: Session, prefix: str = "") -> dict[str, int]:
    """Debit minus credit per account whose name starts with `prefix`."""
    rows = session.execute(
        select(LedgerBalance.account, func.sum(LedgerBalance.debit_vnd) - func.sum(LedgerBalance.credit_vnd))
        .where(LedgerBalance.account.startswith(prefix, autoescape=True)).group_by(LedgerBalance.account))
    return {account: int(value) for account, value in rows}


@dataclass(frozen=True)
class CheckReport:
    total_debit_vnd: int
    total_credit_vnd: int
    unbalanced_entries: list[int]
    wrong_balances: list[str]
    # Payments whose money in suspense (`unallocated_vnd`) is not what their entries put there and took out
    # (the first thousand).
    suspense_differs: list[int] = field(default_factory=list)
    # Suspense moved by entries of no payment: money there that no payment can explain.
    suspense_of_no_payment_vnd: int = 0
    # Active payments whose amount is not what their requests hold + what waits in suspense + what refunds took
    # out of suspense + what was written off (the first thousand): đồng that nothing accounts for, or twice.
    unaccounted_payments: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.total_debit_vnd == self.total_credit_vnd and not self.unbalanced_entries
                and not self.wrong_balances and not self.suspense_differs and not self.suspense_of_no_payment_vnd
                and not self.unaccounted_payments)


def check(session: Session) -> CheckReport:
    """Prove the journal: Σ debits = Σ credits, every entry balances, every balance equals its lines; that
    every đồng in suspense is a payment's: each payment's `unallocated_vnd` is what its entries put there; and
    that every đồng of every active payment is somewhere: its requests, suspense, a refund out of suspense, or
    written off."""
    total_debit, total_credit = session.execute(
        select(func.coalesce(func.sum(LedgerLine.debit_vnd), 0), func.coalesce(func.sum(LedgerLine.credit_vnd), 0))
    ).one()
    unbalanced = list(session.execute(
        select(LedgerLine.entry_id).group_by(LedgerLine.entry_id)
        .having(func.sum(LedgerLine.debit_vnd) != func.sum(LedgerLine.credit_vnd))
    ).scalars())
    from_lines = {a: (int(d), int(c)) for a, d, c in session.execute(
        select(LedgerLine.account, func.sum(LedgerLine.debit_vnd), func.sum(LedgerLine.credit_vnd))
        .group_by(LedgerLine.account))}
    stored = {a: (int(d), int(c)) for a, d, c in session.execute(
        select(LedgerBalance.account, func.sum(LedgerBalance.debit_vnd), func.sum(LedgerBalance.credit_vnd))
        .group_by(LedgerBalance.account))}
    wrong = sorted(a for a in set(from_lines) | set(stored) if from_lines.get(a, (0, 0)) != stored.get(a, (0, 0)))
    moved = func.sum(LedgerLine.credit_vnd - LedgerLine.debit_vnd)
    held = (select(LedgerEntry.payment_id, moved.label("vnd")).join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
            .where(LedgerLine.account == Accounts.SUSPENSE).group_by(LedgerEntry.payment_id).subquery())
    differs = list(session.execute(
        select(Payment.id).outerjoin(held, held.c.payment_id == Payment.id)
        .where(Payment.unallocated_vnd != func.coalesce(held.c.vnd, 0)).order_by(Payment.id).limit(1000)).scalars())
    of_none = session.execute(select(func.coalesce(held.c.vnd, 0)).where(held.c.payment_id.is_(None))).scalar()
    return CheckReport(int(total_debit), int(total_credit), unbalanced, wrong, differs, int(of_none or 0),
                       _unaccounted_payments(session))


def _unaccounted_payments(session: Session) -> list[int]:
    """Active payments whose amount ≠ Σ live allocations + unallocated + Σ counted refund parts out of suspense
    + what finance wrote off from its suspense (reconciliation: kept as other income)."""
    from payments.models import PaymentAllocation
    from payments.refunds import AWAITING_APPROVAL, NOT_COUNTED, Refund, RefundPart  # refunds post through this module

    allocated = (select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount_vnd).label("vnd"))
                 .where(PaymentAllocation.released_at.is_(None)).group_by(PaymentAllocation.payment_id).subquery())
    refunded = (select(Refund.payment_id, func.sum(RefundPart.amount_vnd).label("vnd"))
                .join(RefundPart, RefundPart.refund_id == Refund.id)
                # a refund waiting for approval names its parts but has taken nothing yet
                .where(Refund.status.not_in((*NOT_COUNTED, AWAITING_APPROVAL)), RefundPart.allocation_id.is_(None))
                .group_by(Refund.payment_id).subquery())
    written_off = (select(LedgerEntry.payment_id, func.sum(LedgerLine.credit_vnd - LedgerLine.debit_vnd).label("vnd"))
                   .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
                   .where(LedgerLine.account == Accounts.WRITE_OFFS).group_by(LedgerEntry.payment_id).subquery())
    return list(session.execute(
        select(Payment.id).outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .outerjoin(refunded, refunded.c.payment_id == Payment.id)
        .outerjoin(written_off, written_off.c.payment_id == Payment.id)
        .where(Payment.status == "active", Payment.amount_vnd != func.coalesce(allocated.c.vnd, 0)
               + Payment.unallocated_vnd + func.coalesce(refunded.c.vnd, 0) + func.coalesce(written_off.c.vnd, 0))
        .order_by(Payment.id).limit(1000)).scalars())

"""Open requests a sum of money might have paid, for finance to look at: proposals, never applied.

Money nothing could put on a request — an unmatched statement line, a callback in suspense —
is offered the open requests that owe exactly that much, ranked by the payer's name in the memo
and by the day it came while the request was open. One ranking for the reconciliation queue and
the suspense desk. Ranked are the newest `CANDIDATES` owing the amount and every one whose
applicant the memo names: a common fee is owed by many, and the citizen who wrote his name is
often not among the newest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import business_date
from payments import states
from payments.codes import normalise_memo
from payments.models import Dossier, PaymentRequest

CANDIDATES = 20  # the newest open requests owing the amount that are ranked (with those the memo names)
SHOWN = 3


@dataclass(frozen=True)
class Candidate:
    payment_code: str
    outstanding_vnd: int
    applicant_name: str
    created_date: date
    expires_date: date | None  # None: no deadline (held for cash on delivery)


@dataclass(frozen=True)
class Money:
    """A sum of money nothing could put on a request: how much, the day it came, what it said."""

    amount_vnd: int
    day: date
    memo: str
    payer_name: str | None = None


def for_money(session: Session, *, amount_vnd: int, day: date, memo: str, payer_name: str | None) -> list[dict]:
    """The open requests `amount_vnd` received on `day` might have paid, best first."""
    return for_each(session, [Money(amount_vnd, day, memo, payer_name)])[0]


def for_each(session: Session, moneys: list[Money]) -> list[list[dict]]:
    """`for_money` for a page of them, in one read of the open requests owing any of their amounts."""
    amounts = sorted({m.amount_vnd for m in moneys})
    by_amount: dict[int, _Owing] = {}
    outstanding = PaymentRequest.amount_vnd - PaymentRequest.paid_vnd + PaymentRequest.refunded_vnd
    for start in range(0, len(amounts), 500):  # bounded IN lists
        for code, left, name, created, expires in session.execute(
                select(PaymentRequest.payment_code, outstanding, Dossier.applicant_name, PaymentRequest.created_at,
                       PaymentRequest.expires_at)
                .join(Dossier, Dossier.id == PaymentRequest.dossier_id)
                .where(PaymentRequest.status.in_(states.OPEN), outstanding.in_(amounts[start:start + 500]))
                .order_by(PaymentRequest.created_at.desc(), PaymentRequest.id.desc())):
            by_amount.setdefault(int(left), _Owing()).add(Candidate(
                code, left, name, business_date(created), business_date(expires) if expires else None))
    nobody = _Owing()
    return [rank(amount_vnd=m.amount_vnd, day=m.day, memo=m.memo, payer_name=m.payer_name,
                 candidates=by_amount.get(m.amount_vnd, nobody).for_words(_words(m.memo, m.payer_name)))
            for m in moneys]


class _Owing:
    """The open requests owing one amount, newest first: the newest `CANDIDATES`, and all of them by the
    applicant's name as a memo would write it (found from the memo's words, not by reading every one)."""

    def __init__(self) -> None:
        self.newest: list[Candidate] = []
        self.by_name: dict[str, list[Candidate]] = {}
        self.sizes: set[int] = set()  # how many words the names have

    def add(self, candidate: Candidate) -> None:
        if len(self.newest) < CANDIDATES:
            self.newest.append(candidate)
        name = _name_words(candidate.applicant_name)
        if name:
            self.by_name.setdefault(" ".join(name), []).append(candidate)
            self.sizes.add(len(name))

    def for_words(self, words: list[str]) -> list[Candidate]:
        """The newest, and those whose applicant's whole name stands in `words`."""
        found = {c.payment_code: c for c in self.newest}
        for size in sorted(self.sizes):
            for start in range(len(words) - size + 1):
                for c in self.by_name.get(" ".join(words[start:start + size]), ()):
                    found.setdefault(c.payment_code, c)
        return list(found.values())


def _words(memo: str, payer_name: str | None) -> list[str]:
    """A memo and the payer's name as names are looked for in them: upper case, no accents, by word."""
    return normalise_memo(" ".join(filter(None, [memo, payer_name]))).split()


@functools.lru_cache(maxsize=4096)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(normalise_memo(name).split())


def rank(*, amount_vnd: int, day: date, memo: str, payer_name: str | None, candidates: list[Candidate],
         limit: int = SHOWN) -> list[dict]:
    """Rank open requests the money might have paid: amount, then name, then date. Pure."""
    text = f" {' '.join(_words(memo, payer_name))} "
    ranked = []
    for c in candidates:
        score, why = 0, []
        if c.outstanding_vnd == amount_vnd:
            score, why = 40, ["amount_equals_outstanding"]
        name = " ".join(_name_words(c.applicant_name))
        if name and f" {name} " in text:
            score += 30
            why.append("payer_name_matches_applicant")
        if c.created_date <= day and (c.expires_date is None or day <= c.expires_date):
            score += 10
            why.append("paid_while_request_open")
        if score >= 40:
            ranked.append({"payment_code": c.payment_code, "amount_vnd": min(amount_vnd, c.outstanding_vnd),
                           "score": min(score, 80), "reasons": why})
    ranked.sort(key=lambda s: (-s["score"], s["payment_code"]))
    return ranked[:limit]

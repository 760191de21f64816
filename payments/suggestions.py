"""Open requests a sum of money might have paid, for finance to look at: proposals, never applied.

Money nothing could put on a request — an unmatched statement line, a callback in suspense —
is offered the open requests that owe exactly that much and those a mistyped code of its memo is one
keystroke from (crediting takes such a code only when one request fits, for the exact amount),
ranked by the payer's name in the memo and by the day it came while the request was open. One ranking for the reconciliation queue and
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
from kernel.inbox import InboundCallback
from payments import states
from payments.announcements import STATEMENT_PROVIDER, announced
from payments.codes import is_valid_code, normalise_memo, scan_memo
from payments.models import Dossier, Payment, PaymentRequest

CANDIDATES = 20  # the newest open requests owing the amount that are ranked (with those the memo names)
SHOWN = 3
# A code the bank's own callback named for the transfer, checked: below an auto-confirmed match (90-100),
# above what the amount, the payer's name and the date suggest (at most 80) and a proposal (60).
NAMED_BY_CALLBACK_SCORE = 85


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


def for_money(session: Session, *, amount_vnd: int, day: date, memo: str, payer_name: str | None,
              prefix: str) -> list[dict]:
    """The open requests `amount_vnd` received on `day` might have paid, best first."""
    return for_each(session, [Money(amount_vnd, day, memo, payer_name)], prefix=prefix)[0]


def for_each(session: Session, moneys: list[Money], *, prefix: str) -> list[list[dict]]:
    """`for_money` for a page of them, in one read of the open requests owing any of their amounts and one
    of those a mistyped code of their memos is one keystroke from."""
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
    nearby = [_typo_neighbours(m.memo, prefix) for m in moneys]
    open_near = _open_candidates(session, set().union(*nearby))
    nobody = _Owing()
    return [rank(amount_vnd=m.amount_vnd, day=m.day, memo=m.memo, payer_name=m.payer_name,
                 candidates=_together(by_amount.get(m.amount_vnd, nobody).for_words(_words(m.memo, m.payer_name)),
                                      [open_near[code] for code in sorted(near) if code in open_near]),
                 near=near)
            for m, near in zip(moneys, nearby)]


def _typo_neighbours(memo: str, prefix: str) -> frozenset[str]:
    """The valid codes one keystroke from each mistyped code of a memo. Crediting takes the one of them that
    is open (for the exact amount, from a statement); when several are open, or the amount differs, which
    one the citizen meant is finance's to say: they are offered, whatever they owe."""
    return frozenset(n for token in scan_memo(memo, prefix) if token.code is None for n in token.neighbours)


def _open_candidates(session: Session, wanted: set[str]) -> dict[str, Candidate]:
    found: dict[str, Candidate] = {}
    ordered = sorted(wanted)
    outstanding = PaymentRequest.amount_vnd - PaymentRequest.paid_vnd + PaymentRequest.refunded_vnd
    for start in range(0, len(ordered), 500):  # bounded IN lists
        for code, left, name, created, expires in session.execute(
                select(PaymentRequest.payment_code, outstanding, Dossier.applicant_name, PaymentRequest.created_at,
                       PaymentRequest.expires_at).join(Dossier, Dossier.id == PaymentRequest.dossier_id)
                .where(PaymentRequest.status.in_(states.OPEN),
                       PaymentRequest.payment_code.in_(ordered[start:start + 500]))):
            found[code] = Candidate(code, int(left), name, business_date(created),
                                    business_date(expires) if expires else None)
    return found


def _together(*groups: list[Candidate]) -> list[Candidate]:
    return list({c.payment_code: c for group in groups for c in group}.values())


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
         near: frozenset[str] = frozenset(), limit: int = SHOWN) -> list[dict]:
    """Rank open requests the money might have paid: amount, then a mistyped code one keystroke from
    theirs (`near`), then name, then date. Pure."""
    text = f" {' '.join(_words(memo, payer_name))} "
    ranked = []
    for c in candidates:
        score, why = 0, []
        if c.outstanding_vnd == amount_vnd:
            score, why = 40, ["amount_equals_outstanding"]
        if c.payment_code in near:  # as strong a hint as the amount: one of few codes the citizen may have meant
            score += 40
            why.append("code_one_edit_away")
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


# --- what a late callback named ----------------------------------------------------------

def named_by_late_callbacks(session: Session, waiting: list[tuple[int, int]], prefix: str) -> dict[int, list[dict]]:
    """(payment id, money waiting) -> the open requests that the bank callback linked to that statement
    payment after the statement named with verifying check digits (the code its channel read, else its
    memo's), for those that have any. The statement's memo named no code (a bank shortens it): had the
    callback come first, crediting would have paid them. Offered first, never applied."""
    amounts = dict(waiting)
    named: dict[int, set[str]] = {}
    ids = sorted(amounts)
    for start in range(0, len(ids), 500):  # bounded IN lists
        for payment_id, event in session.execute(
                select(Payment.id, InboundCallback.event).join(InboundCallback, InboundCallback.id == Payment.inbox_id)
                .where(Payment.id.in_(ids[start:start + 500]), Payment.provider == STATEMENT_PROVIDER, announced())):
            if event and event.get("type") == "credit":
                named[payment_id] = _verified_codes(event.get("payment_code"), event.get("memo"), prefix)
    owing = _outstanding_of_open(session, set().union(*named.values())) if named else {}
    return {payment_id: [{"payment_code": code, "amount_vnd": min(amounts[payment_id], owing[code]),
                          "score": NAMED_BY_CALLBACK_SCORE, "reasons": ["named_by_callback"]}
                         for code in sorted(codes) if owing.get(code, 0) > 0]
            for payment_id, codes in named.items()}


def first_each(*offers: list[dict]) -> list[dict]:
    """Offers in the order given, each request once (the first offer of it kept)."""
    seen: set[str] = set()
    return [o for found in offers for o in found if not (o["payment_code"] in seen or seen.add(o["payment_code"]))]


def _verified_codes(payment_code: str | None, memo: str | None, prefix: str) -> set[str]:
    """The codes a callback names as written (a mistyped one's neighbours are guesses, not its word)."""
    if payment_code and is_valid_code(payment_code, prefix):
        return {payment_code}
    return {token.code for token in scan_memo(payment_code or memo or "", prefix) if token.code}


def _outstanding_of_open(session: Session, codes: set[str]) -> dict[str, int]:
    """payment code -> what it still owes, for the open requests among `codes`."""
    owed = PaymentRequest.amount_vnd - PaymentRequest.paid_vnd + PaymentRequest.refunded_vnd
    return {code: int(left) for code, left in session.execute(
        select(PaymentRequest.payment_code, owed).where(PaymentRequest.payment_code.in_(sorted(codes)),
                                                        PaymentRequest.status.in_(states.OPEN)))}

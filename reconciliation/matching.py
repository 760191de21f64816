"""Scoring what happened to a statement line, and proposing what finance might do. Pure.

Money is never allocated here: `payments.credits.record_credits` (the one crediting path)
decides where a line's money goes. This module reads the outcome — which codes took how
much and how they were found — and turns it into the line's status, a 0-100 score and
reasons. It also keys lines for de-duplication (suggestions for lines nothing could match are
`payments.suggestions`).
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date

from payments.announcements import memo_signature
from payments.references import normalise_ref
from reconciliation.models import IGNORED, MATCHED, PROPOSED, UNMATCHED
from reconciliation.statements import CREDIT, StatementLine

# how an allocation was found -> confidence
HOW_SCORE = {"exact": 100, "explicit": 100, "manual": 100, "corrected": 90}
PARTIAL_SCORE = 70  # some of the money found its request, the rest waits in suspense
PROPOSAL_SCORE = 60


@dataclass(frozen=True)
class PaymentFacts:
    """A payment as reconciliation needs to see it."""

    status: str  # active | reversed
    unallocated_vnd: int
    suspense_reason: str | None
    allocations: tuple[tuple[str, int, str], ...] = ()  # active ones: (payment code, amount, how)
    refund_awaiting_vnd: int = 0  # asked back, still in suspense until an approver decides
    announced: bool = False  # a bank callback came after the statement and was linked to it

    @property
    def waiting_vnd(self) -> int:
        """Money in suspense nobody has decided on yet (a refund awaiting approval has claimed its part)."""
        return max(self.unallocated_vnd - self.refund_awaiting_vnd, 0)


@dataclass(frozen=True)
class Verdict:
    status: str
    score: int
    reasons: list[str]

    def __post_init__(self) -> None:  # each reason once, first place kept (a payment's and a decision's may agree)
        object.__setattr__(self, "reasons", list(dict.fromkeys(self.reasons)))


# --- keys -----------------------------------------------------------------------------

def base_key(line: StatementLine) -> str:
    """Identity of a line across files: the bank's reference when it gives one, else a
    fingerprint of its day, side, amount and memo. An occurrence suffix (#2, #3) is added for
    lines that repeat inside one file (`keyed`).

    The fingerprint leaves out the time on purpose: one export gives it and another (or the
    same bank's other format) does not, and a transfer imported from both must never be
    credited twice. The price: without a bank reference, two equal transfers of a day that
    come in different files are taken for one; the day's stated closing balance then shows
    the missing one as a balance_mismatch exception."""
    ref = normalise_ref(line.bank_ref)
    side = "C" if line.direction == CREDIT else "D"
    day = _day_digits(line.booking_date)
    if ref and len(ref) <= 40:
        return f"r:{day}:{ref}:{side}{line.amount_vnd}"
    memo = memo_signature(line.memo)
    digest = hashlib.blake2b(f"{day}|{side}{line.amount_vnd}|{ref or ''}|{memo}"
                             .encode(), digest_size=16).hexdigest()
    return f"f:{digest}"


@functools.lru_cache(maxsize=4096)
def _day_digits(day: date) -> str:
    """`20261124`: a statement's few days are formatted once each, not once a line (strftime is slow)."""
    return f"{day:%Y%m%d}"


def key_hash(base: str) -> int:
    """A 64-bit hash of a base key (phase 1 collects these to find in-file repeats cheaply). Python's own
    string hash (SipHash, keyed per process): the hashes are compared within the import's process only (the
    parsed file and its spool never leave it), and a collision costs a second look, never a wrong key."""
    return hash(base)


# --- verdicts -------------------------------------------------------------------------

def classify(*, direction: str, is_reversal: bool, source: str | None, payment: PaymentFacts | None,
             proposal: dict | None = None, decisions: tuple[str, ...] = ()) -> Verdict:
    """Status, score and reasons of a line from what its money did (`decisions`: finance's standing ones on
    it, oldest first: a refund asked for part and a write-off of the rest are both said)."""
    reasons: list[str] = ["reversal"] if is_reversal else []
    if direction != CREDIT:
        return Verdict(IGNORED, 0, ["debit", *reasons])
    if "ignore" in decisions:
        return Verdict(IGNORED, 0, ["ignored_by_finance", *reasons])
    if source == "callback":
        reasons.append("seen_by_callback")
    if payment is None:
        return Verdict(UNMATCHED, 0, [*reasons, "no_payment"])
    if payment.status != "active":
        return Verdict(UNMATCHED, 0, [*reasons, "payment_reversed"])
    hows = {how for _, _, how in payment.allocations}
    if "exact" in hows or "explicit" in hows:
        reasons.append("code_verified")
    if "corrected" in hows:
        reasons.append("code_corrected")
    if "manual" in hows:
        reasons.append("manual_match")
    if len({code for code, _, _ in payment.allocations}) > 1:
        reasons.append("multi_code")
    extra = [reason for decision in decisions for reason in _resolution_reason(decision)]
    if payment.allocations and payment.waiting_vnd == 0:
        # what finance did with the rest (written off, refund asked) accounts for the money the
        # allocations leave out
        return Verdict(MATCHED, min(HOW_SCORE.get(h, 50) for h in hows), [*reasons, *extra])
    if payment.allocations:
        return Verdict(MATCHED, PARTIAL_SCORE, [*reasons, payment.suspense_reason or "part_in_suspense", *extra])
    if payment.waiting_vnd == 0:
        # none of it on a request, none of it waiting: finance wrote it all off or asked it all back,
        # so the line is reconciled (against those entries), not an open unmatched credit
        return Verdict(MATCHED, HOW_SCORE["manual"], [*reasons, *(extra or ["settled_by_finance"])])
    if proposal:
        return Verdict(PROPOSED, int(proposal.get("score", PROPOSAL_SCORE)),
                       [*reasons, payment.suspense_reason or "proposed", *extra])
    return Verdict(UNMATCHED, 0, [*reasons, payment.suspense_reason or "no_code", *extra])


def _resolution_reason(resolution: str | None) -> list[str]:
    return {"write_off": ["written_off"], "refund": ["refund_requested"],
            "acknowledge": ["acknowledged"]}.get(resolution or "", [])


def request_reasons(status: str, paying_payments: int) -> list[str]:
    """What the state of a request a line paid says about the line (derived when read)."""
    reasons = []
    if status == "partially_paid":
        reasons.append("under_payment")
    elif status == "overpaid":
        reasons.append("over_payment")
    if paying_payments > 1 and status in ("paid", "overpaid"):
        reasons.append("split_payment")
    return reasons

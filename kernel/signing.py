"""`X-HCC-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`: HMAC-SHA256 over `"{t}.{raw body}"`.

Used for inbound pushes (bank, POS, courier) and for the events we send out. A header may
carry several v1 values and we may hold several secrets, so either side can rotate keys
without a flag day. The timestamp bounds replays to the tolerance window.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from datetime import datetime

from kernel.text import is_ascii_digits

HEADER = "X-HCC-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """Why a signature was refused (the reason is recorded, never the secret)."""


def same_secret(expected: str, given: str) -> bool:
    """Constant-time equality of a secret we hold and text someone sent. Compared as bytes: `compare_digest`
    raises on non-ASCII str, and a key, hash or token sent as such text is simply wrong, not an error."""
    def raw(text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(raw(expected), raw(given))


def signature(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secrets: Sequence[str], body: bytes, timestamp: int) -> str:
    """The header value: one v1 per active secret."""
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, body, timestamp)}" for s in secrets])


def verify(header: str | None, body: bytes, secrets: Sequence[str], *, now: datetime,
           tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise SignatureError unless some v1 matches some secret within the time window."""
    if not header:
        raise SignatureError("missing signature header")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1" and value:
            candidates.append(value.lower())
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    verify_timed(timestamp, candidates, body, secrets, now=now, tolerance=tolerance)


def verify_timed(timestamp: str, candidates: Sequence[str], body: bytes, secrets: Sequence[str], *, now: datetime,
                 tolerance: int = TOLERANCE_SECONDS) -> None:
    """The check every `"{t}.{raw body}"` HMAC-SHA256 signature shares, however its sender carries `t` and the
    hex digests (ours in one header, SePay's in two): unix seconds within the window, one digest matching."""
    if not is_ascii_digits(timestamp) or len(timestamp) > 12:
        raise SignatureError("malformed signature timestamp")
    # `t` is whole seconds (the sender's clock cut down), so the window is counted in whole seconds too:
    # against our clock's microseconds a signature 300 s old was refused as soon as the second had begun
    # (299 s in the past, 300 s ahead), and whether it passed depended on when in the second it arrived.
    if abs(math.floor(now.timestamp()) - int(timestamp)) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance window")
    expected = [signature(s, body, int(timestamp)) for s in secrets]
    if not any(same_secret(e, c.lower()) for e in expected for c in candidates):
        raise SignatureError("signature does not match")

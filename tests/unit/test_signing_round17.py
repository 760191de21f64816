"""Round 17: the signature window at the edges. `t` is whole unix seconds (the sender's clock cut down
to the second), our clock has microseconds: the window must be 300 whole seconds on both sides."""
from datetime import datetime, timedelta, timezone

import pytest

from kernel.signing import SignatureError, signature, verify, verify_timed

BODY = b'{"transaction_id":"FT17","amount_vnd":50000}'
T = int(datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc).timestamp())


def _header(t: int) -> str:
    return f"t={t},v1={signature('s1', BODY, t)}"


@pytest.mark.parametrize("fraction_ms", [0, 1, 500, 999])
@pytest.mark.parametrize("age", [-300, -1, 0, 1, 299, 300])
def test_a_signature_at_most_300_whole_seconds_away_verifies_whatever_our_clocks_fraction(age, fraction_ms):
    """Signed at second T-300 and checked at T plus 0.5 s is 300 seconds old as `t` counts: in the window,
    as it is when checked at T exactly (the past side was 299 seconds as soon as our clock had a fraction)."""
    now = datetime.fromtimestamp(T, timezone.utc) + timedelta(milliseconds=fraction_ms)
    verify(_header(T - age), BODY, ["s1"], now=now)


@pytest.mark.parametrize("fraction_ms", [0, 1, 500, 999])
@pytest.mark.parametrize("age", [-301, 301, 3600, -3600])
def test_a_signature_more_than_300_whole_seconds_away_is_refused(age, fraction_ms):
    now = datetime.fromtimestamp(T, timezone.utc) + timedelta(milliseconds=fraction_ms)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(_header(T - age), BODY, ["s1"], now=now)


def test_sepays_timestamp_has_the_same_window():
    now = datetime.fromtimestamp(T, timezone.utc) + timedelta(milliseconds=700)
    verify_timed(str(T - 300), [signature("s1", BODY, T - 300)], BODY, ["s1"], now=now)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_timed(str(T - 301), [signature("s1", BODY, T - 301)], BODY, ["s1"], now=now)


@pytest.mark.parametrize("header", [
    f"T={T},V1={signature('s1', BODY, T)}",  # the keys are lower-case, as the header's definition writes them
    f"t={T}",
    f"v1={signature('s1', BODY, T)}",
    f"t=+{T},v1={signature('s1', BODY, T)}",
    f"t={T}.0,v1={signature('s1', BODY, T)}",
    f"t={T}000,v1={signature('s1', BODY, T)}",  # milliseconds: not unix seconds
    f"t=-{T},v1={signature('s1', BODY, T)}",
])
def test_a_header_not_in_the_documented_form_is_refused_not_a_crash(header):
    with pytest.raises(SignatureError):
        verify(header, BODY, ["s1"], now=datetime.fromtimestamp(T, timezone.utc))


def test_an_upper_case_hex_digest_verifies():
    verify(f"t={T},v1={signature('s1', BODY, T).upper()}", BODY, ["s1"],
           now=datetime.fromtimestamp(T, timezone.utc))

from datetime import datetime, timezone

import pytest

from kernel.signing import SignatureError, sign, signature, verify

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
T = int(NOW.timestamp())
BODY = b'{"transaction_id":"FT1","amount_vnd":50000}'


def test_a_signature_made_with_the_secret_verifies():
    verify(sign(["s1"], BODY, T), BODY, ["s1"], now=NOW)


def test_any_of_several_secrets_and_any_of_several_v1_values_may_match():
    verify(sign(["new", "old"], BODY, T), BODY, ["old"], now=NOW)
    verify(sign(["old"], BODY, T), BODY, ["new", "old"], now=NOW)


@pytest.mark.parametrize("header,reason", [
    (None, "missing"), ("", "missing"), ("v1=abc", "malformed"), (f"t={T}", "malformed"),
    (f"t=abc,v1={signature('s1', BODY, T)}", "malformed"), (f"t=¹²,v1={signature('s1', BODY, T)}", "malformed"),
    (f"t={T - 301},v1={signature('s1', BODY, T - 301)}", "tolerance"),
    (f"t={T + 301},v1={signature('s1', BODY, T + 301)}", "tolerance"),
    (f"t={T},v1={signature('wrong', BODY, T)}", "does not match"),
    (f"t={T},v1={signature('s1', BODY + b' ', T)}", "does not match"),
])
def test_bad_headers_are_refused_with_a_reason(header, reason):
    with pytest.raises(SignatureError, match=reason):
        verify(header, BODY, ["s1"], now=NOW)


def test_the_window_is_300_seconds_either_way():
    verify(f"t={T - 300},v1={signature('s1', BODY, T - 300)}", BODY, ["s1"], now=NOW)

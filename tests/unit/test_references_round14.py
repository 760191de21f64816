"""normalise_ref's quick path (a reference already letters and digits) gives what its rule gives: only ASCII
letters and digits are kept, upper-cased; a filler or only zeros is no reference."""
from __future__ import annotations

import re

import pytest

from payments.references import normalise_ref


def _by_the_rule(ref: str) -> str | None:
    cleaned = re.sub(r"[^0-9A-Za-z]", "", ref).upper()
    return cleaned if cleaned.strip("0") and cleaned not in {"NONREF", "NOTPROVIDED", "NA", "NONE", "NULL", "NIL"} \
        else None


@pytest.mark.parametrize("ref", [
    "FT24329ABC12", "ft24329abc12", "5000.96828", "500096828", "0", "000", "nonref", "NonRef", "N/A", "na",
    # letters and digits, but not ASCII ones: str.isalnum says yes, the rule drops them
    "ÀB12", "Đ123", "AB١٢٣", "AB²", "ＡＢ12", "ﬁ12", "straße1", "ǅ1", "Ⅻ12",
    "", " ", "FT 123", "FT\u200b123", "5000.", ".", "...0", "0.0", "N.A", "Đ.12", "A.B-C",
])
def test_the_quick_path_keeps_the_rule(ref):
    assert normalise_ref(ref) == _by_the_rule(ref)

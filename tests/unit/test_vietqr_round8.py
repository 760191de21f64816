"""Round 8: VietQR payloads, payment codes, typed amounts and amounts in words, with new cases of each kind."""
import unicodedata

import pytest

from kernel.money import parse_typed_vnd


# --- amounts typed on the pages ----------------------------------------------------------------

@pytest.mark.parametrize("typed", ["150.000 đồng", "150.000 Đồng", "150000đồng"])
def test_a_typed_amount_spelt_with_combining_accents_reads_as_its_precomposed_spelling(typed):
    # Unikey's "Unicode tổ hợp" and some phone keyboards write ồ as o + U+0302 + U+0300.
    decomposed = unicodedata.normalize("NFD", typed)
    assert decomposed != typed
    assert parse_typed_vnd(decomposed) == parse_typed_vnd(typed) == 150_000

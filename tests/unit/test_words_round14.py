"""Amounts with groups of zeros, as receipts and invoices write them in words (docs/decisions.md, "Amounts in
words with zero groups"): a group that is all zeros is left out ("không nghìn" is never written), a group after
the first is read in full ("không trăm", "linh")."""
import pytest

from kernel.words import amount_in_words


@pytest.mark.parametrize("n,words", [
    (1_000_001, "Một triệu không trăm linh một đồng"),
    (1_000_010, "Một triệu không trăm mười đồng"),
    (1_001_000, "Một triệu không trăm linh một nghìn đồng"),
    (10_000_500, "Mười triệu năm trăm đồng"),
    (100_000_000_001, "Một trăm tỷ không trăm linh một đồng"),
    (2_050_000, "Hai triệu không trăm năm mươi nghìn đồng"),
    (1_000_100, "Một triệu một trăm đồng"),
    (10_110_101_010, "Mười tỷ một trăm mười triệu một trăm linh một nghìn không trăm mười đồng"),
])
def test_zero_groups_are_left_out_and_the_groups_after_the_first_are_read_in_full(n, words):
    assert amount_in_words(n) == words
    assert "không nghìn" not in words and "không triệu" not in words

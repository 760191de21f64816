import pytest

from kernel.words import amount_in_words, number_in_words


@pytest.mark.parametrize("n,words", [
    (0, "không"), (1, "một"), (5, "năm"), (10, "mười"), (11, "mười một"), (15, "mười lăm"),
    (21, "hai mươi mốt"), (24, "hai mươi bốn"), (25, "hai mươi lăm"), (40, "bốn mươi"),
    (101, "một trăm linh một"), (105, "một trăm linh năm"), (110, "một trăm mười"),
    (115, "một trăm mười lăm"), (1000, "một nghìn"), (1005, "một nghìn không trăm linh năm"),
    (1050, "một nghìn không trăm năm mươi"), (15000, "mười lăm nghìn"),
    (150000, "một trăm năm mươi nghìn"), (1_250_000, "một triệu hai trăm năm mươi nghìn"),
    (2_015_000, "hai triệu không trăm mười lăm nghìn"), (21_000, "hai mươi mốt nghìn"),
    (100_000_001, "một trăm triệu không trăm linh một"), (500_000_000, "năm trăm triệu"),
    (1_001_001, "một triệu không trăm linh một nghìn không trăm linh một"),
    (1_000_000_005, "một tỷ không trăm linh năm"),
])
def test_numbers_read_in_the_formal_accounting_form(n, words):
    assert number_in_words(n) == words


def test_an_amount_starts_with_a_capital_and_ends_with_dong():
    assert amount_in_words(350000) == "Ba trăm năm mươi nghìn đồng"
    assert amount_in_words(0) == "Không đồng"


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_only_non_negative_integers_are_read(bad):
    with pytest.raises(ValueError):
        number_in_words(bad)

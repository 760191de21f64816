"""Amounts of a thousand tỷ and more: the tỷ groups nest ("một nghìn không trăm linh một tỷ"), so the part
above a tỷ is read as a number of its own, followed by a single "tỷ"."""
import pytest

from kernel.words import amount_in_words, number_in_words


@pytest.mark.parametrize("n,words", [
    (999_999_999, "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
    (1_000_000_000, "một tỷ"),
    (1_000_000_001, "một tỷ không trăm linh một"),
    (1_001_000_000, "một tỷ không trăm linh một triệu"),
    (10_000_000_000, "mười tỷ"),
    (15_000_000_000, "mười lăm tỷ"),
    (21_000_000_000, "hai mươi mốt tỷ"),
    (100_000_000_000, "một trăm tỷ"),
    (105_500_000_000, "một trăm linh năm tỷ năm trăm triệu"),
    (999_000_000_000, "chín trăm chín mươi chín tỷ"),
    (1_000_000_000_000, "một nghìn tỷ"),
    (1_000_000_000_005, "một nghìn tỷ không trăm linh năm"),
    (1_000_500_000_000, "một nghìn tỷ năm trăm triệu"),
    (1_001_000_000_000, "một nghìn không trăm linh một tỷ"),
    (1_234_000_000_000, "một nghìn hai trăm ba mươi bốn tỷ"),
    (1_234_567_000_000, "một nghìn hai trăm ba mươi bốn tỷ năm trăm sáu mươi bảy triệu"),
    (2_015_000_000_015, "hai nghìn không trăm mười lăm tỷ không trăm mười lăm"),
    (10_000_000_000_000, "mười nghìn tỷ"),
    (999_999_000_000_000, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ"),
    (1_000_000_000_000_000, "một triệu tỷ"),
    (1_000_001_000_000_000, "một triệu không trăm linh một tỷ"),
    (1_001_001_001_001_001, "một triệu không trăm linh một nghìn không trăm linh một tỷ "
                            "không trăm linh một triệu không trăm linh một nghìn không trăm linh một"),
])
def test_ty_groups_nest_above_a_thousand_ty(n, words):
    assert number_in_words(n) == words


def test_a_thousand_and_one_tỷ_as_an_amount():
    assert amount_in_words(1_001_000_000_000) == "Một nghìn không trăm linh một tỷ đồng"
    assert amount_in_words(1_234_000_000_000) == "Một nghìn hai trăm ba mươi bốn tỷ đồng"


def test_a_ty_of_ty_is_beyond_what_is_read():
    with pytest.raises(ValueError):
        number_in_words(10**18)

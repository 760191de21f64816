"""Every SMS a payment request sends fits three UCS-2 segments (201 characters, docs/decisions.md) in its
worst case: the longest dossier code the API takes (64 characters), a payment code, the largest amount a
request may ask and the largest sum of money that may move (received, in excess, refunded), and the longest
words for what was asked. With Vietnamese letters each segment of a long SMS holds 67 characters."""
import pytest

from kernel.money import MAX_MONEY_VND, MAX_REQUEST_VND
from payments import notifications as n

LIMIT = 3 * 67
DOSSIER = "0" * 64  # payments.validation.DOSSIER_CODE_RE: at most 64 characters
CODE = "HS12345678901"
KINDS = [frozenset({"fee"}), frozenset({"postage"}), frozenset({"fee", "charge", "postage"})]


def ucs2_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # a character outside the BMP takes two


def fits(text: str) -> str:
    assert DOSSIER in text and ucs2_length(text) <= LIMIT, (ucs2_length(text), text)
    return text


def test_paid_naming_an_excess():
    text = fits(n._text("paid", CODE, DOSSIER, MAX_REQUEST_VND, MAX_REQUEST_VND + MAX_MONEY_VND, 0, MAX_MONEY_VND))
    assert "500.000.000 ₫" in text and "1.000.000.000.000 ₫ sẽ được hoàn trả" in text and "biên lai" in text


def test_overpaid_naming_what_came_and_the_excess():
    text = fits(n._text("overpaid", CODE, DOSSIER, MAX_REQUEST_VND, MAX_REQUEST_VND + MAX_MONEY_VND, 0,
                        MAX_MONEY_VND))
    assert text.count("1.000.000.000.000 ₫") == 2 and "500.000.000 ₫" in text


def test_partially_paid():
    text = fits(n._text("partially_paid", CODE, DOSSIER, MAX_REQUEST_VND, MAX_REQUEST_VND - 1, 0, 0))
    assert CODE in text and "499.999.999 ₫/500.000.000 ₫" in text  # the code pays the rest


def test_refunded():
    assert "1.000.000.000.000 ₫" in fits(n._text("refunded", CODE, DOSSIER, MAX_REQUEST_VND, MAX_MONEY_VND,
                                                  0, MAX_MONEY_VND))


@pytest.mark.parametrize("kinds", KINDS)
def test_settled_by_a_withdrawal_naming_an_excess(kinds):
    text = fits(n._settled_text(DOSSIER, MAX_REQUEST_VND, MAX_REQUEST_VND + MAX_MONEY_VND, 0, MAX_REQUEST_VND,
                                n._paid_for(kinds)))
    assert n._paid_for(kinds) in text and "1.000.000.000.000 ₫ sẽ được hoàn trả" in text


@pytest.mark.parametrize("kinds", KINDS)
def test_still_owed_after_a_withdrawal(kinds):
    text = fits(n._still_owed_text(CODE, DOSSIER, MAX_REQUEST_VND, MAX_REQUEST_VND, n._paid_for(kinds)))
    assert CODE in text and n._paid_for(kinds) in text

"""Each visitor gets the language they chose, whatever the language of the pages before."""
import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.factories import make_request


def test_a_page_first_shown_in_vietnamese_is_still_translated_for_the_next_english_visitor(client, auth):
    code = make_request(client, auth)
    assert "Chờ thanh toán" in client.get(f"/pay/{code}").get_data(as_text=True)
    english = client.get(f"/pay/{code}?lang=en").get_data(as_text=True)
    assert "Awaiting payment" in english and "Chờ thanh toán" not in english


def test_every_reason_channel_and_source_a_finance_page_shows_has_an_english_text(app):
    from reconciliation.reports import CHANNEL_VI, PROVIDER_VI, REASON_VI
    from web import i18n

    shown = [*REASON_VI.values(), *CHANNEL_VI.values(), *PROVIDER_VI.values()]
    assert [text for text in shown if text not in i18n.EN] == []


def language_link(html: str) -> str:
    [href] = re.findall(r'<a href="([^"]*)" lang="(?:en|vi)">', html)
    return unescape(href)


def test_the_language_link_keeps_what_the_page_was_opened_with(client, auth, test_settings, db):
    """A receipt check link (its check code) and a VNPay return (its signed result) carry what the page
    shows in the query: switching language shows the same page, not "receipt not valid"."""
    from sqlalchemy import select

    from payments.receipts import Receipt, verification_code
    from tests.api.test_refunds import paid

    paid(client, auth, test_settings, amount=150_000)
    with db() as s:
        receipt = s.execute(select(Receipt)).scalar_one()
    check = f"/api/v1/receipts/{receipt.series}/{receipt.number_text}?code={verification_code(test_settings, receipt)}"
    page = client.get(check, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Biên lai hợp lệ" in page
    english = client.get(urljoin(check, language_link(page)), headers={"Accept": "text/html"})
    assert "Receipt is genuine" in english.get_data(as_text=True)
    back = client.get(urljoin(check, language_link(english.get_data(as_text=True))), headers={"Accept": "text/html"})
    assert "Biên lai hợp lệ" in back.get_data(as_text=True)

    returned = "/pay/vnpay-return?vnp_TxnRef=x&vnp_SecureHash=abc"
    link = language_link(client.get(returned).get_data(as_text=True))
    assert parse_qs(urlsplit(link).query) == {"vnp_TxnRef": ["x"], "vnp_SecureHash": ["abc"], "lang": ["en"]}

"""Each visitor gets the language they chose, whatever the language of the pages before."""
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

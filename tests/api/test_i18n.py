"""The language toggle holds for every visitor, whatever language a template was first rendered in."""
from tests.factories import make_request


def test_english_texts_follow_the_visitor_even_after_a_vietnamese_render(client, auth):
    code = make_request(client, auth)
    assert "Chờ thanh toán" in client.get(f"/pay/{code}?lang=vi").get_data(as_text=True)
    english = client.get(f"/pay/{code}?lang=en").get_data(as_text=True)
    assert "Pay the fees of your dossier" in english and "Thanh toán phí, lệ phí hồ sơ" not in english

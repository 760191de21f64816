"""The landing page's "find my pay page" form, fed the code the way citizens copy it (round 12).

People paste the code from the appointment slip or the SMS with what stands around it ("Mã thanh toán:
HS…", "(mã HS…)"), or label it as they label it in a transfer memo ("HS: 2249…", "HS/2249…"); the memo
reader (`payments.codes.scan_memo`) already reads all of those. The form must take them to the pay page,
and whatever it cannot read must land on the page that says the code is not valid, never on a 404.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.factories import make_request


def _found(client, typed: str):
    r = client.get("/pay?code=" + quote(typed))
    assert r.status_code == 302, typed
    return r.headers["Location"]


@pytest.mark.parametrize("shape", [
    "Mã thanh toán: {code}",  # the slip's whole line
    "(mã {code})",  # as the SMS writes it
    "{p}: {d}",
    "{p}/{d}",
    "{p} #{d}",
    "mã {p} {d4} {d8} {d11}",
    "{code}, ",
])
def test_a_code_copied_with_its_label_or_punctuation_finds_its_pay_page(client, auth, shape):
    code = make_request(client, auth)
    p, d = code[:2], code[2:]
    typed = shape.format(code=code, p=p.lower(), d=d, d4=d[:4], d8=d[4:8], d11=d[8:])
    assert _found(client, typed).endswith(f"/pay/{code}")


def test_text_naming_two_codes_is_not_guessed_between(client, auth):
    first, second = make_request(client, auth), make_request(client, auth)
    location = _found(client, f"{first} {second}")
    assert not location.endswith((f"/pay/{first}", f"/pay/{second}"))
    assert client.get(location).status_code == 400
    # A mistyped second code is a second code all the same: the valid one is not picked for the person.
    mistyped = second[:-1] + str((int(second[-1]) + 1) % 10)
    location = _found(client, f"{first} {mistyped}")
    assert not location.endswith(f"/pay/{first}") and client.get(location).status_code == 400


@pytest.mark.parametrize("typed", ["HS/12345678", "a/b/../c", "HS12345678978/qr.png", "/"])
def test_an_unreadable_code_with_a_slash_says_the_code_is_invalid_rather_than_page_not_found(client, typed):
    r = client.get(_found(client, typed))
    html = r.get_data(as_text=True)
    assert "Trang không tồn tại" not in html
    # What is left is an invalid code (400), a well-formed one nobody was given (404, said as such), or
    # nothing at all (back to the form).
    assert (r.status_code == 400 and "Mã thanh toán không hợp lệ" in html) or \
        (r.status_code == 404 and "Không tìm thấy mã thanh toán" in html) or \
        (r.status_code == 200 and 'name="code"' in html), (r.status_code, html[:200])


def test_a_mistyped_code_still_says_it_is_invalid(client, auth):
    code = make_request(client, auth)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    r = client.get(_found(client, f"Mã thanh toán: {wrong}"))
    assert r.status_code == 400 and "Mã thanh toán không hợp lệ" in r.get_data(as_text=True)

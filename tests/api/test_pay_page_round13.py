"""A request whose bank BIN is not in the bank list (round 13).

The BIN is copied onto each request when it is issued; a later release's list may drop it, or an operator
may collect into a bank the list does not know yet. The pages must still say where to pay: the BIN alone,
never "None — None".
"""
from __future__ import annotations

import pytest
from sqlalchemy import update

from payments.models import PaymentRequest
from tests.factories import make_request


@pytest.fixture
def unlisted(client, auth, db):
    code = make_request(client, auth)
    with db() as s, s.begin():
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code).values(bank_bin="970999"))
    return code


@pytest.mark.parametrize("page", ["/pay/{code}", "/pay/{code}/print"])
def test_the_pay_pages_name_an_unlisted_bank_by_its_bin(client, unlisted, page):
    r = client.get(page.format(code=unlisted))
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:300]
    assert "None" not in html
    assert "BIN 970999" in html


@pytest.mark.parametrize("page", ["/pay/{code}", "/pay/{code}/print"])
def test_a_listed_bank_is_still_named(client, auth, page):
    code = make_request(client, auth)
    html = client.get(page.format(code=code)).get_data(as_text=True)
    assert "Vietcombank" in html and "BIN 970436" in html


def test_the_api_gives_no_names_for_an_unlisted_bank_but_its_bin(client, unlisted):
    bank = client.get(f"/api/v1/payment-requests/{unlisted}").json["bank"]
    assert bank["bin"] == "970999" and bank["name"] is None and bank["full_name"] is None

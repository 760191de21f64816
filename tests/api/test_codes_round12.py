"""A payment code typed by a person, grouped the way bank memos and people group it (round 12).

Staff copy codes out of bank memos (`MBVCB.3278907687.HS 123456789 05.CT tu …`) into the suspense form, and a
cashier keys in what the citizen reads out in groups: `HS 4088 1023 160`, `hs-408810231-60`. The check digits
say whether what is left once the separators go is a code, so those groupings are the same code everywhere a
code is typed, and what is not a code stays a 400 `invalid_payment_code`.
"""
from __future__ import annotations

import pytest

from tests.factories import make_request, send_callback


def grouped(code: str) -> list[str]:
    p, d = code[:2], code[2:]
    return [f"{p} {d[:9]} {d[9:]}", f"{p.lower()}-{d[:4]}-{d[4:8]}-{d[8:]}", f"{p}.{d[:3]}.{d[3:6]}.{d[6:9]}.{d[9:]}",
            f"{p} {d[:4]}\u00a0{d[4:8]} {d[8:]}"]


def test_a_grouped_code_reads_the_request_on_the_public_api(client, auth):
    code = make_request(client, auth)
    for typed in grouped(code):
        r = client.get(f"/api/v1/payment-requests/{typed}")
        assert r.status_code == 200 and r.json["payment_code"] == code, (typed, r.json)


def test_a_cashier_may_key_in_the_code_in_groups(client, auth):
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": grouped(code)[1], "amount_vnd": 100_000},
                    headers=auth("cashier"))
    assert r.status_code in (200, 201), r.json
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_finance_may_paste_the_code_as_the_bank_memo_split_it(client, auth, test_settings):
    cancelled = make_request(client, auth)
    client.post(f"/api/v1/payment-requests/{cancelled}/cancel", json={"reason": "rút hồ sơ"}, headers=auth("intake"))
    send_callback(client, test_settings, "bank", code=cancelled, amount=100_000)
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    target = make_request(client, auth)
    r = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign",
                    json={"payment_code": grouped(target)[0], "reason": "Công dân nộp nhầm mã"},
                    headers=auth("finance"))
    assert r.status_code == 200, r.json
    assert client.get(f"/api/v1/payment-requests/{target}").json["status"] == "paid"


@pytest.mark.parametrize("typed", ["HS 4088 1023 16", "HS/40881023160", "H S40881023160", "HS 4088 1023 1600"])
def test_what_is_no_code_once_the_separators_go_is_still_invalid(client, typed):
    r = client.get(f"/api/v1/payment-requests/{typed}")
    assert r.status_code in (400, 404)
    if r.status_code == 400:
        assert r.json["code"] == "invalid_payment_code"


def test_a_mistyped_grouped_code_is_still_refused_for_its_check_digits(client, auth):
    code = make_request(client, auth)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    r = client.get(f"/api/v1/payment-requests/{grouped(wrong)[0]}")
    assert r.status_code == 400 and r.json["code"] == "invalid_payment_code" and "check digits" in r.json["message"]

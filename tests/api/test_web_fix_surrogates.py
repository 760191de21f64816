"""A lone surrogate (`"\\ud800"`, only possible as a JSON escape: UTF-8 cannot carry it) is refused as
malformed JSON at the door, and an error body that echoes one is still an answer, not a 500."""
import json

import pytest

from kernel.errors import ValidationError
from kernel.http import error_response, json_body

from tests.factories import dossier_body

HOSTILE = [
    ("cashier", "/api/v1/payments/cash", b'{"payment_code":"HS\\ud800","amount_vnd":1000}'),
    ("finance", "/api/v1/finance/suspense/1/assign", b'{"payment_code":"\\ud800","reason":"r"}'),
    ("finance", "/api/v1/reconciliation/lines/1/match",
     b'{"allocations":[{"payment_code":"\\ud800","amount_vnd":1000}],"reason":"r"}'),
    ("admin", "/api/v1/admin/subscriptions", b'{"\\ud800": 1}'),
    ("admin", "/api/v1/admin/subscriptions",
     b'{"name":"n","url":"https://a.example/h","event_types":["\\udfff"]}'),
    ("admin", "/api/v1/admin/tokens", b'{"role":"finance","name":"\\ud800"}'),
    ("intake", "/api/v1/dossiers", b'{"code":"x","applicant":{"name":"a\\udc00b"}}'),
]


@pytest.mark.parametrize(("role", "url", "body"), HOSTILE, ids=[f"{u}-{i}" for i, (_, u, _) in enumerate(HOSTILE)])
def test_a_body_with_a_lone_surrogate_is_malformed_json_whoever_would_echo_it(client, auth, role, url, body):
    response = client.post(url, data=body, headers={**auth(role), "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["code"] == "malformed_json"
    assert "\\ud800" in response.json["message"]  # says what to fix, without echoing the bad value itself


def test_a_surrogate_pair_is_ordinary_text_and_still_accepted(client, auth):
    body = dossier_body()
    body["applicant"]["name"] = "Phạm Thu Hà \U0001F600"
    raw = json.dumps(body).encode()  # ensure_ascii: the emoji travels as the pair "\ud83d\ude00"
    assert b"\\ud83d\\ude00" in raw
    response = client.post("/api/v1/dossiers", data=raw, headers={**auth("intake"), "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_json_body_finds_a_surrogate_however_deep_and_in_keys(app):
    nested = {"a": [{"b": [1, None, True, {"c\ud800": "ok"}]}]}
    with app.test_request_context("/x", method="POST", data=json.dumps(nested), content_type="application/json"):
        with pytest.raises(ValidationError) as refused:
            json_body()
    assert refused.value.code == "malformed_json"
    deep = {"k": "v"}
    for _ in range(200):
        deep = {"k": [deep]}
    with app.test_request_context("/x", method="POST", data=json.dumps(deep), content_type="application/json"):
        assert json_body()["k"]  # a deep but clean body passes: the walk needs no recursion


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb", "\ud83d"])
def test_an_error_answer_that_echoes_an_unencodable_value_is_still_sent(app, bad):
    with app.test_request_context("/x"):
        response = error_response(400, "unknown_field", f"{bad} is not a field", {"field": bad, "list": [bad], bad: 1})
        raw = response.get_data()
    assert response.status_code == 400
    body = json.loads(raw)
    assert body["code"] == "unknown_field"
    assert "\\u" in body["message"] and "\\u" in body["details"]["field"] and "\\u" in body["details"]["list"][0]
    raw.decode("utf-8")  # valid UTF-8 all through

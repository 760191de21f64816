"""`as_adjustment` of a decision on a statement line is a boolean: anything else is a 400
`invalid_parameter` (as `expected_version` of the wrong type), never silently false, and nothing is
recorded. Null is the flag not given (false), as null is for `expected_version` and `amount_vnd`."""
import pytest

from tests.recon_factories import all_lines, upload, vcb_csv

ACTIONS = ("match", "unmatch", "refund", "write-off", "ignore")


@pytest.fixture
def line(client, auth) -> dict:
    imported = upload(client, auth, vcb_csv(("X1", "", "50.000", "khong ro nguoi nop")))
    assert imported.status_code == 201, imported.json
    [found] = all_lines(client, auth, imported.json["import_id"])
    return found


def decisions(client, auth, line_id: int) -> list:
    r = client.get(f"/api/v1/reconciliation/lines/{line_id}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["resolutions"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("flag", ["yes", "true", 1, 0, [], {}, [True]])
def test_an_as_adjustment_that_is_not_a_boolean_is_refused(client, auth, line, action, flag):
    r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/{action}", headers=auth("finance"),
                    json={"reason": "thử", "as_adjustment": flag})
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter", r.json
    assert r.json["details"] == {"parameter": "as_adjustment"}
    assert decisions(client, auth, line["id"]) == []


@pytest.mark.parametrize("flag", [None, False])
def test_a_null_or_false_as_adjustment_is_a_decision_of_the_line_s_own_day(client, auth, line, flag):
    r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/write-off", headers=auth("finance"),
                    json={"reason": "không rõ người nộp", "as_adjustment": flag})
    assert r.status_code == 201, r.json
    assert r.json["resolution"]["recon_date"] == "2026-11-24"

"""Two finance users deciding on the same statement line at once: one decision wins, the other gets a
typed 409 and moves nothing (run on PostgreSQL with real row locks; SQLite serialises writers and
passes the same assertions)."""
import pytest

from tests.factories import make_request
from tests.integration.test_reconciliation_concurrency import at_once
from tests.recon_factories import all_lines, upload, vcb_csv


pytestmark = pytest.mark.usefixtures("ledger_and_audit_checked")


def suspense_line(client, auth, amount="100.000"):
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("X.1", "", amount, "khong ro"))).json["import_id"])
    return line


def decide(line_id, action, **body):
    return lambda c, auth: c.post(f"/api/v1/reconciliation/lines/{line_id}/{action}", json=body,
                                  headers=auth("finance"))


def suspense_total(client, auth):
    return client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"]


def test_a_write_off_and_a_refund_of_the_same_money_at_once_one_wins(app, client, auth, db):
    line = suspense_line(client, auth)
    responses = at_once(app, [lambda c: decide(line["id"], "write-off", reason="không rõ")(c, auth),
                              lambda c: decide(line["id"], "refund", reason="chuyển nhầm")(c, auth)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] in ("nothing_in_suspense", "amount_exceeds_refundable"), refused.json
    detail = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert len(detail["resolutions"]) == 1 and detail["status"] == "matched", detail
    assert suspense_total(client, auth) == 0


def test_two_people_on_the_version_they_loaded_one_wins_the_other_is_told_the_line_changed(app, client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    line = suspense_line(client, auth)
    seen = line["version"]
    responses = at_once(app, [
        lambda c: decide(line["id"], "match", reason="khớp", expected_version=seen,
                         allocations=[{"payment_code": code, "amount_vnd": 100_000}])(c, auth),
        lambda c: decide(line["id"], "write-off", reason="không rõ", expected_version=seen)(c, auth)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] == "line_changed" and refused.json["details"]["version"] > seen, refused.json
    detail = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert len(detail["resolutions"]) == 1 and suspense_total(client, auth) == 0


def test_the_same_decision_undone_twice_at_once_is_undone_once(app, client, auth, db):
    line = suspense_line(client, auth)
    written = decide(line["id"], "write-off", reason="không rõ")(client, auth).json["resolution"]["id"]
    undo = lambda c: c.post(f"/api/v1/reconciliation/resolutions/{written}/undo",  # noqa: E731
                            json={"reason": "nhầm"}, headers=auth("finance"))
    responses = at_once(app, [undo, undo])
    assert sorted(r.status_code for r in responses) == [200, 409], [r.json for r in responses]
    assert next(r for r in responses if r.status_code == 409).json["code"] == "already_undone"
    assert suspense_total(client, auth) == 100_000
    assert client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json["status"] \
        == "unmatched"

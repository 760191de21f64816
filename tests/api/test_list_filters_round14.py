"""Round 14: one rule for the filters of every list endpoint. A filter sent empty (`?status=`) is a client's
mistake (a form field left blank, a script's unset variable), refused like any value the list does not
know, never read as "no filter" (which would answer everything as if filtered); and every such 400 names
the parameter (`details.parameter`). Refunds and shipments listed everything for an empty status; the
statement lines' and the outbox's 400s did not say which parameter was wrong."""
import pytest

DAY = "2026-11-27"

CASES = [  # (path and query, role, parameter, code)
    ("/api/v1/refunds?status=", "finance", "status", "invalid_parameter"),
    ("/api/v1/refunds?status=zz", "finance", "status", "invalid_parameter"),
    ("/api/v1/postal/shipments?status=", "postal", "status", "invalid_status"),
    ("/api/v1/postal/shipments?status=zz", "postal", "status", "invalid_status"),
    ("/api/v1/postal/shipments?date=", "postal", "date", "invalid_date"),
    (f"/api/v1/reconciliation/lines?date={DAY}&status=", "finance", "status", "invalid_parameter"),
    (f"/api/v1/reconciliation/lines?date={DAY}&status=zz", "finance", "status", "invalid_parameter"),
    ("/api/v1/reconciliation/lines?date=", "finance", "date", "invalid_date"),
    ("/api/v1/reconciliation/lines?date=27/11/2026", "finance", "date", "invalid_date"),
    ("/api/v1/admin/outbox?status=", "admin", "status", "invalid_status"),
    ("/api/v1/admin/outbox?status=zz", "admin", "status", "invalid_status"),
    (f"/api/v1/reconciliation/days/{DAY}/exceptions?state=", "finance", "state", "invalid_parameter"),
    (f"/api/v1/reconciliation/days/{DAY}/exceptions?state=zz", "finance", "state", "invalid_parameter"),
    ("/api/v1/cash/drawers?date=", "finance", "date", "invalid_date"),
    ("/api/v1/postal/checks?resolved=", "postal", "resolved", "invalid_parameter"),
]


@pytest.mark.parametrize("url, role, parameter, code", CASES)
def test_an_empty_or_unknown_filter_is_a_400_naming_its_parameter(client, auth, url, role, parameter, code):
    r = client.get(url, headers=auth(role))
    assert r.status_code == 400, (url, r.status_code, r.json)
    assert r.json["code"] == code and r.json["details"]["parameter"] == parameter, (url, r.json)


@pytest.mark.parametrize("url, role", [
    ("/api/v1/refunds?status=awaiting_approval", "finance"),
    ("/api/v1/refunds", "finance"),
    ("/api/v1/postal/shipments", "postal"),
    (f"/api/v1/reconciliation/lines?date={DAY}&status=unmatched", "finance"),
    ("/api/v1/admin/outbox?status=failed", "admin"),
    (f"/api/v1/reconciliation/days/{DAY}/exceptions", "finance"),
    (f"/api/v1/cash/drawers?date={DAY}", "finance"),
])
def test_a_filter_left_out_or_known_lists(client, auth, url, role):
    assert client.get(url, headers=auth(role)).status_code == 200

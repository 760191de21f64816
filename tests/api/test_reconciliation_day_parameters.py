"""Days named in reconciliation URLs and query strings: exactly YYYY-MM-DD, 2000 to 2100, else 400."""
import pytest

BAD_DAYS = ["20261124", "2026-W48-2", "2026-11-24T00:00", "24-11-2026", "2026-13-01", "0001-01-01", "9999-12-31",
            "1999-12-31", "2101-01-01"]


@pytest.mark.parametrize("day", BAD_DAYS)
def test_a_day_not_written_yyyy_mm_dd_in_range_is_refused_everywhere_with_invalid_date(client, auth, db, day):
    reads = [f"/api/v1/reconciliation/days/{day}", f"/api/v1/reconciliation/days/{day}/exceptions",
             f"/api/v1/reconciliation/days/{day}/report.csv", f"/api/v1/reconciliation/days/{day}/report.pdf",
             f"/api/v1/reconciliation/lines?date={day}"]
    for url in reads:
        r = client.get(url, headers=auth("finance"))
        named = {"details": {"parameter": "date"}} if "?" in url else {}  # a query parameter is named (round 14)
        assert (r.status_code, r.get_json(silent=True)) == (400, {"code": "invalid_date", "message": (
            "the date must be YYYY-MM-DD from 2000-01-01 to 2100-12-31"), **named}), url
    for action in ("close", "match"):
        r = client.post(f"/api/v1/reconciliation/days/{day}/{action}", headers=auth("finance"))
        assert (r.status_code, r.json["code"]) == (400, "invalid_date"), action
    r = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert (r.status_code, r.json["code"]) == (400, "invalid_date")


def test_the_first_and_last_days_of_the_range_are_served(client, auth, db):
    for day in ("2000-01-01", "2100-12-31"):
        r = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance"))
        assert (r.status_code, r.json["date"]) == (200, day)
        r = client.get(f"/api/v1/reconciliation/lines?date={day}", headers=auth("finance"))
        assert (r.status_code, r.json["total"]) == (200, 0)


def test_the_documented_allocation_example_is_a_valid_payment_code(app):
    from payments.codes import is_valid_code
    from reconciliation.routes import allocation_in

    assert is_valid_code(allocation_in["payment_code"].example, "HS")

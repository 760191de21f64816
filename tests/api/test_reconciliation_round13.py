"""QA round 13: the workflow after import (reversals across days, a line's decision history, the
Art. 36 totals adding up, adjustments after a close)."""
import pytest

from tests.factories import make_request
from tests.recon_factories import all_lines, upload

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def mt940(day: str, *transactions: tuple[str, int, str, str], opening: int = 1_000_000) -> str:
    """(mark C/D/RC/RD, amount, reference, memo) lines of one day's MT940 statement; `day` YYMMDD."""
    body = "".join(f":61:{day}{day[2:]}{mark}{amount},NTRF{ref}//{ref}\n:86:{memo}\n"
                   for mark, amount, ref, memo in transactions)
    closing = opening + sum(amount if mark in ("C", "RD") else -amount for mark, amount, _, _ in transactions)
    return f":20:HCC{day}\n:25:0071001234567\n:28C:00001/001\n:60F:C{day}VND{opening},\n{body}" \
           f":62F:C{day}VND{closing},\n"


def exceptions(client, auth, day: str) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def close(client, auth, day: str):
    asked = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    if asked.status_code != 202:
        return asked
    return client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))


def test_a_reversal_booked_the_next_day_is_settled_once_for_both_days(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    first = upload(client, auth, mt940("261124", ("C", 50_000, "900001", f"nop le phi {code}")), "d1.mt940").json
    second = upload(client, auth, mt940("261125", ("RC", 50_000, "900002", f"REVERSAL 900001 {code}"), opening=1_050_000),
                    "d2.mt940").json
    [credit] = all_lines(client, auth, first["import_id"])
    [reversal] = all_lines(client, auth, second["import_id"])
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0  # taken back
    [on_credit_day] = [e for e in exceptions(client, auth, "2026-11-24") if e["kind"] == "reversed"]
    [on_reversal_day] = [e for e in exceptions(client, auth, "2026-11-25") if e["kind"] == "reversed"]
    assert on_reversal_day["line_id"] == reversal["id"] and on_reversal_day["severity"] == "blocking"
    assert on_reversal_day["details"]["reversed_line_id"] == credit["id"]
    # the credit day shows what became of its credit, and where finance settles it
    assert on_credit_day["line_id"] == credit["id"] and on_credit_day["severity"] == "info"
    assert on_credit_day["details"]["reversal_line_id"] == reversal["id"]
    closed = close(client, auth, "2026-11-24")
    assert closed.status_code == 200, closed.json["details"]["exceptions"]
    r = client.post(f"/api/v1/reconciliation/days/2026-11-25/exceptions/{on_reversal_day['key']}/acknowledge",
                    headers=auth("finance"), json={"reason": "ngân hàng hoàn trả giao dịch 900001"})
    assert r.status_code == 201, r.json
    assert close(client, auth, "2026-11-25").status_code == 200


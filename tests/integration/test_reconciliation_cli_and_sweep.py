"""`hccpay reconcile import` with its progress bar, and the missed-callback sweep (job and command)."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from api import periodic_jobs
from kernel.db import unit_of_work
from reconciliation.models import StatementImport, SweepFinding
from reconciliation.sweep import sweep
from tests.factories import make_request, signed
from tests.recon_factories import DATA, vcb_csv, working_days_ago


def test_reconcile_import_shows_progress_and_the_counts(cli, db):
    result = cli("reconcile", "import", str(DATA / "statement_sample.mt940"))
    assert result.exit_code == 0, result.output
    assert "mt940: 42 line(s) read" in result.output and "matching and crediting" in result.output
    assert "42 line(s), 42 new, 0 already known" in result.output
    again = cli("reconcile", "import", str(DATA / "statement_sample.mt940"))
    assert "0 new, 42 already known" in again.output
    with db() as s:
        assert [i.lines_processed for i in s.execute(select(StatementImport)).scalars()] == [42, 42]


def test_reconcile_import_refuses_a_bad_file_with_its_code(cli, tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("nothing,useful\n1,2\n")
    result = cli("reconcile", "import", str(bad))
    assert result.exit_code != 0 and "missing_columns" in result.output


def test_the_sweep_reports_statement_credits_without_callback_and_callbacks_without_statement(
        client, auth, test_settings, db, cli, tmp_path):
    # Days the sweep (N=2 working days, a 62-day look-back) reads as overdue with today's clock.
    callback_day, statement_day = working_days_ago(4), working_days_ago(3)
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    headers, raw = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": "FT-NEVER-ON-STATEMENT", "account_number": "0071001234567", "amount_vnd": 40_000,
        "content": code, "booked_at": f"{callback_day}T09:00:00+07:00", "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200
    statement = tmp_path / "statement.csv"
    statement.write_text(vcb_csv(("5000.1", "", "150.000", "ung ho"), ("5000.2", "", "75.000", "nop tien"),
                                 ("5000.3", "11.000", "", "phi ngan hang"), ("5000.4", "", "20.000", "phi"),
                                 day=statement_day.strftime("%d/%m/%Y")))
    assert cli("reconcile", "import", str(statement)).exit_code == 0
    result = cli("reconcile", "sweep")
    assert result.exit_code == 0
    assert "3 statement credit(s) without callback, 1 callback(s) without statement line" in result.output
    listed = result.output.splitlines()[:-1]  # one line a finding, then the counts
    assert len(listed) == 4 and sum("statement credit without callback" in line for line in listed) == 3
    [unseen] = [line for line in listed if "callback without statement line" in line]
    assert unseen.startswith(callback_day.isoformat()) and "40,000 VND" in unseen
    assert "bank FT-NEVER-ON-STATEMENT" in unseen
    with unit_of_work(db) as s:  # idempotent: a second run finds nothing new
        assert sweep(s, settings=test_settings, now=datetime.now(timezone.utc))["new_findings"] == 0
    summary = client.get(f"/api/v1/reconciliation/days/{callback_day}", headers=auth("finance")).json
    assert summary["sweep"]["callbacks_without_statement"] == {"count": 1, "amount_vnd": 40_000, "overdue": 1}
    queue = client.get(f"/api/v1/reconciliation/days/{callback_day}/exceptions", headers=auth("finance")).json
    assert [e["kind"] for e in queue["exceptions"]] == ["payment_without_statement_line"]


def test_the_sweep_runs_as_a_periodic_job(test_settings):
    assert "reconciliation.sweep" in [job.name for job in periodic_jobs(test_settings)]



def test_the_sweep_finds_a_callback_on_the_day_the_exception_queue_calls_it_overdue(
        client, auth, test_settings, db):
    """N=2 working days, with weekends and the 1-2/9 holidays: both sides apply one rule."""
    from reconciliation import exceptions

    booked = {"FRI": "2026-11-20", "SAT": "2026-11-21", "SUN": "2026-11-22", "MON": "2026-11-23",
              "HOL": "2026-08-31"}
    for txn, day in booked.items():
        code = make_request(client, auth, ("Lệ phí", "charge", 10_000))
        headers, raw = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
            "transaction_id": txn, "account_number": "0071001234567", "amount_vnd": 10_000, "content": code,
            "booked_at": f"{day}T10:00:00+07:00", "direction": "credit"})
        assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200
    hanoi = timezone(timedelta(hours=7))
    # overdue once N working days after the callback have ended (today, not over, is not one of them)
    expected = {"2026-09-04": set(), "2026-09-07": {"2026-08-31"},
                "2026-11-24": {"2026-08-31"}, "2026-11-25": {"2026-08-31", "2026-11-20", "2026-11-21", "2026-11-22"},
                "2026-11-26": set(booked.values())}
    for today, overdue in expected.items():
        now = datetime.fromisoformat(f"{today}T10:00:00").replace(tzinfo=hanoi)
        with unit_of_work(db) as s:
            sweep(s, settings=test_settings, now=now)
        with db() as s:
            swept = {str(d) for d in s.execute(select(SweepFinding.business_date).where(
                SweepFinding.kind == "callback_without_statement")).scalars()}
            flagged = {day for day in booked.values() if any(
                e.details["overdue"] for e in exceptions.day_exceptions(
                    s, date.fromisoformat(day), settings=test_settings, today=now.date())
                if e.kind == "payment_without_statement_line")}
        assert (swept, flagged) == (overdue, overdue), today


def test_a_late_callback_for_a_closed_day_is_found_under_the_day_that_counts_it(client, auth, test_settings, db):
    from reconciliation.models import CLOSED, ReconDay

    with unit_of_work(db) as s:  # Friday closed on Monday morning, before the callback came
        s.add(ReconDay(business_date=date(2026, 11, 20), status=CLOSED,
                       closed_at=datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)))
    code = make_request(client, auth, ("Lệ phí", "charge", 10_000))
    headers, raw = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": "FT-LATE-FRI", "account_number": "0071001234567", "amount_vnd": 10_000, "content": code,
        "booked_at": "2026-11-20T10:00:00+07:00", "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200
    with unit_of_work(db) as s:
        sweep(s, settings=test_settings, now=datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc))
    with db() as s:
        [day] = s.execute(select(SweepFinding.business_date).where(
            SweepFinding.kind == "callback_without_statement")).scalars().all()
    assert day == date(2026, 11, 23)  # Monday counts it (Friday's totals were frozen without it)
    summary = client.get("/api/v1/reconciliation/days/2026-11-23", headers=auth("finance")).json
    assert summary["sweep"]["findings"] == {"callback_without_statement": 1}

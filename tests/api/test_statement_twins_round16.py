"""Round 16: an import looks for the stored line a referenced line may be (a line of another file of the day
that lost its reference, `links.known_by_fingerprint`) among the day's unreferenced lines only, through their
partial index: before, each chunk read every line of the account (SQLite, through the account's keys) or of the
table (PostgreSQL, whose planner read `recon_date >= day` as all of it), a scan that grew with the table and
made a million-line import quadratic."""
from sqlalchemy import Engine, event

from tests.factories import assert_ledger_ok
from tests.recon_factories import make_requests_with_codes, paid_vnd, upload, vcb_csv

def _csv_without_references(memo: str) -> str:
    return f'STT,Ngày giao dịch,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung\n1,24/11/2026 09:00:00,,"30,000",,"{memo}"\n'


def test_a_referenced_line_finds_its_unreferenced_twin_through_the_days_unreferenced_lines(
        client, auth, db, engine, monkeypatch):
    from payments.codes import check_digits

    code = f"HS{'000000001'}{check_digits('000000001')}"
    make_requests_with_codes(client, auth, monkeypatch, [(code, 30_000)])
    assert upload(client, auth, _csv_without_references(f"{code} nop le phi"), "excel.csv").status_code == 201
    queries: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM statement_lines" in statement and "statement_lines.import_id !=" in statement:  # the twins' query
            queries.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", seen)  # the app's engine
    try:
        r = upload(client, auth, vcb_csv(("5001.00001", "", "30.000", f"{code} nop le phi")), "bank.csv")
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert r.status_code == 201 and (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1), r.json
    assert paid_vnd(client, code) == 30_000
    assert queries, "the day's unreferenced lines were not read"
    statement, parameters = queries[0]
    with db() as s:
        raw = s.connection().connection.driver_connection
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
        else:
            with raw.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")  # a test's tables are tiny: which index serves
                cursor.execute(f"EXPLAIN {statement}", parameters)
                plan = " ".join(row[0] for row in cursor.fetchall())
    assert "ix_statement_lines_unreferenced" in plan, plan
    assert_ledger_ok(db)

"""A file imported again fills the value dates of the lines stored without one (`importer._fill_value_dates`):
it locks those lines in one order, by id, as every writer of a day's lines does (`service.match_day` flushes
its lines in id order). Locked value date by value date, in the file's order, the import took a later line
before an earlier one and deadlocked with a re-derivation of the day holding the earlier. PostgreSQL only:
SQLite has no row locks to take out of order."""
import threading

import pytest
from sqlalchemy import text

from tests.api.test_statements_value_dates import DAY_VN, HEADER, NO_VALUE_DATES
from tests.locks import wait_until_blocked
from tests.recon_factories import all_lines, upload
from tests.unit.test_parse_fix_tabular import csv_text


def test_a_refill_waits_for_a_writer_of_the_days_lines_and_never_deadlocks_with_it(client, auth, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    first = upload(client, auth, csv_text(NO_VALUE_DATES, [DAY_VN, "R1", "", "10.000", "ung ho 1"],
                                          [DAY_VN, "R2", "", "20.000", "ung ho 2"])).json
    ids = {line["bank_ref"]: line["id"] for line in all_lines(client, auth, first["import_id"])}
    assert ids["R1"] < ids["R2"]
    # The file lists the later line first, with the earlier value date's UPDATE coming second.
    again = csv_text(HEADER, [DAY_VN, "25/11/2026", "R2", "", "20.000", "ung ho 2"],
                     [DAY_VN, "26/11/2026", "R1", "", "10.000", "ung ho 1"])
    out: dict = {}
    with engine.connect() as holder:  # a re-derivation of the day: its lines, updated in id order
        holder.execute(text("SET lock_timeout = '5s'"))
        holder.execute(text("UPDATE statement_lines SET version = version + 1 WHERE id = :id"), {"id": ids["R1"]})
        pid = holder.execute(text("SELECT pg_backend_pid()")).scalar()
        thread = threading.Thread(target=lambda: out.setdefault("response", upload(client, auth, again)))
        thread.start()
        wait_until_blocked(engine, thread, holder_pid=pid)
        holder.execute(text("UPDATE statement_lines SET version = version + 1 WHERE id = :id"), {"id": ids["R2"]})
        holder.commit()
    thread.join(timeout=30)
    response = out["response"]
    assert response.status_code == 201, response.json
    assert {line["bank_ref"]: line["value_date"] for line in all_lines(client, auth, first["import_id"])} == {
        "R1": "2026-11-26", "R2": "2026-11-25"}

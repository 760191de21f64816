"""The command line refuses a statement it cannot read with its code, whatever the defect (QA parse pass)."""
from tests.unit.test_parse_fix_camt import doc, ntry


def test_reconcile_import_refuses_a_camt_date_time_past_the_calendar_with_its_code(cli, tmp_path):
    bad = tmp_path / "camt_9999.xml"
    bad.write_bytes(doc(entries=ntry("30000", booked="<DtTm>9999-12-31T23:59:59-12:00</DtTm>")))
    result = cli("reconcile", "import", str(bad))
    assert result.exit_code == 1 and "invalid_date" in result.output and "Traceback" not in result.output

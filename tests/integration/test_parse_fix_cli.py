"""The command line refuses a statement it cannot read with its code, whatever the defect (QA parse pass)."""
from tests.unit.test_parse_fix_camt import doc, ntry


def test_reconcile_import_refuses_a_camt_date_time_past_the_calendar_with_its_code(cli, tmp_path):
    bad = tmp_path / "camt_9999.xml"
    bad.write_bytes(doc(entries=ntry("30000", booked="<DtTm>9999-12-31T23:59:59-12:00</DtTm>")))
    result = cli("reconcile", "import", str(bad))
    assert result.exit_code == 1 and "invalid_date" in result.output and "Traceback" not in result.output


def test_reconcile_import_refuses_a_bank_layout_it_does_not_know_as_the_api_does(cli, tmp_path):
    statement = tmp_path / "vcb.csv"
    statement.write_text("Ngày GD,Số CT,Ghi nợ,Ghi có,Số dư,Nội dung\n24/11/2026,1,,100.000,,nop\n", encoding="utf-8")
    for profile in ("VCB", "nosuch"):
        result = cli("reconcile", "import", str(statement), "--profile", profile)
        assert result.exit_code == 1 and "invalid_profile" in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)

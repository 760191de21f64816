"""A statement's file name is a label its sender's system chose, not part of the statement: control
characters in it (a NUL, which PostgreSQL text cannot hold, was a 500 there and stored as is on SQLite;
a name that is not UTF-8 on disk) are dropped, the rest kept readable, and a name left empty becomes
`statement`. The statement itself is imported as any other, from the API and from the CLI alike."""
import os

import pytest
from sqlalchemy import select

from reconciliation.models import StatementImport
from tests.recon_factories import DATA, upload, vcb_csv

CSV = vcb_csv(("FEE1", "1.000", "", "phi dich vu"))


def stored_names(db) -> list[str]:
    with db() as s:
        return list(s.execute(select(StatementImport.filename).order_by(StatementImport.id)).scalars())


@pytest.mark.parametrize("sent, kept", [
    ("a\x00b.csv", "ab.csv"),
    ("\x00\x01\x7f", "statement"),                   # nothing readable left: the default
    ("sao\tkê\n ngày 24.csv", "sao kê ngày 24.csv"),  # whitespace controls read as one space
    ("hoa\u202edon.csv", "hoadon.csv"),              # a right-to-left override would disguise the name
    ("  Sao ke\u0302\u0301.csv  ", "Sao kế.csv"),     # trimmed and NFC, as every other text
])
def test_control_characters_are_dropped_from_an_uploaded_file_name(client, auth, db, sent, kept):
    r = upload(client, auth, CSV, filename=sent)
    assert r.status_code == 201, r.json
    assert r.json["filename"] == kept
    assert client.get(f"/api/v1/reconciliation/statements/{r.json['import_id']}",
                      headers=auth("finance")).json["filename"] == kept
    assert stored_names(db) == [kept]
    download = client.get(f"/api/v1/reconciliation/statements/{r.json['import_id']}/file", headers=auth("finance"))
    assert download.status_code == 200 and download.data == CSV.encode()


def test_a_file_name_longer_than_the_column_is_cut_after_cleaning(client, auth, db):
    r = upload(client, auth, CSV, filename="\x00" * 10 + "a" * 300 + ".csv")
    assert r.status_code == 201, r.json
    assert stored_names(db) == ["a" * 255]


def test_the_cli_cleans_a_file_name_with_control_characters_or_bytes_that_are_not_utf8(cli, db, tmp_path):
    data = (DATA / "statement_sample.mt940").read_bytes()
    escaped = tmp_path / "sao\x1bke.mt940"
    escaped.write_bytes(data)
    not_utf8 = tmp_path / os.fsdecode(b"sao\xffke2.mt940")  # Python reads such a name with a lone surrogate
    not_utf8.write_bytes(data)
    for path in (escaped, not_utf8):
        result = cli("reconcile", "import", str(path))
        assert result.exit_code == 0, result.output
    assert stored_names(db) == ["saoke.mt940", "saoke2.mt940"]

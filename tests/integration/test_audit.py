from datetime import timedelta

from sqlalchemy import update

from kernel.audit import AuditEntry, record, verify_chain
from tests.conftest import T0


def _write(db, n):
    with db() as s, s.begin():
        for i in range(n):
            record(s, actor="user:1:Lan", action="suspense.assign", subject_type="payment",
                   subject_id=i, at=T0 + timedelta(minutes=i), reason=f"lý do {i}", data={"amount_vnd": i})


def test_an_untouched_chain_verifies(db):
    _write(db, 5)
    with db() as s:
        report = verify_chain(s)
    assert report.ok and report.rows == 5


def test_rows_are_chained_to_their_predecessor(db):
    _write(db, 3)
    with db() as s:
        rows = s.query(AuditEntry).order_by(AuditEntry.id).all()
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_a_tampered_row_is_found(db):
    _write(db, 5)
    with db() as s, s.begin():
        third = s.query(AuditEntry).order_by(AuditEntry.id).all()[2]
        s.execute(update(AuditEntry).where(AuditEntry.id == third.id).values(reason="changed later"))
    with db() as s:
        report = verify_chain(s)
    assert not report.ok and report.broken_at == third.id


def test_a_deleted_row_breaks_the_chain(db):
    _write(db, 4)
    with db() as s, s.begin():
        second = s.query(AuditEntry).order_by(AuditEntry.id).all()[1]
        s.delete(second)
    with db() as s:
        report = verify_chain(s)
    assert not report.ok

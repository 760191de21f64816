"""Keyed seals over the audit chain: the unkeyed chain shows a changed row, but someone who can write the
database can also recompute every hash after it; a seal (an HMAC under a key the database does not hold)
over the chain's head cannot be recomputed without the key."""
from datetime import timedelta

from sqlalchemy import delete, select, update

from kernel.audit import AuditEntry, AuditSeal, _digest, record, seal, verify_chain
from kernel.jobs import run_due
from tests.conftest import T0

KEY = "a-key-long-enough-for-sealing-0001"
OLD_KEY = "an-older-key-kept-for-rotation-02"


def _write(db, n, start=0):
    with db() as s, s.begin():
        for i in range(start, start + n):
            record(s, actor="user:1:Lan", action="suspense.assign", subject_type="payment",
                   subject_id=i, at=T0 + timedelta(minutes=i), reason=f"lý do {i}", data={"amount_vnd": i})


def _seal(db, keys=(KEY,), minutes=0):
    with db() as s, s.begin():
        return seal(s, secrets=keys, now=T0 + timedelta(hours=1, minutes=minutes))


def _rewrite_from(db, entry_id, **changes):
    """What someone with write access but no key can do: change a row and recompute the chain after it."""
    with db() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(**changes))
        prev = None
        for entry in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
            if prev is not None and entry.id >= entry_id:
                entry.prev_hash = prev
                entry.hash = _digest(prev, entry.at, entry.actor, entry.action, entry.subject_type,
                                     entry.subject_id, entry.reason, entry.data)
                s.flush()
            prev = entry.hash


def test_a_sealed_chain_verifies_with_its_key(db):
    _write(db, 4)
    assert _seal(db) is not None
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
    assert report.ok and report.rows == 4 and report.seals == 1 and report.unsealed == 0


def test_nothing_new_no_new_seal(db):
    _write(db, 2)
    assert _seal(db) is not None
    assert _seal(db, minutes=5) is None
    _write(db, 1, start=2)
    assert _seal(db, minutes=10) is not None
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
        assert s.query(AuditSeal).count() == 2
    assert report.ok and report.seals == 2


def test_an_empty_log_is_not_sealed(db):
    assert _seal(db) is None


def test_rows_after_the_last_seal_are_counted_unsealed(db):
    _write(db, 3)
    _seal(db)
    _write(db, 2, start=3)
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
    assert report.ok and report.unsealed == 2 and report.last_sealed_at == T0 + timedelta(hours=1)


def test_a_rewritten_chain_passes_the_hashes_but_not_the_seal(db):
    _write(db, 5)
    _seal(db)
    with db() as s:
        second = s.execute(select(AuditEntry.id).order_by(AuditEntry.id).offset(1).limit(1)).scalar_one()
    _rewrite_from(db, second, reason="đã sửa sau")
    with db() as s:
        assert verify_chain(s).ok  # the unkeyed chain alone is fooled
        report = verify_chain(s, secrets=(KEY,))
        first_seal = s.execute(select(AuditSeal.id)).scalar_one()
    assert not report.ok and report.broken_at is None and report.broken_seal == first_seal


def test_a_sealed_tail_cut_off_is_found(db):
    _write(db, 4)
    _seal(db)
    with db() as s, s.begin():
        last = s.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
        s.execute(delete(AuditEntry).where(AuditEntry.id == last))
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
    assert not report.ok and report.broken_seal is not None


def test_a_seal_forged_without_the_key_is_found(db):
    _write(db, 3)
    _seal(db, keys=("someone-else's-key-of-some-length",))
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
    assert not report.ok and report.broken_seal is not None


def test_a_seal_removed_from_between_two_is_found(db):
    _write(db, 2)
    _seal(db)
    _write(db, 2, start=2)
    _seal(db, minutes=5)
    _write(db, 2, start=4)
    _seal(db, minutes=10)
    with db() as s, s.begin():
        middle = s.execute(select(AuditSeal.id).order_by(AuditSeal.id).offset(1).limit(1)).scalar_one()
        s.execute(delete(AuditSeal).where(AuditSeal.id == middle))
    with db() as s:
        report = verify_chain(s, secrets=(KEY,))
    assert not report.ok and report.broken_seal == middle + 1


def test_a_seal_made_with_a_rotated_out_key_still_verifies_while_that_key_is_listed(db):
    _write(db, 2)
    _seal(db, keys=(OLD_KEY,))
    _write(db, 1, start=2)
    _seal(db, keys=(KEY, OLD_KEY), minutes=5)
    with db() as s:
        assert verify_chain(s, secrets=(KEY, OLD_KEY)).ok
        assert not verify_chain(s, secrets=(KEY,)).ok


def test_without_a_key_the_seals_are_not_checked(db):
    _write(db, 2)
    _seal(db, keys=("someone-else's-key-of-some-length",))
    with db() as s:
        report = verify_chain(s)
    assert report.ok and report.seals == 0


def test_the_worker_seals_the_log_every_hour(db, test_settings):
    from api import periodic_jobs

    _write(db, 3)
    ran = run_due(db, periodic_jobs(test_settings), T0 + timedelta(hours=2))
    assert "kernel.audit_seal" in ran
    with db() as s:
        report = verify_chain(s, secrets=test_settings.secret_values("HCCPAY_SECRET_KEY"))
    assert report.ok and report.seals == 1


def test_the_cli_seals_and_verifies_with_the_app_key(db, cli):
    _write(db, 3)
    sealed = cli("audit", "seal")
    assert sealed.exit_code == 0 and "sealed" in sealed.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and "1 seal" in verified.output
    with db() as s, s.begin():
        s.execute(update(AuditSeal).values(rows=2))
    broken = cli("audit", "verify")
    assert broken.exit_code == 1 and "seal" in broken.output

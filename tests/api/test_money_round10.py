"""Money round 10: a bounced transfer told twice is one failure (as an executed payout told twice is one payout)."""
import pytest
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from payments.ledger import LedgerEntry
from tests.api.test_money_round8 import ask_refund, paid_by_transfer

pytestmark = pytest.mark.usefixtures("ledger_and_audit_checked")


def _failed(client, auth, refund_id, reason="Tài khoản người nhận không tồn tại"):
    return client.post(f"/api/v1/refunds/{refund_id}/failed", json={"reason": reason}, headers=auth("finance"))


def _counts(db, refund_id) -> tuple[int, int]:
    with db() as s:
        audits = s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "refund.failed", AuditEntry.subject_id == str(refund_id))).scalar_one()
        entries = s.execute(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.kind == "refund_failed")).scalar_one()
    return audits, entries


def test_a_failure_told_again_is_answered_as_it_was_and_writes_nothing(client, auth, test_settings, db):
    code, payment_id = paid_by_transfer(client, auth, test_settings, 300_000)
    refund = ask_refund(client, auth, payment_id, 300_000, 300_000).json
    assert refund["status"] == "transfer_ordered"
    first = _failed(client, auth, refund["id"])
    assert first.status_code == 200 and first.json["status"] == "failed"
    again = _failed(client, auth, refund["id"])  # a double click, a retried request
    assert again.status_code == 200 and again.json == first.json
    assert _counts(db, refund["id"]) == (1, 1)
    other = _failed(client, auth, refund["id"], reason="Lý do khác")
    assert other.status_code == 409 and other.json["code"] == "refund_not_executable", other.json
    assert _counts(db, refund["id"]) == (1, 1)


def test_the_ledger_check_proves_each_payments_money_in_suspense(client, auth, test_settings, db, cli):
    """The books can balance while a payment's `unallocated_vnd` says money waits that its entries never put in
    suspense (or the other way): a đồng nobody can explain. `hccpay ledger check` names the payment."""
    from payments.models import Payment
    from tests.factories import make_request, send_callback

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "rút hồ sơ"}, headers=auth("intake"))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)  # for a cancelled request: suspense
    assert cli("ledger", "check").exit_code == 0
    with db() as s, s.begin():
        payment = s.execute(select(Payment)).scalar_one()
        assert payment.unallocated_vnd == 100_000
        payment.unallocated_vnd, payment_id = 70_000, payment.id
    broken = cli("ledger", "check")
    assert broken.exit_code == 1 and f"differs from their entries: [{payment_id}]" in broken.output, broken.output
    with db() as s, s.begin():
        s.get(Payment, payment_id).unallocated_vnd = 100_000
    assert cli("ledger", "check").exit_code == 0

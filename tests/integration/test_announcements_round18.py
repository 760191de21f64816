"""Round 18: a callback's claim that moves to another statement line (`announcements._free_by_moving`) adds
what the move did to its stored reason, never replacing what the reason said, and is audited."""
import json

from sqlalchemy import select, update

from kernel.audit import AuditEntry
from kernel.inbox import InboundCallback
from payments.models import Payment
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_payment_references_two_citizens import AMOUNT, TRANSFERS, api, money, sepay
from tests.recon_factories import bank_callback, upload, vcb_csv

# What a stored callback's reason may hold before its claim moves: an admin's retry of a failure, then the verdict.
EARLIER = "queued again at 2026-11-24T02:05:00+00:00 after: worker crashed (request 5f2c); the bank statement " \
          "already credited this transfer (payment {line}): linked to it, not credited again"


def test_a_moved_claim_keeps_what_its_callbacks_reason_said_and_adds_the_move_audited(client, auth, test_settings, db):
    code = make_request(client, auth)
    upload(client, auth, vcb_csv(*[(TRANSFERS[n][0], "", "100.000", f"{code} nop phi") for n in (1, 2)]))
    bank_callback(client, test_settings, TRANSFERS[2][1], AMOUNT, f"{code} nop phi")  # takes line 1 by code
    with db() as s, s.begin():
        line_1, line_2 = s.execute(select(Payment.id).where(Payment.provider == "statement")
                                   .order_by(Payment.id)).scalars()
        inbox_id = s.get(Payment, line_1).inbox_id
        before = EARLIER.format(line=line_1)
        s.execute(update(InboundCallback).where(InboundCallback.id == inbox_id).values(reason=before))
    assert sepay(db, test_settings, code, TRANSFERS[2][0], "SP-2").payment_id == line_2
    assert sepay(db, test_settings, code, TRANSFERS[1][1], "SP-1").payment_id == line_1  # moves the API's claim
    with db() as s:
        row = s.get(InboundCallback, inbox_id)
        assert row.reason.startswith(before + "; ")  # what it said is kept, word for word
        added = row.reason[len(before) + 2:]
        assert f"payment {line_2}" in added and f"payment {line_1}" in added and "sepay SP-1" in added
        assert row.status == "duplicate" and row.set_aside_at is None and row.handled_at is None
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "callback.claim_moved")).all()
    assert (entry.subject_type, entry.subject_id) == ("callback", str(inbox_id))
    assert json.loads(entry.data) == {"provider": "bank", "external_id": TRANSFERS[2][1],
                                      "from_payment_id": line_1, "to_payment_id": line_2,
                                      "moved_by": "sepay:SP-1"}
    assert entry.reason == added
    last = api(db, test_settings, code, TRANSFERS[1][1])
    assert (last.outcome, last.payment_id) == ("linked", line_1)
    assert money(db) == (2, 2 * AMOUNT)
    assert_ledger_ok(db)


def test_a_claim_moved_from_a_callback_never_stored_is_audited_on_the_payment_it_left(
        client, auth, test_settings, db):
    """A credit recorded without an inbox row (the statement-first path's tests, a tool) has no reason to add to:
    the move is still audited, on the payment the claim left."""
    code = make_request(client, auth)
    upload(client, auth, vcb_csv(*[(TRANSFERS[n][0], "", "100.000", f"{code} nop phi") for n in (1, 2)]))
    assert api(db, test_settings, code, TRANSFERS[2][1]).outcome == "linked"  # takes line 1 by code, no inbox row
    with db() as s:
        line_1, line_2 = s.execute(select(Payment.id).where(Payment.provider == "statement")
                                   .order_by(Payment.id)).scalars()
    assert sepay(db, test_settings, code, TRANSFERS[2][0], "SP-2").payment_id == line_2
    assert sepay(db, test_settings, code, TRANSFERS[1][1], "SP-1").payment_id == line_1
    with db() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "callback.claim_moved")).all()
    assert (entry.subject_type, entry.subject_id) == ("payment", str(line_1))
    assert json.loads(entry.data)["to_payment_id"] == line_2

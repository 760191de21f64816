"""Round 14, card terminals: a sale reported approved and then declined is a contradiction for finance
(the money may not exist), not an ignored decline."""
import pytest

from tests.api.test_callbacks_round5_pos import last_inbox, paid
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


# --- a declined repeat of an approved sale -----------------------------------------------------

@pytest.mark.parametrize("declined", [{"status": "declined"}, {"response_code": "05"}])
def test_a_sale_reported_approved_then_declined_is_a_conflict_for_finance(client, auth, test_settings, db, declined):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code).status_code == 200
    assert paid(client, code) == 100_000
    r = pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code, **declined)
    assert r.status_code == 200 and r.json == {"received": True}  # recorded: the terminal must not send it again
    status, reason = last_inbox(db)
    assert status == "conflict", reason
    assert "approved" in reason and "declined" in reason
    [listed] = conflicts(client, auth)
    assert listed["external_id"] == "POS-01:7:1"
    assert paid(client, code) == 100_000  # nothing undone by itself: finance checks with the acquirer


def test_a_declined_sale_alone_or_of_another_batch_is_still_ignored(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code).status_code == 200
    pos(client, test_settings, transaction_id="000001", batch_number="8", payment_code=code, status="declined")
    assert last_inbox(db)[0] == "ignored"
    pos(client, test_settings, transaction_id="000002", batch_number="7", payment_code=code, status="declined")
    assert last_inbox(db)[0] == "ignored"
    assert conflicts(client, auth) == []


def test_a_declined_void_of_an_approved_sale_is_still_ignored(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", payment_code=code).status_code == 200
    pos(client, test_settings, transaction_id="000002", type="void", original_transaction_id="000001",
        status="declined")
    assert last_inbox(db)[0] == "ignored"  # the sale stands, as the acquirer pays it
    assert paid(client, code) == 100_000

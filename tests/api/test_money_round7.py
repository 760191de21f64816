"""Money round 7: counter, card and refund flows probed as a centre sees them."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def request_view(client, code: str) -> dict:
    return client.get(f"/api/v1/payment-requests/{code}").json


def last_inbox(db) -> tuple[str, str]:
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason


# --- a card void or reversal the terminal reports declined -------------------------------------

@pytest.mark.parametrize("kind", ["void", "reversal"])
@pytest.mark.parametrize("declined, said", [({"status": "declined"}, "status declined"),
                                            ({"response_code": "05"}, "response code 05")])
def test_a_declined_void_leaves_the_sale_paid(client, auth, test_settings, db, kind, declined, said):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code).status_code == 200
    r = pos(client, test_settings, transaction_id="V1", type=kind, original_transaction_id="S1", **declined)
    assert r.status_code == 200 and r.json == {"received": True}
    assert last_inbox(db) == ("ignored", f"card {kind} declined ({said})")
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"], view["outstanding_vnd"]) == ("paid", 100_000, 0)


def test_a_declined_void_that_arrives_first_does_not_undo_its_sale(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1", status="declined")
    pos(client, test_settings, transaction_id="S1", payment_code=code)
    assert request_view(client, code)["status"] == "paid"


def test_the_void_approved_after_a_declined_one_still_undoes_the_sale(client, auth, test_settings):
    code = make_request(client, auth)
    pos(client, test_settings, transaction_id="S1", payment_code=code)
    pos(client, test_settings, transaction_id="V1", type="void", original_transaction_id="S1", response_code="05")
    pos(client, test_settings, transaction_id="V2", type="void", original_transaction_id="S1")
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("pending", 0)

"""`hccpay worker --once` says what it did: the callbacks it applied as well as the outbox messages it
handled. A batch smaller than the inbound batch size (the usual case) was applied and reported as
"handled 0 message(s)", so an operator draining a backlog by hand could not tell it had worked."""
from sqlalchemy import select

from payments.models import PaymentRequest
from tests.factories import make_request, send_callback


def test_worker_once_counts_the_callbacks_it_applied(app, client, auth, test_settings, cli, db):
    plain = client.queued_only()
    codes = [make_request(client, auth, ("Lệ phí", "charge", 50_000)) for _ in range(3)]
    for code in codes:
        assert send_callback(plain, test_settings, "bank", code=code, amount=50_000).status_code == 200
    with db() as s:
        assert set(s.execute(select(PaymentRequest.status)).scalars()) == {"pending"}  # queued, not applied yet
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "applied 3 callback(s)" in result.output
    with db() as s:
        assert set(s.execute(select(PaymentRequest.status)).scalars()) == {"paid"}

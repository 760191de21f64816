"""`hccpay sandbox pay --via vnpay` cannot pay any amount but what is owed: a VNPay checkout charges what is
still owed (the IPN must carry the checkout's amount), so another `--amount` is refused, not silently
ignored; the amount owed itself is honoured."""
import requests
from sqlalchemy import select

from payments.models import VnpayCheckout
from tests.integration.test_served_callbacks import new_code


def paid_vnd(served, code: str) -> int:
    served.settle()
    return requests.get(f"{served.url}/api/v1/payment-requests/{code}", timeout=10).json()["paid_vnd"]


def test_sandbox_pay_via_vnpay_refuses_another_amount_and_pays_nothing(served, tokens, cli, db):
    code = new_code(served.url, tokens, amount=75_000)
    result = cli("sandbox", "pay", code, "--amount", "25000", "--via", "vnpay", "--url", served.url)
    assert result.exit_code == 1
    assert "--amount 25000 cannot be paid with --via vnpay" in result.output and "(75000 VND)" in result.output
    assert paid_vnd(served, code) == 0
    with db() as s:  # the checkout was opened, never paid: as when a citizen leaves the gateway
        assert s.execute(select(VnpayCheckout.status)).scalars().all() == ["pending"]


def test_sandbox_pay_via_vnpay_honours_the_amount_owed(served, tokens, cli):
    code = new_code(served.url, tokens, amount=75_000)
    result = cli("sandbox", "pay", code, "--amount", "75000", "--via", "vnpay", "--url", served.url)
    assert result.exit_code == 0, result.output
    assert paid_vnd(served, code) == 75_000


def test_sandbox_pay_via_vnpay_without_an_amount_pays_what_is_owed(served, tokens, cli):
    code = new_code(served.url, tokens, amount=75_000)
    result = cli("sandbox", "pay", code, "--via", "vnpay", "--url", served.url)
    assert result.exit_code == 0, result.output
    assert paid_vnd(served, code) == 75_000

from hypothesis import given
from hypothesis import strategies as st

from payments.allocation import ItemDue, _spread_change, collected_by_item, paid_change

ITEMS = [ItemDue(1, "fee", 0, 250_000), ItemDue(2, "charge", 1, 100_000), ItemDue(3, "postage", 2, 30_000)]


def test_charges_are_credited_before_fees_before_postage():
    assert collected_by_item(ITEMS, 120_000) == {2: 100_000, 1: 20_000, 3: 0}
    assert collected_by_item(ITEMS, 360_000) == {2: 100_000, 1: 250_000, 3: 10_000}


def test_a_payment_beyond_the_amount_is_an_overpayment():
    change = paid_change(ITEMS, 370_000, 400_000)
    assert change.revenue_by_kind == {"postage": 10_000}
    assert change.overpaid_vnd == 20_000


def test_taking_money_back_gives_negative_changes():
    change = paid_change(ITEMS, 400_000, 100_000)
    assert change.revenue_by_kind == {"fee": -250_000, "postage": -30_000}
    assert change.overpaid_vnd == -20_000


amounts = st.lists(st.integers(1, 1_000_000), min_size=1, max_size=6)


@given(amounts, st.integers(0, 8_000_000), st.integers(0, 8_000_000))
def test_every_dong_of_a_change_lands_in_revenue_or_overpayment(item_amounts, before, after):
    items = [ItemDue(i, ("charge", "fee", "postage")[i % 3], i, a) for i, a in enumerate(item_amounts)]
    change = paid_change(items, before, after)
    assert sum(change.revenue_by_kind.values()) + change.overpaid_vnd == after - before


@given(amounts, st.integers(0, 8_000_000))
def test_no_item_is_ever_covered_beyond_its_amount(item_amounts, paid):
    items = [ItemDue(i, "fee", i, a) for i, a in enumerate(item_amounts)]
    covered = collected_by_item(items, paid)
    assert all(0 <= covered[i.key] <= i.amount_vnd for i in items)
    assert sum(covered.values()) == min(paid, sum(item_amounts))


@given(st.integers(1, 1_000_000), st.sampled_from(["charge", "fee", "postage"]), st.data())
def test_a_one_fee_request_changes_exactly_as_the_general_spreading_says(amount, kind, data):
    near = st.sampled_from([-1, 0, 1, amount - 1, amount, amount + 1, 2 * amount]) | st.integers(-10, 3_000_000)
    before, after = data.draw(near), data.draw(near)
    items = [ItemDue(7, kind, 0, amount)]
    assert paid_change(items, before, after) == _spread_change(items, before, after)

"""How a principal is named where records say who did what."""
from kernel.auth import ACTOR_LENGTH, Principal


def test_an_actor_fits_the_columns_that_record_it_whatever_the_name():
    long = Principal(name="Quầy thu ngân " + "x" * 300, roles=frozenset({"cashier"}), kind="token", id=123456)
    assert len(long.actor) == ACTOR_LENGTH and long.actor.startswith("token:123456:Quầy thu ngân x")
    short = Principal(name="Lan", roles=frozenset({"finance"}), kind="user", id=7)
    assert short.actor == "user:7:Lan"

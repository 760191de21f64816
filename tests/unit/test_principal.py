"""How a principal is named where records say who did what."""
from kernel.auth import ACTOR_LENGTH, Principal, same_principal


def test_an_actor_fits_the_columns_that_record_it_whatever_the_name():
    long = Principal(name="Quầy thu ngân " + "x" * 300, roles=frozenset({"cashier"}), kind="token", id=123456)
    assert len(long.actor) == ACTOR_LENGTH and long.actor.startswith("token:123456:Quầy thu ngân x")
    short = Principal(name="Lan", roles=frozenset({"finance"}), kind="user", id=7)
    assert short.actor == "user:7:Lan"


def test_same_principal_is_by_kind_and_id_not_by_the_name():
    assert same_principal("user:7:Thu ngân Hoa", "user:7:Nguyễn Thị Hoa")  # renamed since: the same person
    assert not same_principal("user:7:Thu ngân Hoa", "user:8:Thu ngân Hoa")
    assert not same_principal("user:7:Thu ngân Hoa", "token:7:Thu ngân Hoa")  # a system's token is not the person
    assert same_principal("token:3:quầy: 2", "token:3:quầy 2")  # a colon in the name changes nothing

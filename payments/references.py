"""Bank references and account numbers compared across formats and feeds: one rule for the statement
parsers, the reconciliation keys and the callbacks (pure: no database, so a parser may use it).

A payment is known by the `normalise_ref` of every reference a report of it named
(`payment_references`), and lookups compare those keys: "5000.96828" and "500096828" find each other
whichever of the two was stored. A change of this rule changes what the stored keys should be: it
needs a migration that keys the payments again (as 0017 and 0019 keyed those stored before)."""
from __future__ import annotations

import re

# What a bank writes where it has no reference: SWIFT's NONREF, ISO's NOTPROVIDED, and the fillers
# exports put in every row's reference cell ("0", "N/A", "-"). Taken for a reference, they would key
# every transfer of an amount on a day as one (the second listed as a duplicate, its money unseen).
_NO_REFERENCE = {"NONREF", "NOTPROVIDED", "NA", "NONE", "NULL", "NIL"}
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


# The last two references read and their keys: a statement's parse reads a line's reference several times (is
# it one, is the line a total, the line's key), a row apart at most. Held as one tuple, swapped whole (threads).
_last: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)


def normalise_ref(ref: str | None) -> str | None:
    """`5000.96828` (CSV) == `500096828` (MT940); None for a placeholder (`_NO_REFERENCE`, or only zeros)."""
    global _last
    if ref is None:
        return None
    last = _last
    if last[0] is ref:
        return last[1]
    if last[2] is ref:
        return last[3]
    # The usual reference is letters and digits (`FT24329…`), or digits around a dot (Vietcombank's CSV
    # `5000.96828`): two tests in C instead of the regex, which every statement line runs through several
    # times (its key, its links, its payment's references). The dot is no letter or digit either way.
    cleaned = ref.replace(".", "")
    cleaned = cleaned.upper() if cleaned.isalnum() and cleaned.isascii() else _NOT_ALNUM.sub("", cleaned).upper()
    found = cleaned if cleaned.strip("0") and cleaned not in _NO_REFERENCE else None
    if type(ref) is str:  # a subclass's text may compare otherwise: not kept
        _last = (ref, found, last[0], last[1])
    return found



def normalise_account(account: str | None) -> str | None:
    """`0071 0012 34567`, `0071-0012-34567`, `VCB/0071001234567` -> letters and digits only, upper case."""
    if account is None:
        return None
    cleaned = _NOT_ALNUM.sub("", account).upper()
    return cleaned or None

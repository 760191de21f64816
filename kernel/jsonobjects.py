"""JSON objects as I-JSON (RFC 7493) has them: a member name appears once.

Python's decoder keeps the last of two members of one name, so `{"amount_vnd": 100000,
"amount_vnd": 5}` would be read as 5 đồng while another reader (a log viewer, the sender's own
tooling, a reviewer reading the stored body) sees 100,000. A body that says two things about one
field is refused instead (API bodies and callbacks alike)."""
from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class DuplicateKey(ValueError):
    """A JSON object naming one member twice (a ValueError, as every other decoding failure)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the JSON object names {key!r} twice")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: the object, or DuplicateKey."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


class UniqueKeysJSONProvider(DefaultJSONProvider):
    """The app's JSON (`app.json`): request bodies decode with `unique_keys` (Flask hands each request
    the app's provider, so this is where a request's decoder is chosen)."""

    ensure_ascii = False  # Vietnamese stays readable in every answer

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("object_pairs_hook", unique_keys)
        return super().loads(s, **kwargs)

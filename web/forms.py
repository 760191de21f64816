"""Reading staff forms the one way every staff page does: typed text is cleaned as the API cleans it, and a
refusal says which rule it broke (too long is `text_too_long` with its limit, not a vague `validation_error`).
A refused form keeps what was typed for the page that says why (`keep_form` before a redirect, as the finance
workspace answers; `show_kept_form` for the page answered at once, as the postal board and admin pages do),
and the templates read it back with `kept_form`."""
from __future__ import annotations

from flask import current_app, g, request, session

from kernel.errors import ValidationError
from kernel.http import settings
from payments.service import parse_payment_code
from payments.validation import clean_text


def form_text(field: str, *, max_len: int = 1000, required: bool = True) -> str | None:
    """The form's `field`, trimmed and single-spaced; too long is refused with its limit ("tối đa 1000 ký tự")."""
    raw = request.form.get(field)
    try:
        return clean_text(raw, field, max_len=max_len, required=required)
    except ValidationError as exc:
        if exc.code == "validation_error" and isinstance(raw, str) and len(" ".join(raw.split())) > max_len:
            raise ValidationError(f"{field} must be at most {max_len} characters", code="text_too_long",
                                  details={"field": field, "max_len": max_len}) from exc
        raise


def typed_payment_code(typed: str | None) -> str:
    """A payment code as staff type or copy it from a bank memo, which groups it (`HS 231 010732 19`,
    `hs-231-010732-19`), in its written form, checked as the API checks one (`parse_payment_code` reads
    the grouping away)."""
    return parse_payment_code(typed or "", settings())


# A refused form goes back (303) to the page it came from, like an accepted one; what was typed rides along
# in the signed session cookie for that one next page, so nobody retypes a reason and three codes because
# one of them was wrong. Never kept: the CSRF token (a secret, and the page writes a fresh one) and a
# password (a secret, never written into a page or a cookie; a browser would keep it in its history).
KEPT = "kept_form"
NOT_KEPT = frozenset({"csrf_token", "password"})
# an over-payment confirmation: the hidden amounts it confirms, the requests it overpays (named beside the box)
KEPT_DETAILS = frozenset({"outstanding_by_code", "overpayment_by_code", "difference_vnd"})
# What a browser keeps of one cookie is 4096 bytes with its name and attributes; the flash message shares it.
COOKIE_BUDGET = 3800
SHORT_FIELD = 100  # codes, amounts, account numbers: kept even when a long reason cannot be


class KeptForm:
    """What was typed into one form whose submission was refused (empty for every other form)."""

    def __init__(self, fields: dict[str, list[str]] | None = None, code: str | None = None,
                 details: dict | None = None):
        self.fields, self.code, self.details = fields or {}, code, details or {}

    def __bool__(self) -> bool:
        return bool(self.fields) or self.code is not None

    def value(self, name: str, index: int = 0, default: str = "") -> str:
        values = self.fields.get(name, [])
        return values[index] if index < len(values) else default

    def chose(self, name: str, value: str) -> bool:
        """Whether `value` was the option chosen (select) or ticked (checkbox) for `name`."""
        return value in self.fields.get(name, [])


def _typed() -> dict[str, list[str]]:
    return {name: request.form.getlist(name) for name in request.form if name not in NOT_KEPT}


def keep_form(code: str, details: dict | None = None) -> None:
    """After a refusal (`code`, with its `details`, e.g. what a request owed when an over-payment asks for a
    confirmation): keep what the form held for the page the redirect shows next."""
    fields = _typed()
    # Of the error's details only what the page writes back into the form rides in the cookie (readable by
    # the browser): what each request owed when an over-payment was asked for and by how much each is overpaid,
    # the drawer's count difference a close asks to confirm: plain codes and integers.
    details = {key: value for key, value in (details or {}).items() if key in KEPT_DETAILS}
    session[KEPT] = {"action": request.path, "code": code, "fields": fields, "details": details}
    if _cookie_size() > COOKIE_BUDGET:  # a very long text full of accents: keep the short fields at least
        short = {name: values for name, values in fields.items() if sum(map(len, values)) <= SHORT_FIELD}
        session[KEPT] = {"action": request.path, "code": code, "fields": short, "details": details}
    if _cookie_size() > COOKIE_BUDGET:  # never lose the refusal's sentence for the values
        session.pop(KEPT)


def _cookie_size() -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(dict(session))) if serializer is not None else 0


def show_kept_form(code: str) -> None:
    """After a refusal (`code`) answered with the page itself (its status says why): that page shows the form
    again with what it held. Nothing is stored: the next page is a fresh one."""
    g.kept_form = {"action": request.path, "code": code, "fields": _typed()}


def take_kept_form() -> None:
    """Before a page is shown: the form kept by the previous (refused) request is for this page only."""
    if request.method == "GET" and KEPT in session:
        g.kept_form = session.pop(KEPT)


def kept_form(action: str, **same: str) -> KeptForm:
    """For templates: what was typed into the form posting to `action` (and, where several forms post
    there, holding the hidden fields `same`), when that form was just refused."""
    kept = g.get("kept_form")
    if not kept or kept["action"] != action:
        return KeptForm()
    fields = kept["fields"]
    if any(fields.get(name, [""])[0] != str(value) for name, value in same.items()):
        return KeptForm()
    return KeptForm(fields, kept["code"], kept.get("details"))

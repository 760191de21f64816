"""Reading staff forms the one way both boards do: typed text is cleaned as the API cleans it, and a refusal
says which rule it broke (too long is `text_too_long` with its limit, not a vague `validation_error`)."""
from __future__ import annotations

from flask import request

from kernel.errors import ValidationError
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

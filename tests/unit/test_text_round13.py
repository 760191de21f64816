"""Text as people paste it: invisible format characters (zero-width space, BOM, soft hyphen, direction marks)
come along from web forms and chats. They are dropped, not refused; control characters are still refused."""
import pytest

from kernel.errors import ValidationError
from kernel.text import clean_text


@pytest.mark.parametrize("pasted, kept", [
    ("Nguyễn\u200b Văn An", "Nguyễn Văn An"),
    ("\ufeffNguyễn Văn An", "Nguyễn Văn An"),
    ("Trần Thị\u00ad Bình", "Trần Thị Bình"),
    ("Lê\u200e Văn\u2060 Cường", "Lê Văn Cường"),
    ("Số 12\u202e ngõ 5", "Số 12 ngõ 5"),
    ("Phạm\u200b\u200bHùng", "PhạmHùng"),
])
def test_invisible_format_characters_are_dropped(pasted, kept):
    assert clean_text(pasted, "name", max_len=200) == kept


@pytest.mark.parametrize("value", ["Nguyễn\x00An", "Nguyễn\x07An", "Nguyễn\x1bAn", "A\ud800B"])
def test_control_characters_are_still_refused(value):
    with pytest.raises(ValidationError, match="control characters"):
        clean_text(value, "name", max_len=200)


def test_a_text_of_format_characters_only_is_blank_after_them():
    with pytest.raises(ValidationError) as refused:
        clean_text("\u200b\ufeff", "name", max_len=200)
    assert refused.value.code == "missing_field"
    assert clean_text("\u200b", "note", max_len=200, required=False) is None

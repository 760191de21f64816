"""Shared PDF plumbing (fpdf2) with fonts that render Vietnamese.

Every package that prints (manifests, handover records, receipts, reports) starts from
`new_document()`, so all PDFs use the same embedded DejaVu fonts (kernel/fonts, see
LICENSE.txt there): the PDF core fonts have no glyphs for ạ, ề, ữ, đ and friends.

DejaVu has no Chinese, Japanese or Korean characters nor mathematical letters (李, 𝓐): fpdf2
would leave them out with a log line only, and a receipt would carry a payer's name with parts
missing. Inputs that get printed are checked against the fonts (`unprintable_characters`, from
the fonts' own character maps), and whatever still reaches a document without a glyph is drawn
as REPLACEMENT, visibly, never dropped.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # style -> file
REPLACEMENT = "\ufffd"  # "�", which DejaVu draws


@lru_cache(maxsize=None)
def _coverage(style: str) -> frozenset[int]:
    """The code points a style of the font has a glyph for (its cmap), read once."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency; only needed here

    return frozenset(TTFont(str(FONT_DIR / FONT_FILES[style]), lazy=True)["cmap"].getBestCmap())


@lru_cache(maxsize=1)
def _printable_everywhere() -> frozenset[int]:
    return frozenset.intersection(*(_coverage(style) for style in FONT_FILES))


def _drawable(char: str, covered: frozenset[int]) -> bool:
    # Line breaks and tabs are layout, not glyphs: fpdf2 handles them before drawing.
    return char in "\n\r\t" or ord(char) in covered


def unprintable_characters(text: str) -> list[str]:
    """The distinct characters of `text`, in order, that our documents cannot draw in any style."""
    covered = _printable_everywhere()
    return list(dict.fromkeys(c for c in text if not _drawable(c, covered)))


class Document(FPDF):
    """FPDF that draws REPLACEMENT for a character its DejaVu font has no glyph for (instead of nothing)."""

    def normalize_text(self, text: str) -> str:
        text = super().normalize_text(text)
        if text.isascii() or self.font_family != FONT.lower() or self.font_style not in FONT_FILES:
            return text
        covered = _coverage(self.font_style)
        if all(_drawable(c, covered) for c in text):
            return text
        return "".join(c if _drawable(c, covered) else REPLACEMENT for c in text)


def new_document(*, orientation: str = "P", title: str = "", author: str = "HCC Pay") -> FPDF:
    """An A4 document with the DejaVu family registered ("" and "B") and selected at 10 pt."""
    pdf = Document(orientation=orientation, unit="mm", format="A4")
    for style, file in FONT_FILES.items():
        pdf.add_font(FONT, style, str(FONT_DIR / file))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("HCC Pay")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(12, 12, 12)
    pdf.set_font(FONT, size=10)
    return pdf


def render(pdf: FPDF) -> bytes:
    """The finished document as bytes."""
    return bytes(pdf.output())

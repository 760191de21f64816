"""Shared PDF plumbing (fpdf2) with fonts that render Vietnamese.

Every package that prints (manifests, handover records, receipts, reports) starts from
`new_document()`, so all PDFs use the same embedded DejaVu fonts (kernel/fonts, see
LICENSE.txt there): the PDF core fonts have no glyphs for ạ, ề, ữ, đ and friends.
"""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


def new_document(*, orientation: str = "P", title: str = "", author: str = "HCC Pay") -> FPDF:
    """An A4 document with the DejaVu family registered ("" and "B") and selected at 10 pt."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
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

"""The close's one-page summary stays one page, its amounts whole, however many currencies the book has."""
from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from addin.documents.packsummary import Bars, summary_pdf


def test_five_currencies_and_every_section_fit_one_page_with_amounts_unbroken():
    currencies = ["EUR", "AUD", "CAD", "GBP", "USD"]
    amount = "496,188.42"
    sections = [(f"Section {k}", [[f"Line {j}", *([amount] * len(currencies))] for j in range(8)]) for k in range(5)]
    charts = [Bars(f"Chart {k}", ["Current", "1-30", "31-60", "61-90", "91+"], [0, 1, 2, 3, 4]) for k in range(3)]
    pdf = PdfReader(io.BytesIO(summary_pdf("Receivables close 2026-11", "As of 2026-11-30", currencies, sections,
                                           charts, date(2026, 12, 2))))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert text.count(amount) == 5 * 8 * 5 and "Chart 2" in text

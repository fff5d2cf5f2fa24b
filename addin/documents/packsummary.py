"""The close pack outside Excel: bar charts as PNG (for the terminal and email) and a one-page PDF summary.

Inputs are plain rows and numbers, so the layout knows nothing of the close:
the use case says what the sections hold. PNGs are drawn with Pillow (no
display, no font files needed); the PDF with reportlab, its chart as vector
graphics, in the letters' font.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

from .pdf import BLUE, FONT, _styles, _table

WIDTH, HEIGHT, MARGIN = 800, 420, 60


@dataclass(frozen=True)
class Bars:
    title: str
    labels: Sequence[str]
    values: Sequence[float | Decimal | None]   # None: no bar (a figure with no divisor)


def bar_png(chart: Bars) -> bytes:
    """A bar chart as PNG bytes: one bar per label, the value written above it."""
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=14)
    draw.text((MARGIN, 15), chart.title, fill="black", font=ImageFont.load_default(size=18))
    values = [float(v) if v is not None else None for v in chart.values]
    top = max([abs(v) for v in values if v is not None] + [1.0])
    base, span = HEIGHT - MARGIN, HEIGHT - 2 * MARGIN - 10
    draw.line((MARGIN, base, WIDTH - MARGIN // 2, base), fill="#555555")
    step = (WIDTH - 1.5 * MARGIN) / max(1, len(values))
    for k, (label, v) in enumerate(zip(chart.labels, values)):
        x0 = MARGIN + k * step + step * 0.15
        x1 = x0 + step * 0.7
        if v is not None:
            h = max(v, 0) / top * span
            draw.rectangle((x0, base - h, x1, base), fill="#1f4e79")
            draw.text(((x0 + x1) / 2, base - h - 4), f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}",
                      fill="black", font=font, anchor="md")
        draw.text(((x0 + x1) / 2, base + 8), str(label), fill="black", font=font, anchor="ma")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _axis_label(v: float) -> str:
    """A value axis tick with thousands separators: 2,500,000; 0.5 where a tick is not whole."""
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 10 else f"{v:,.1f}"


def _drawing(charts: Sequence[Bars], width: float, height: float) -> Drawing:
    """The charts side by side, each under its title, as vector graphics."""
    d = Drawing(width, height)
    each = width / max(1, len(charts))
    for k, chart in enumerate(charts):
        c = VerticalBarChart()
        c.x, c.y, c.width, c.height = k * each + 40, 25, each - 55, height - 45
        c.data = [[float(v or 0) for v in chart.values]]
        c.categoryAxis.categoryNames = [str(x) for x in chart.labels]
        c.categoryAxis.labels.fontName = c.valueAxis.labels.fontName = FONT
        c.categoryAxis.labels.fontSize = c.valueAxis.labels.fontSize = 7
        c.valueAxis.valueMin = 0
        c.valueAxis.labelTextFormat = _axis_label
        c.bars[0].fillColor = BLUE
        if not any(c.data[0]):          # nothing to draw: say so, not an axis of 0.002s
            d.add(String(k * each + each / 2 + 10, height / 2, "all 0", fontName=FONT, fontSize=8,
                         textAnchor="middle"))
        else:
            d.add(c)
        d.add(String(k * each + each / 2 + 10, height - 10, chart.title, fontName=FONT, fontSize=7,
                     textAnchor="middle"))
    return d


def summary_pdf(title: str, subtitle: str, columns: Sequence[str], sections: Sequence[tuple[str, list[list]]],
                charts: Sequence[Bars], made: date) -> bytes:
    """One A4 page: the title, each section as a small table (label, then a value per column), the charts
    side by side. With many currencies the labels take less of the width, and the whole is shrunk to
    the page rather than run onto a second."""
    st = _styles()
    story = [Paragraph(title, st["head"]), Paragraph(subtitle, st["meta"]), Spacer(1, 4 * mm)]
    width, height = A4[0] - 30 * mm, A4[1] - 22 * mm
    label = width * (0.44 if len(columns) <= 3 else 0.28)
    widths = [label] + [(width - label) / max(1, len(columns))] * len(columns)
    for heading, rows in sections:
        head = [Paragraph(escape(heading), st["headcell"])] + [Paragraph(escape(c), st["headcellr"]) for c in columns]
        body = [[str(r[0])] + [Paragraph(escape(str(v)) if v is not None else "", st["cellr"]) for v in r[1:]]
                for r in rows]
        story.append(_table([head] + body, widths, st))
        story.append(Spacer(1, 3 * mm))
    story += [_drawing(charts, width, 55 * mm),
              Paragraph(f"Made by arcollect on {made.isoformat()}", st["small"])]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                      bottomMargin=10 * mm, title=title).build([KeepInFrame(width, height, story, mode="shrink")])
    return out.getvalue()

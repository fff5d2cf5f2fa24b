"""Printable letters as PDF (reportlab platypus, A4).

Layout: letterhead (company name, address, contact), recipient address block
(placed for a DL/C5 window envelope), date, customer number and reference, the
subject, then the body from the rendered ``.letter.j2`` markup (see
``render.py``: ``subject``, ``p``, ``items`` (the subtotalled item sections),
``plan``, ``pay``, ``signature``, ``notice``), and a footer with the company
registration and page number.

A batch is laid out once, as the print file; each letter's own file (the
email attachment) is cut from it with pypdf, so the two never differ.

The text font is a TrueType font so that € £ ü ß print: DejaVu Sans where
installed (Linux), else Arial on Windows, else Bitstream Vera, which ships
inside reportlab and covers them too. reportlab's built-in Helvetica cannot
print € reliably, so it is never used for text.
"""
from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

import reportlab
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether,
                                PageBreak, PageTemplate, Paragraph, Spacer,
                                Table, TableStyle)

from addin.core.model import Communication, safe_filename
from addin.files.atomic import write_atomic
from addin.core.settings import Settings

from .render import Rendered, build_context, format_date, format_money, item_labels, item_sections

FONT = "ARSans"
FONT_BOLD = "ARSans-Bold"
_FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-BoldOblique.ttf"),
    (r"C:\Windows\Fonts\arial.ttf", r"C:\Windows\Fonts\arialbd.ttf", r"C:\Windows\Fonts\ariali.ttf",
     r"C:\Windows\Fonts\arialbi.ttf"),
    tuple(os.path.join(os.path.dirname(reportlab.__file__), "fonts", f)
          for f in ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")),
]
_fonts_ready = False
rl_config.useA85 = 0  # streams stay binary (deflated): ASCII85 on top costs 1 ms a letter and 25 % in size

BLUE = colors.HexColor("#1f4e79")
GREY = colors.HexColor("#555555")
LIGHT = colors.HexColor("#eef3f8")
PARALLEL_FROM = 64  # letters in a batch from which write_letters lays out in two processes


def _register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    for paths in _FONT_CANDIDATES:
        if all(os.path.isfile(p) for p in paths):
            names = (FONT, FONT_BOLD, FONT + "-Italic", FONT + "-BoldItalic")
            for name, path in zip(names, paths):
                pdfmetrics.registerFont(TTFont(name, path))
            pdfmetrics.registerFontFamily(FONT, normal=names[0], bold=names[1], italic=names[2],
                                          boldItalic=names[3])
            _fonts_ready = True
            return
    raise RuntimeError("no TrueType font found for letters (DejaVu Sans, Arial or reportlab's Vera)")


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, made once (they are never changed)."""
    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, spaceAfter=7)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=0,
                                textColor=GREY),
        "tiny": ParagraphStyle("tiny", parent=body, fontSize=6.5, leading=8, spaceAfter=2,
                               textColor=GREY),
        "head": ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=16, leading=19,
                               textColor=BLUE, spaceAfter=0),
        "contact": ParagraphStyle("contact", parent=body, fontSize=8, leading=10.5, spaceAfter=0,
                                  alignment=TA_RIGHT, textColor=GREY),
        "address": ParagraphStyle("address", parent=body, fontSize=10, leading=13, spaceAfter=0),
        "meta": ParagraphStyle("meta", parent=body, fontSize=9, leading=12.5, spaceAfter=0),
        "subject": ParagraphStyle("subject", parent=body, fontName=FONT_BOLD, fontSize=11.5,
                                  leading=15, spaceBefore=4, spaceAfter=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11, spaceAfter=0),
        "cellr": ParagraphStyle("cellr", parent=body, fontSize=9, leading=11, spaceAfter=0,
                                alignment=TA_RIGHT),
        "cellb": ParagraphStyle("cellb", parent=body, fontName=FONT_BOLD, fontSize=9, leading=11,
                                spaceAfter=0),
        "cellbr": ParagraphStyle("cellbr", parent=body, fontName=FONT_BOLD, fontSize=9, leading=11,
                                 spaceAfter=0, alignment=TA_RIGHT),
        "headcell": ParagraphStyle("headcell", parent=body, fontName=FONT_BOLD, fontSize=9,
                                   leading=11, spaceAfter=0, textColor=colors.white),
        "headcellr": ParagraphStyle("headcellr", parent=body, fontName=FONT_BOLD, fontSize=9,
                                    leading=11, spaceAfter=0, textColor=colors.white,
                                    alignment=TA_RIGHT),
        "notice": ParagraphStyle("notice", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
    }


# --------------------------------------------------------------------------- letter markup

_INLINE = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u"}


def _inline(elem: ET.Element) -> str:
    """Paragraph markup of an element's content: only b, i, u and br survive; text is escaped."""
    out = [escape(elem.text or "", quote=False)]
    for child in elem:
        tag = child.tag.lower()
        if tag == "br":
            out.append("<br/>")
        elif tag in _INLINE:
            t = _INLINE[tag]
            out.append(f"<{t}>{_inline(child)}</{t}>")
        else:
            out.append(_inline(child))
        out.append(escape(child.tail or "", quote=False))
    return "".join(out)


def _lines_markup(text: str) -> str:
    return "<br/>".join(escape(ln.strip(), quote=False) for ln in (text or "").splitlines() if ln.strip())


class _LetterStart(Flowable):
    """Zero-size marker: tells the footer which letter a page belongs to."""

    def __init__(self, state: dict, meta: dict):
        super().__init__()
        self.state, self.meta = state, meta
        self.width = self.height = 0

    def wrap(self, aw, ah):
        return (0, 0)

    def draw(self):
        self.state["meta"] = self.meta
        self.state["start"] = self.canv.getPageNumber()
        self.state.setdefault("starts", []).append(self.state["start"])


@dataclass
class _Letter:
    comm: Communication
    rendered: Rendered
    settings: Settings


def _table(rows, widths, st, *, header=True, total_rows=0):
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    cmds = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 1), (-1, -1 - total_rows), 0.25, colors.HexColor("#cccccc")),
    ]
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), BLUE))
    if total_rows:
        cmds.append(("LINEABOVE", (0, -total_rows), (-1, -total_rows), 0.8, colors.black))
    t.setStyle(TableStyle(cmds))
    return t


def _fit(text: str, font: str, width: float, st, style: str):
    """The text itself when it fits the cell on one line (the table draws it, 10x faster), else a Paragraph."""
    if pdfmetrics.stringWidth(text, font, 9) <= width - 12:  # 6 pt padding each side
        return text
    return Paragraph(escape(text), st[style])


def _items_flowables(labels: dict, ctx: dict, st, width) -> list:
    """The item sections (``render.item_sections``) as headed tables; ``labels`` are their words."""
    loc, cur = ctx["locale"], ctx["currency"]
    widths = [width * 0.34, width * 0.22, width * 0.18, width * 0.26]
    out = []
    for section in item_sections(ctx):
        heading = labels[section["heading"]]
        if section["note"]:
            heading += f" ({labels[section['note']]})"
        head = (labels["document"], labels.get(section["when"], ""), labels.get(section["days"], ""),
                labels["balance"])
        rows = [[_fit(text, FONT_BOLD, w, st, style) for text, w, style in
                 zip(head, widths, ("headcell", "headcell", "headcellr", "headcellr"))]]
        cmds = [("FONT", (0, 0), (-1, -1), FONT, 9, 11), ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9, 11), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white)]
        for line in section["lines"]:
            amount = format_money(line["amount"], cur, loc)
            n = len(rows)
            if line["total"]:
                cmds.append(("FONT", (0, n), (-1, n), FONT_BOLD, 9, 11))
            if line["document"]:
                rows.append([_fit(line["document"], FONT, widths[0], st, "cell"),
                             format_date(line["when"], loc, "medium"), str(line["days"]), amount])
            else:
                cmds.append(("SPAN", (0, n), (2, n)))
                font, style = (FONT_BOLD, "cellb") if line["total"] else (FONT, "cell")
                rows.append([_fit(labels[line["label"]], font, sum(widths[:3]), st, style), "", "", amount])
        table = _table(rows, widths, st, total_rows=1)
        table.setStyle(TableStyle(cmds))
        out += [Paragraph(f"<b>{escape(heading)}</b>", st["cell"]), Spacer(1, 3), table, Spacer(1, 8)]
    return out


def _plan_table(el: ET.Element, ctx: dict, st, width) -> list:
    loc, cur = ctx["locale"], ctx["currency"]
    a = el.attrib
    rows = [[Paragraph(escape(a.get("number", "No.")), st["headcell"]),
             Paragraph(escape(a.get("due", "Due date")), st["headcell"]),
             Paragraph(escape(a.get("payment", "Amount")), st["headcellr"])]]
    for p in ctx["plan"]:
        rows.append([Paragraph(escape(str(p["number"])), st["cell"]),
                     Paragraph(escape(format_date(p["due_date"], loc, "medium")), st["cell"]),
                     Paragraph(escape(format_money(p["payment"], cur, loc)), st["cellr"])])
    rows.append([Paragraph(escape(a.get("total", "Total")), st["cellb"]), "",
                 Paragraph(escape(format_money(ctx["plan_total"], cur, loc)), st["cellbr"])])
    t = _table(rows, [width * 0.15, width * 0.45, width * 0.40], st, total_rows=1)
    out = []
    if a.get("heading"):
        out.append(Paragraph(f"<b>{escape(a['heading'])}</b>", st["body"]))
    out += [t, Spacer(1, 8)]
    return out


def _boxed(flowables, width, background=LIGHT, border=None):
    t = Table([[flowables]], colWidths=[width])
    cmds = [("BACKGROUND", (0, 0), (-1, -1), background),
            ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    if border:
        cmds.append(("BOX", (0, 0), (-1, -1), 0.5, border))
    else:
        cmds.append(("LINEBEFORE", (0, 0), (0, -1), 3, BLUE))
    t.setStyle(TableStyle(cmds))
    return t


def _letter_story(letter: _Letter, st, width, state) -> list:
    comm, settings = letter.comm, letter.settings
    ctx = build_context(comm, settings)
    try:
        root = ET.fromstring(letter.rendered.letter)
    except ET.ParseError as exc:
        raise ValueError(f"letter for {comm.customer_id} ({comm.template}): "
                         f"not well-formed letter markup: {exc}") from exc
    labels = root.attrib
    co = ctx["company"]
    loc = ctx["locale"]
    meta = {"reference": ctx["reference"], "registration": co["registration"],
            "page_label": labels.get("page-label", "Page"), "company": co["name"]}
    story: list = [_LetterStart(state, meta)]

    # letterhead: name left, contact details right
    contact = [escape(x) for x in co["address_lines"]]
    contact += [escape(x) for x in (co["phone"], co["email"], co["website"]) if x]
    head = Table([[Paragraph(escape(co["name"]), st["head"]),
                   Paragraph("<br/>".join(contact), st["contact"])]],
                 colWidths=[width * 0.55, width * 0.45])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBELOW", (0, 0), (-1, 0), 1, BLUE),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story += [head, Spacer(1, 7 * mm)]

    # address block (window position) and date / references
    return_line = " · ".join([co["name"]] + co["address_lines"][:2])
    recipient = [f'<font size="6.5" color="#555555">{escape(return_line)}</font>', ""]
    recipient.append(escape(ctx["customer"]))
    if ctx["contact_name"]:
        recipient.append(escape(ctx["contact_name"]))
    recipient += [escape(x) for x in ctx["address_lines"]]
    meta_rows = [
        (labels.get("date-label", "Date"), format_date(ctx["run_date"], loc, "long")),
        (labels.get("customer-label", "Customer no."), ctx["customer_id"]),
        (labels.get("ref-label", "Our reference"), ctx["reference"]),
    ]
    meta_par = Paragraph("<br/>".join(f"{escape(k)}: {escape(v)}" for k, v in meta_rows), st["meta"])
    addr = Table([[Paragraph("<br/>".join(recipient), st["address"]), meta_par]],
                 colWidths=[width * 0.58, width * 0.42], rowHeights=[33 * mm])
    addr.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [addr, Spacer(1, 4 * mm)]

    for el in root:
        tag = el.tag.lower()
        if tag == "subject":
            story.append(Paragraph(_inline(el), st["subject"]))
        elif tag == "p":
            markup = _inline(el).strip()
            if markup:
                story.append(Paragraph(markup, st["body"]))
        elif tag == "items":
            labels = {**item_labels(letter.rendered.language), **el.attrib}
            story += [Spacer(1, 2), *_items_flowables(labels, ctx, st, width), Spacer(1, 2)]
        elif tag == "plan":
            story += _plan_table(el, ctx, st, width)
        elif tag == "pay":
            parts = []
            if el.get("heading"):
                parts.append(Paragraph(f"<b>{escape(el.get('heading'))}</b>", st["cell"]))
            parts.append(Paragraph(_lines_markup("".join(el.itertext())), st["cell"]))
            story += [_boxed(parts, width), Spacer(1, 10)]
        elif tag == "signature":
            story += [CondPageBreak(28 * mm), Spacer(1, 2), Paragraph(_inline(el), st["body"])]
        elif tag == "notice":
            story += [Spacer(1, 6),
                      KeepTogether(_boxed([Paragraph(_inline(el), st["notice"])], width,
                                          background=colors.white, border=GREY))]
    return story


def _footer(state):
    def draw(canvas, doc):
        meta = state.get("meta") or {}
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(GREY)
        w, _ = A4
        y = 12 * mm
        if meta.get("registration"):
            canvas.drawString(20 * mm, y, meta["registration"][:150])
        page = canvas.getPageNumber() - state.get("start", 1) + 1
        canvas.drawRightString(w - 20 * mm, y, f"{meta.get('reference', '')} · "
                                               f"{meta.get('page_label', 'Page')} {page}")
        canvas.restoreState()
    return draw


def _build(letters: list[_Letter]) -> tuple[bytes, list[int]]:
    """The letters laid out in one PDF, each from a new page; and the page each letter starts on (1-based)."""
    st = _styles()
    state: dict = {}
    w, h = A4
    left, right, top, bottom = 20 * mm, 20 * mm, 15 * mm, 20 * mm
    frame = Frame(left, bottom, w - left - right, h - top - bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=A4, leftMargin=left, rightMargin=right, topMargin=top,
                          bottomMargin=bottom, title="Letters", author=letters[0].settings.company.name
                          if letters else "", creator="arcollect")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=_footer(state))])
    width = w - left - right
    story: list = []
    for n, letter in enumerate(letters):
        if n:
            story.append(PageBreak())
        story += _letter_story(letter, st, width, state)
    if not story:
        story = [Spacer(1, 1)]
    doc.build(story)
    return out.getvalue(), state.get("starts", [])


def letter_pdf(comm: Communication, rendered: Rendered, settings: Settings) -> bytes:
    """One letter as PDF bytes (A4)."""
    return _build([_Letter(comm, rendered, settings)])[0]


def _split(data: bytes, starts: list[int]) -> list[bytes]:
    """Each letter's pages of a batch PDF as a PDF of its own (1.7 ms a letter; laying it out again takes 13)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    out = []
    for start, end in zip(starts, starts[1:] + [len(reader.pages) + 1]):
        writer = PdfWriter()
        for page in range(start - 1, end - 1):
            writer.add_page(reader.pages[page])
        buf = io.BytesIO()
        writer.write(buf)
        out.append(buf.getvalue())
    return out


def letter_filename(comm: Communication) -> str:
    """The letter's file name, from the communication's key: 'C042_GBP_L2_2026-11-30.pdf'."""
    return safe_filename(*comm.key.parts, suffix=".pdf")


def _write_part(args) -> tuple[list[Path], bytes]:
    """Lay out part of a batch once: one file per letter, from its pages; and the part's PDF."""
    batch, folder, settings = args
    data, starts = _build([_Letter(comm, rendered, settings) for comm, rendered in batch])
    paths = []
    for (comm, _), pdf in zip(batch, _split(data, starts)):
        path = folder / letter_filename(comm)
        write_atomic(path, pdf)
        paths.append(path)
    return paths, data


def _merge(parts: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in parts:
        writer.append(PdfReader(io.BytesIO(data)))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _pool(workers: int):
    """A process pool, or None where processes cannot start (xlwings Lite runs in the browser)."""
    from concurrent.futures import ProcessPoolExecutor
    try:
        return ProcessPoolExecutor(max_workers=workers)
    except (NotImplementedError, OSError):
        return None


def write_letters(batch, folder, settings: Settings, *,
                  workers: int | None = None) -> tuple[list[Path], Path | None]:
    """One PDF per communication plus one combined PDF of the whole batch, to print.

    ``batch`` is a sequence of ``(Communication, Rendered)``. Returns the
    per-communication paths (in batch order) and the combined file's path (None
    for an empty batch). File names come from ``comm.key.parts`` (customer,
    currency, level, run date) with safe characters only. Each letter is laid
    out once: its own file holds the very pages of the print file. ``workers``:
    processes to lay out with, each a contiguous part of the batch; by default
    two on a multi-core machine from ``PARALLEL_FROM`` letters.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    batch = list(batch)
    if not batch:
        return [], None
    combined = folder / safe_filename("letters", batch[0][0].run_date.isoformat(), f"{len(batch)}",
                                      suffix=".pdf")
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(batch) >= PARALLEL_FROM else 1
    size = -(-len(batch) // max(1, workers))
    parts = [(batch[i:i + size], folder, settings) for i in range(0, len(batch), size)]
    pool = _pool(len(parts)) if len(parts) > 1 else None
    if pool is None:
        results = [_write_part(part) for part in parts]
    else:
        with pool:
            results = list(pool.map(_write_part, parts))
    write_atomic(combined, results[0][1] if len(results) == 1 else _merge([data for _, data in results]))
    return [path for paths, _ in results for path in paths], combined



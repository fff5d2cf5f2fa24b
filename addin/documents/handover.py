"""Handover pack for a collection agency or solicitor: ONE PDF.

Contents: creditor and debtor details, the claim (the overdue items with
fee, interest and total claimed; items not yet due and credits apart, each
subtotalled; the open balance of them all), the whole contact history (the
History rows passed in), then copies of what was sent: each email's headers
and text, and every page of each PDF letter. Documents are the paths History
logged (its Document column): absolute, or relative to ``base``, the
workbook's folder. Only ``.eml`` and ``.pdf`` are read; missing or unreadable
ones are listed in the pack rather than failing it. Merging pages uses pypdf.
"""
from __future__ import annotations

import io
from email import policy
from email.parser import BytesParser
from html import escape
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from addin.core.model import Communication, HistoryEntry
from addin.core.settings import Settings
from addin.files.atomic import atomic_writer

from addin.core.model import safe_filename

from .pdf import FONT, _items_flowables, _styles, _table
from .render import build_context, format_date, format_days, format_money, item_labels

HANDOVER_LANGUAGE = "en"  # the pack is for the agency or solicitor, not the customer


def handover_filename(comm: Communication) -> str:
    """The pack's file name, from the communication's key: 'C042_GBP_L5_2026-11-30_handover.pdf'."""
    return safe_filename(*comm.key.parts, "handover", suffix=".pdf")


def _resolve(document, base: Path | None) -> Path:
    path = Path(document)
    return path if path.is_absolute() or base is None else Path(base) / path


def _p(text, style):
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _email_copy(path: Path, st) -> list:
    with open(path, "rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    out = [Paragraph(f"<b>Email: {escape(path.name)}</b>", st["subject"])]
    rows = [[_p(h, st["cellb"]), _p(msg.get(h, ""), st["cell"])]
            for h in ("Date", "From", "To", "Subject", "Message-ID")]
    t = Table(rows, colWidths=[28 * mm, 142 * mm])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out.append(t)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        import re
        text = re.sub(r"<[^>]+>", " ", text)
    out.append(Spacer(1, 4))
    mono = ParagraphStyle("mono", parent=st["cell"], fontSize=8.5, leading=10.5)
    for para in text.strip().split("\n\n"):
        out.append(_p(para, mono))
        out.append(Spacer(1, 4))
    names = [part.get_filename() for part in msg.iter_attachments() if part.get_filename()]
    if names:
        out.append(_p("Attachments: " + ", ".join(names), st["small"]))
    return out


def handover_pack(comm: Communication, settings: Settings, history: list[HistoryEntry],
                  documents: list, path, *, base: Path | None = None) -> Path:
    """Write the handover pack for one communication to ``path`` and return it.

    ``documents`` are paths as History logs them: absolute, or relative to
    ``base`` (the workbook's folder), so the pack finds the letters it lists.
    """
    from pypdf import PdfReader, PdfWriter

    st = _styles()
    ctx = build_context(comm, settings)
    loc, cur = ctx["locale"], ctx["currency"]
    co = ctx["company"]
    width = A4[0] - 40 * mm
    story: list = [Paragraph(f"Handover pack - {escape(ctx['customer'])}", st["head"]),
                   Spacer(1, 3),
                   _p(f"Prepared {format_date(comm.run_date, loc, 'long')} by {co['name']} - "
                      f"reference {ctx['reference']}", st["small"]), Spacer(1, 8)]
    parties = Table([
        [Paragraph("<b>Creditor</b>", st["cell"]), Paragraph("<b>Debtor</b>", st["cell"])],
        [_p("\n".join([co["name"], *co["address_lines"], co["phone"], co["email"],
                       co["registration"]]).strip(), st["cell"]),
         _p("\n".join([ctx["customer"], f"Customer no. {ctx['customer_id']}",
                       ctx["contact_name"], *ctx["address_lines"], ctx["phone"], ctx["email"],
                       f"Type: {ctx['customer_type']}"]).strip(), st["cell"])],
    ], colWidths=[width / 2, width / 2])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [parties, Spacer(1, 8), Paragraph("Claim", st["subject"]),
              *_items_flowables(item_labels(HANDOVER_LANGUAGE), ctx, st, width)]
    summary = [("Total claimed: the overdue items, fees and interest", ctx["amount_payable"]),
               ("Open balance: every item above, overdue, not yet due and credits", ctx["balance"])]
    story += [_table([[_p(label, st["cell"]), Paragraph(escape(format_money(value, cur, loc)), st["cellr"])]
                      for label, value in summary], [width * 0.7, width * 0.3], st, header=False),
              Spacer(1, 4),
              _p(f"Oldest item {format_days(ctx['max_days_overdue'], HANDOVER_LANGUAGE)} overdue.", st["body"])]

    story.append(Paragraph("Contact history", st["subject"]))
    head = ["When (UTC)", "Lvl", "Channel", "Action", "Outcome", "Promise", "Document / message"]
    rows = [[Paragraph(f"<b>{h}</b>", st["headcell"]) for h in head]]
    for h in history:
        promise = ""
        if h.promise_date or h.promise_amount is not None:
            promise = " ".join(x for x in (format_date(h.promise_date, loc, "medium"),
                                           format_money(h.promise_amount, cur, loc)) if x)
        rows.append([_p(h.timestamp, st["cell"]), _p("" if h.level is None else h.level, st["cell"]),
                     _p(h.channel, st["cell"]), _p(h.action, st["cell"]),
                     _p(h.outcome, st["cell"]), _p(promise, st["cell"]),
                     _p("\n".join(x for x in (Path(h.document).name if h.document else "",
                                              h.message_id) if x), st["cell"])])
    if len(rows) == 1:
        rows.append([_p("no contact recorded", st["cell"])] + [""] * 6)
    story.append(_table(rows, [w * width for w in (0.15, 0.07, 0.12, 0.13, 0.17, 0.12, 0.24)], st))

    pdfs: list[Path] = []
    missing: list[str] = []
    emails: list = []
    for d in documents or ():
        p = _resolve(d, base)
        suffix = p.suffix.lower()
        if suffix not in (".eml", ".pdf"):
            missing.append(f"{p.name}: not an .eml or .pdf file, not included")
        elif not p.is_file():
            missing.append(f"{p.name}: file not found")
        elif suffix == ".pdf":
            pdfs.append(p)
        else:
            try:
                emails += [PageBreak()] + _email_copy(p, st)
            except (OSError, ValueError, LookupError) as exc:
                missing.append(f"{p.name}: could not be read ({type(exc).__name__})")
    story += [Spacer(1, 8), Paragraph("Copies of what was sent", st["subject"]),
              _p(f"{sum(isinstance(d, PageBreak) for d in emails)} email(s) follow, then {len(pdfs)} letter(s) as printed.", st["body"])]
    for m in missing:
        story.append(_p(m, st["small"]))
    story += emails

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=15 * mm, bottomMargin=18 * mm,
                            title=f"Handover pack {ctx['customer_id']}", creator="arcollect")

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm,
                               f"Handover pack {ctx['reference']} - page {canvas.getPageNumber()}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(buf.getvalue())))
    for p in pdfs:
        try:
            writer.append(PdfReader(str(p)))
        except Exception as exc:  # a damaged PDF must not lose the whole pack
            writer.add_blank_page(width=A4[0], height=A4[1])
            missing.append(f"{p.name}: could not be read ({type(exc).__name__})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as fh:
        writer.write(fh)
    return path

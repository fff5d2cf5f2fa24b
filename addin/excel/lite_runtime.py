"""What the generated xlwings Lite main.py calls: a ribbon button, run on the book Lite hands over.

Lite has no forms, so Log contact reads its fields from a small "Log contact"
sheet, made with its labels on the first run and emptied once the contact is
logged.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from . import ribbon

LOG_SHEET = "Log contact"
LOG_LABELS = (("customer", "Customer (id or name)"), ("outcome", "Outcome: " + ", ".join(ribbon.actions.OUTCOMES)),
              ("when", "Date (promise)"), ("amount", "Amount"), ("note", "Note"))


def click(book, button: str) -> ribbon.Done:
    """Run ``button``'s use case on ``book`` as the desktop ribbon does."""
    fields = {}
    if button == "arLogContact":
        fields = _log_fields(book)
        if fields is None:
            return ribbon.Done(f'Fill in the "{LOG_SHEET}" sheet, then run log_contact again.')
    done = ribbon.run_button(book, button, fields, today=date.today(), now=datetime.now(timezone.utc))
    if button == "arLogContact" and done.message.startswith("Logged "):
        book.sheets[LOG_SHEET].range((1, 2), (len(LOG_LABELS), 2)).clear_contents()
    return done


def _log_fields(book) -> dict | None:
    """The fields typed on the Log contact sheet; None (and the sheet made) when there is none yet."""
    sheet = next((s for s in book.sheets if s.name == LOG_SHEET), None)
    if sheet is None:
        sheet = book.sheets.add(LOG_SHEET, after=book.sheets[len(book.sheets) - 1])
        sheet.range((1, 1)).value = [[label, None] for _, label in LOG_LABELS]
        book.app.alert(f'Type the contact in column B of the "{LOG_SHEET}" sheet, then run log_contact again.',
                       title=ribbon.TITLE)
        return None
    values = sheet.range((1, 2), (len(LOG_LABELS), 2)).options(ndim=2).value
    return {key: "" if row[0] is None else _text(row[0]) for (key, _), row in zip(LOG_LABELS, values)}


def _text(v) -> str:
    """A typed value as the form would have sent it (a date cell as ISO text, 250.0 as 250)."""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()

"""History: the append-only contact log, as rows for the lossless writer.

Rows are only ever appended; text from customer data is written as text (the
writer never turns a string into a formula).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from ..core.model import HISTORY_COLUMNS, Communication, HistoryEntry
from .xlsx_xml import Column

_FORMATS = {"Promise Date": "date", "Promise Amount": "money", "Amount Due": "money", "Level": "int"}
_WIDTHS = {"Timestamp (UTC)": 21, "Customer": 28, "Invoices": 30, "Outcome": 30, "Document": 50,
           "Message ID": 40}
HISTORY_SPEC = [Column(h, _WIDTHS.get(h, 13), _FORMATS.get(h, "general")) for h in HISTORY_COLUMNS]


def stamp(now: datetime) -> str:
    """ISO 8601 UTC timestamp, to the second."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def history_row(e: HistoryEntry) -> list:
    return [e.timestamp, e.run_id, e.customer_id, e.customer, e.currency, e.invoices, e.level, e.channel, e.template,
            e.action, e.outcome, e.promise_date, e.promise_amount, e.amount_due, e.user, e.document,
            e.message_id]


def contact_entry(comm: Communication, *, action: str, channel: str, now: datetime, run_id: str, user: str,
                  document: str = "", message_id: str = "", outcome: str = "") -> HistoryEntry:
    """The History row for something done for a communication (drafted, sent, failed...)."""
    return HistoryEntry(timestamp=stamp(now), run_id=run_id, customer_id=comm.customer_id,
                        customer=comm.customer, currency=comm.currency, invoices=", ".join(i.document for i in comm.overdue_items
                                                                     or comm.items),
                        level=comm.level, channel=channel, template=comm.template, action=action,
                        outcome=outcome, amount_due=comm.total_due, user=user, document=document,
                        message_id=message_id)


def logged_message_ids(history: pd.DataFrame, action: str) -> set[str]:
    """Message ids with a History row of this action ("drafted", "sent")."""
    if history.empty:
        return set()
    rows = history.loc[(history["action"] == action) & (history["message_id"] != "")]
    return set(rows["message_id"])


def append_history(pkg, entries: list[HistoryEntry]) -> None:
    if entries:
        pkg.append_rows("History", HISTORY_SPEC, [history_row(e) for e in entries])

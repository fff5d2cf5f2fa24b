"""Plain records shared by every layer.

Each record that comes from the workbook carries the cell it came from
(``"Receivables!D14"``) so any problem can be reported where the user sees it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

CHANNELS = ("email", "letter", "phone", "sms")
STATUSES = ("open", "disputed", "promise", "plan", "legal", "closed")
HISTORY_ACTIONS = (
    "drafted", "sent", "withdrawn", "printed", "called", "promise", "dispute", "plan",
    "note", "failed", "paid", "cease",
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
QUOTE_LIMIT = 80  # characters of a cell value shown in a message


def _escape(m: re.Match) -> str:
    c = m.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")


def quote(value) -> str:
    """A value from a cell as it appears in a message: in quotes, control characters escaped, shortened.

    Customer-provided text is data: a name holding CR/LF can never start a
    second ``BOOK:Sheet!A1:`` line of its own.
    """
    text = str(value if value is not None else "")
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT - 1] + "…"
    return '"' + _CONTROL.sub(_escape, text.replace('"', "'")) + '"'


@dataclass(frozen=True)
class Problem:
    """An input error, addressed by cell: rendered as ``Sheet!A1: message``, always on one line."""

    cell: str
    message: str

    def __str__(self) -> str:
        message = _CONTROL.sub(_escape, self.message)
        return f"{self.cell}: {message}" if self.cell else message


@dataclass(frozen=True)
class Level:
    """One rung of the dunning ladder (a Policy row)."""

    level: int
    name: str
    days_from: int  # days past due from which this level applies (negative = before due)
    min_days_since_contact: int = 0
    channels: tuple[str, ...] = ("email",)
    template: str = "reminder"
    fee: Decimal = Decimal("0")
    final: bool = False  # hand over to agency/legal: no further automatic contact
    cell: str = ""


@dataclass(frozen=True)
class Company:
    """Letterhead details from Settings: who the message is from and how to pay."""

    name: str = "Your Company Ltd"
    address: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    payment_instructions: str = ""
    signatory: str = ""
    registration: str = ""


@dataclass(frozen=True)
class OpenItem:
    """One open item as it appears in a reminder: the balance, never the original amount."""

    document: str
    due_date: date | None
    days_past_due: int
    balance: Decimal
    currency: str
    invoice_date: date | None = None
    amount: Decimal | None = None
    cell: str = ""


def safe_filename(*parts, suffix: str) -> str:
    """A file name from customer id, level, date...: only [A-Za-z0-9._-], never a path.

    When characters had to be replaced, a short hash of the original keeps names
    of different customers apart ("a/b" and "a_b").
    """
    raw = "_".join(str(p) for p in parts)
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", raw).strip("._") or "x"
    safe = safe[:80]
    if safe != raw:
        safe += "-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8]
    return safe + suffix


@dataclass(frozen=True)
class CommKey:
    """The identity of one communication: customer, currency, level and run date (and its kind, for a
    message that is not a rung of the ladder).

    The Message-ID, every file name, the approval key and the History key derive
    from it, so a customer who owes in two currencies gets two communications
    that never overwrite or shadow each other, and a statement of account never
    shadows a reminder drafted for the same day.
    """

    customer_id: str
    currency: str
    level: int
    run_date: date
    kind: str = ""  # "" for the ladder's messages; "statement" for a statement of account

    @property
    def parts(self) -> tuple[str, ...]:
        """The pieces a file name is made of: ('C042', 'GBP', 'L2', '2026-11-30'), then the kind if any."""
        return (self.customer_id, self.currency, f"L{self.level}", self.run_date.isoformat()) + (
            (self.kind,) if self.kind else ())

    @property
    def approval(self) -> tuple[str, str, int]:
        """What an Approve tick on the Actions sheet is keyed by (survives a re-run the same day)."""
        return (self.customer_id, self.currency, self.level)


@dataclass(frozen=True)
class Communication:
    """One message to one customer in one currency at one level on one run date.

    Deciding builds these; documents render them; mail sends them; History logs them.
    """

    run_date: date
    customer_id: str  # the workbook's key for the customer: its id, else its folded name
    customer: str
    level: int
    level_name: str
    channels: tuple[str, ...]
    template: str
    currency: str
    items: tuple[OpenItem, ...]
    total_due: Decimal
    pay_by: date
    customer_number: str = ""  # the id the clerk and the customer know ("" when the book has none)
    contact_name: str = ""
    email: str = ""
    email_cell: str = ""
    phone: str = ""
    address: str = ""
    language: str = "en"
    locale: str = "en_GB"
    time_zone: str = ""
    customer_type: str = "business"
    fee: Decimal = Decimal("0")
    interest: Decimal = Decimal("0")
    final: bool = False
    next_step: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    kind: str = ""  # not a rung of the ladder: "statement" (its History rows carry no level)

    @property
    def key(self) -> CommKey:
        return CommKey(self.customer_id, self.currency, self.level, self.run_date, self.kind)

    @property
    def overdue_items(self) -> tuple[OpenItem, ...]:
        return tuple(i for i in self.items if i.days_past_due > 0)

    @property
    def not_due_items(self) -> tuple[OpenItem, ...]:
        """Open items not yet past due (listed apart from the overdue ones, never in their total)."""
        return tuple(i for i in self.items if i.days_past_due <= 0)

    @property
    def overdue_total(self) -> Decimal:
        return sum((i.balance for i in self.overdue_items), Decimal("0"))

    @property
    def not_due_total(self) -> Decimal:
        return sum((i.balance for i in self.not_due_items), Decimal("0"))

    @property
    def balance(self) -> Decimal:
        """The open balance in this currency: every listed item, overdue or not."""
        return sum((i.balance for i in self.items), Decimal("0"))


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the append-only History sheet (its columns: HISTORY_COLUMNS)."""

    timestamp: str  # ISO 8601 UTC
    run_id: str
    customer_id: str
    customer: str
    currency: str = ""
    invoices: str = ""
    level: int | None = None
    channel: str = ""
    template: str = ""
    action: str = "note"
    outcome: str = ""
    promise_date: date | None = None
    promise_amount: Decimal | None = None
    amount_due: Decimal | None = None
    user: str = ""
    document: str = ""
    message_id: str = ""
    cell: str = ""


HISTORY_COLUMNS = (
    "Timestamp (UTC)", "Run ID", "Customer ID", "Customer", "Currency", "Invoices", "Level",
    "Channel", "Template", "Action", "Outcome", "Promise Date", "Promise Amount",
    "Amount Due", "User", "Document", "Message ID",
)

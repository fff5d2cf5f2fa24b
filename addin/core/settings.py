"""The Settings sheet as a typed record, with the template's defaults.

The reader hands over raw key/value pairs with their cells; parsing here is
pure and returns problems as values, so a bad setting names its cell and the
default is used instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal

from .model import Company, Problem, quote
from .parse import DEFAULT, Conventions, parse_amount, parse_date, parse_flag, parse_rate, parse_whole

DEFAULT_EDGES = (0, 30, 60, 90)  # Current (<= 0), 1-30, 31-60, 61-90, 91+


@dataclass(frozen=True)
class Settings:
    as_of: date | None = None  # None = today, decided by the caller at the edge
    basis: str = "due"  # "due" or "invoice"
    edges: tuple[int, ...] = DEFAULT_EDGES
    locale: str = "en_GB"
    conventions: Conventions = DEFAULT  # how this book writes numbers and dates (from the locale)
    currency: str = "GBP"
    tolerance: Decimal = Decimal("5.00")
    mode: str = "draft"  # "draft" or "send"
    escalate_one_level: bool = True
    pay_within_days: int = 14  # reminders ask for payment by run date + this
    regulation: str = "none"  # "none" or "regF"
    interest_rule: str = "none"  # none | simple | uk-1998 | eu-2011-7
    interest_rate: Decimal | None = None
    company: Company = field(default_factory=Company)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # none | starttls | ssl
    smtp_user: str = ""
    mail_from: str = ""
    outbox: str = ""  # folder for drafts; blank = "<book name> outbox" beside the workbook
    user: str = ""
    plan_formulas: bool = False  # write Plan Schedule as live Excel formulas instead of values
    paid_grace_days: int = 5  # a 'paid' logged in History holds that amount this long for the ledger to catch up
    template_dir: str = ""  # folder of edited templates (arcollect templates export); blank = packaged
    loss_rates: str = ""  # close: percent per bucket, Current first, read against the bucket edges by the close
    credit_sales: Decimal | None = None  # close: the period's credit sales; None = the invoices dated in the period
    column_map: dict = field(default_factory=dict)  # canonical field -> header in the sheet
    cells: dict = field(default_factory=dict, compare=False)  # attribute -> the Settings cell it came from


def norm_key(text) -> str:
    """Header/key normal form: case-, spacing- and punctuation-insensitive."""
    return re.sub(r"[^a-z0-9#]", "", str(text).lower())


# Settings-sheet key (normalised) -> (attribute, parser taking (value, conventions), what is expected)
def _text(v, conv=None):
    return str(v).strip()


def _date(v, conv):
    return parse_date(v, conv)


def _whole(lo, hi):
    return lambda v, conv: parse_whole(v, conv, minimum=lo, maximum=hi)


def _amount(v, conv):
    d = parse_amount(v, conv)
    if d < 0:
        raise ValueError(v)
    return d


def _rate(v, conv):
    return parse_rate(v, conv)


def _bool(v, conv=None):
    return parse_flag(v)


def _edges(v, conv=None):
    parts = [p for p in re.split(r"[;,\s]+", str(v).strip()) if p]
    edges = tuple(parse_whole(p, minimum=0, maximum=36500) for p in parts)
    if not edges or list(edges) != sorted(set(edges)) or edges[0] < 0:
        raise ValueError
    return edges


def _choice(*options):
    def parse(v, conv=None):
        s = str(v).strip()
        for o in options:
            if s.lower() == o.lower() or norm_key(s) == norm_key(o):
                return o
        raise ValueError
    return parse


_BASIS = {"due": "due", "duedate": "due", "invoice": "invoice", "invoicedate": "invoice"}


def _basis(v, conv=None):
    return _BASIS[norm_key(v)]


SETTING_KEYS = {
    "asofdate": ("as_of", _date, "a date like 2026-11-30 (blank = today)"),
    "asof": ("as_of", _date, "a date like 2026-11-30 (blank = today)"),
    "paidgracedays": ("paid_grace_days", _whole(0, 365), "a whole number of days"),
    "templatesfolder": ("template_dir", _text, "a folder"),
    "templates": ("template_dir", _text, "a folder"),
    "agingbasis": ("basis", _basis, "'due date' or 'invoice date'"),
    "bucketedges": ("edges", _edges, "ascending day counts like 0, 30, 60, 90"),
    "currency": ("currency", lambda v, conv=None: _iso(v), "a 3-letter ISO currency code like GBP"),
    "tolerance": ("tolerance", _amount, "an amount of 0 or more"),
    "mode": ("mode", _choice("draft", "send"), "'draft' or 'send'"),
    "escalateonelevelperrun": ("escalate_one_level", _bool, "yes or no"),
    "paywithindays": ("pay_within_days", _whole(0, 3650), "a whole number of days"),
    "regulationprofile": ("regulation", _choice("none", "regF"), "'none' or 'regF'"),
    "regulation": ("regulation", _choice("none", "regF"), "'none' or 'regF'"),
    "lateinterestrule": ("interest_rule", _choice("none", "simple", "uk-1998", "eu-2011-7"),
                         "none, simple, uk-1998 or eu-2011-7"),
    "lateinterestrate": ("interest_rate", _rate, "an annual rate like 0.08 or 8%"),
    "smtphost": ("smtp_host", _text, "a host name"),
    "smtpport": ("smtp_port", _whole(1, 65535), "a port number from 1 to 65535"),
    "smtptls": ("smtp_tls", _choice("none", "starttls", "ssl"), "none, starttls or ssl"),
    "smtpuser": ("smtp_user", _text, "a user name"),
    "from": ("mail_from", _text, "an email address"),
    "smtpfrom": ("mail_from", _text, "an email address"),
    "outbox": ("outbox", _text, "a folder"),
    "outboxfolder": ("outbox", _text, "a folder"),
    "user": ("user", _text, "a name"),
    "planscheduleasformulas": ("plan_formulas", _bool, "yes or no"),
    "lossrates": ("loss_rates", _text, "percentages per bucket like 0.3, 1.6, 3.6, 6.6, 10.6"),
    "creditsales": ("credit_sales", _amount, "an amount of 0 or more"),
}
COMPANY_KEYS = {
    "companyname": "name", "companyaddress": "address", "companyemail": "email",
    "companyphone": "phone", "companywebsite": "website",
    "paymentinstructions": "payment_instructions", "howtopay": "payment_instructions",
    "signatory": "signatory", "companyregistration": "registration",
}
COLUMN_PREFIX = "column"  # "Column: due date" = "Net Due" maps a header


def _iso(v) -> str:
    code = str(v).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(v)
    return code


LOCALE_KEY = "locale"


def parse_settings(raw: dict[str, tuple[object, str]],
                   conventions: Conventions = DEFAULT) -> tuple[Settings, list[Problem]]:
    """Settings from {key: (value, cell)}, read with the book's conventions; bad values reported.

    The Locale setting itself is resolved at the edge (it needs the CLDR data)
    and arrives as ``conventions``; unknown keys are ignored.
    """
    values: dict = {}
    company: dict = {}
    columns: dict = {}
    problems: list[Problem] = []
    cells: dict[str, str] = {}
    for key, (value, cell) in raw.items():
        k = norm_key(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if k.startswith(COLUMN_PREFIX) and len(k) > len(COLUMN_PREFIX):
            columns[k[len(COLUMN_PREFIX):]] = str(value).strip()
        elif k in COMPANY_KEYS:
            company[COMPANY_KEYS[k]] = str(value).strip()
        elif k in SETTING_KEYS:
            attr, parse, expected = SETTING_KEYS[k]
            cells[attr] = cell
            try:
                values[attr] = parse(value, conventions)
            except (ValueError, KeyError, TypeError, ArithmeticError):
                problems.append(Problem(cell, f"{key} {quote(value)} is not {expected}; the default is used"))
        elif "password" in k:
            problems.append(Problem(cell, "a password does not belong in the workbook; "
                                          "use ARCOLLECT_SMTP_PASSWORD or the keyring"))
    settings = Settings(**values, locale=conventions.locale, conventions=conventions, cells=cells)
    if company:
        settings = replace(settings, company=replace(settings.company, **company))
    if columns:
        settings = replace(settings, column_map=columns)
    return settings, problems


def setting_names() -> list[str]:
    """Attribute names, for documentation and tests."""
    return [f.name for f in fields(Settings)]

"""The Settings sheet as a typed record, with the template's defaults.

The reader hands over raw key/value pairs with their cells; parsing here is
pure and returns problems as values, so a bad setting names its cell and the
default is used instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal

from .model import Company, Problem
from .money import to_decimal

DEFAULT_EDGES = (0, 30, 60, 90)  # Current (<= 0), 1-30, 31-60, 61-90, 91+


@dataclass(frozen=True)
class Settings:
    as_of: date | None = None  # None = today, decided by the caller at the edge
    basis: str = "due"  # "due" or "invoice"
    edges: tuple[int, ...] = DEFAULT_EDGES
    locale: str = "en_GB"
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
    column_map: dict = field(default_factory=dict)  # canonical field -> header in the sheet


def norm_key(text) -> str:
    """Header/key normal form: case-, spacing- and punctuation-insensitive."""
    return re.sub(r"[^a-z0-9#]", "", str(text).lower())


# Settings-sheet key (normalised) -> (attribute, parser)
def _text(v):
    return str(v).strip()


def _date(v):
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v).strip()[:10])


def _int(v):
    d = to_decimal(v if not isinstance(v, str) else v.strip())
    if d != d.to_integral_value():
        raise ValueError
    return int(d)


def _decimal(v):
    return to_decimal(v if not isinstance(v, str) else v.strip().replace(",", ""))


def _bool(v):
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "y", "on", "x"):
        return True
    if s in ("0", "false", "no", "n", "off", ""):
        return False
    raise ValueError


def _edges(v):
    parts = [p for p in re.split(r"[;,\s]+", str(v).strip()) if p]
    edges = tuple(_int(p) for p in parts)
    if not edges or list(edges) != sorted(set(edges)) or edges[0] < 0:
        raise ValueError
    return edges


def _choice(*options):
    def parse(v):
        s = str(v).strip()
        for o in options:
            if s.lower() == o.lower() or norm_key(s) == norm_key(o):
                return o
        raise ValueError
    return parse


_BASIS = {"due": "due", "duedate": "due", "invoice": "invoice", "invoicedate": "invoice"}


def _basis(v):
    return _BASIS[norm_key(v)]


SETTING_KEYS = {
    "asofdate": ("as_of", _date, "a date like 2026-11-30 (blank = today)"),
    "asof": ("as_of", _date, "a date like 2026-11-30 (blank = today)"),
    "agingbasis": ("basis", _basis, "'due date' or 'invoice date'"),
    "bucketedges": ("edges", _edges, "ascending day counts like 0, 30, 60, 90"),
    "locale": ("locale", _text, "a locale like en_GB"),
    "currency": ("currency", lambda v: _text(v).upper(), "an ISO currency code"),
    "tolerance": ("tolerance", _decimal, "an amount"),
    "mode": ("mode", _choice("draft", "send"), "'draft' or 'send'"),
    "escalateonelevelperrun": ("escalate_one_level", _bool, "yes or no"),
    "paywithindays": ("pay_within_days", _int, "a whole number of days"),
    "regulationprofile": ("regulation", _choice("none", "regF"), "'none' or 'regF'"),
    "regulation": ("regulation", _choice("none", "regF"), "'none' or 'regF'"),
    "lateinterestrule": ("interest_rule", _choice("none", "simple", "uk-1998", "eu-2011-7"),
                         "none, simple, uk-1998 or eu-2011-7"),
    "lateinterestrate": ("interest_rate", _decimal, "an annual rate like 0.08"),
    "smtphost": ("smtp_host", _text, "a host name"),
    "smtpport": ("smtp_port", _int, "a port number"),
    "smtptls": ("smtp_tls", _choice("none", "starttls", "ssl"), "none, starttls or ssl"),
    "smtpuser": ("smtp_user", _text, "a user name"),
    "from": ("mail_from", _text, "an email address"),
    "smtpfrom": ("mail_from", _text, "an email address"),
    "outbox": ("outbox", _text, "a folder"),
    "outboxfolder": ("outbox", _text, "a folder"),
    "user": ("user", _text, "a name"),
    "planscheduleasformulas": ("plan_formulas", _bool, "yes or no"),
}
COMPANY_KEYS = {
    "companyname": "name", "companyaddress": "address", "companyemail": "email",
    "companyphone": "phone", "companywebsite": "website",
    "paymentinstructions": "payment_instructions", "howtopay": "payment_instructions",
    "signatory": "signatory", "companyregistration": "registration",
}
COLUMN_PREFIX = "column"  # "Column: due date" = "Net Due" maps a header


def parse_settings(raw: dict[str, tuple[object, str]]) -> tuple[Settings, list[Problem]]:
    """Settings from {key: (value, cell)}; unknown keys are ignored, bad values reported."""
    values: dict = {}
    company: dict = {}
    columns: dict = {}
    problems: list[Problem] = []
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
            try:
                values[attr] = parse(value)
            except (ValueError, KeyError, TypeError, ArithmeticError):
                problems.append(Problem(cell, f"{key} {value!r} is not {expected}; "
                                              f"the default is used"))
        elif "password" in k:
            problems.append(Problem(cell, "a password does not belong in the workbook; "
                                          "use ARCOLLECT_SMTP_PASSWORD or the keyring"))
    settings = Settings(**values)
    if company:
        settings = replace(settings, company=replace(settings.company, **company))
    if columns:
        settings = replace(settings, column_map=columns)
    return settings, problems


def setting_names() -> list[str]:
    """Attribute names, for documentation and tests."""
    return [f.name for f in fields(Settings)]

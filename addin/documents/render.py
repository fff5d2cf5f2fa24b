"""Render a Communication through the jinja2 templates in ``letters/``.

Templates live in ``letters/<language>/`` (``letters/en``, ``letters/de``); for
each template name (the Policy's *template*, e.g. ``reminder``) there are four
files::

    reminder.subject.j2   one line, the email subject
    reminder.txt.j2       the plain-text email body
    reminder.html.j2      the HTML email body (autoescaped)
    reminder.letter.j2    the printable letter (autoescaped; see "letter format")

A language folder is chosen from ``comm.language`` ("de", "de-AT" -> "de"),
else ``en``; a file missing in that folder is taken from ``en``. Files starting
with ``_`` are shared parts: ``_base.*`` the layouts, ``_items.*`` the item
sections (language-neutral, in ``en`` only), ``_labels.j2`` their words (one
per language), ``_due_dates.j2`` when the not-yet-due items fall due.

Safety: templates run in jinja2's ``SandboxedEnvironment`` (a user-edited
template cannot reach ``''.__class__`` and friends) with ``StrictUndefined``
(a misspelt variable is an error, never a silent blank), and HTML and letter
templates are autoescaped (``select_autoescape``). Values from cells are data:
a customer called ``{{ 7*7 }}`` is printed as such, ``<script>`` is escaped.
What a template may cost is bounded (``limits.py`` says what is and is not):
per communication at most 1,000,000 steps (loop iterations, calls, filters,
outputs) and 5 s, no value or part over 2,000,000 characters, 10,000,000
characters built in all; a template file at most 100,000 bytes. A template
that exceeds a limit is a problem naming it, and nothing in the batch is
drafted from it.

Template variables (``build_context`` is the one place that defines them)
-------------------------------------------------------------------------

==================  =========================================================
variable            meaning
==================  =========================================================
company             who the message is from: ``name``, ``address``,
                    ``address_lines`` (list), ``email``, ``phone``,
                    ``website``, ``payment_instructions``,
                    ``payment_lines`` (list), ``signatory``, ``registration``
customer            customer name
customer_id         the customer's key (the id, else the folded name)
customer_number     the customer id the clerk and the customer know ("" when
                    the workbook has none and the key is the folded name)
contact_name        contact person ("" if none)
greeting_name       contact_name, else the customer name
email, phone        the customer's email / phone ("" if none)
address             postal address as one string; ``address_lines`` (list)
customer_type       "business" or "consumer"
level, level_name   dunning level number and name (Policy)
template            template name (e.g. "reminder")
channels            list of channels ("email", "letter", "phone", "sms")
final               True at the final (handover) level
next_step           what happens next if not paid (Policy text, may be "")
items               every open item in this message, each with ``document``,
                    ``due_date``, ``invoice_date``, ``days_past_due``,
                    ``days_overdue`` (never negative), ``balance``,
                    ``amount`` (original, or None), ``currency``
overdue_items       items past due with a balance owed; ``overdue_total``
not_due_items       items not yet due; ``not_due_total``; ``due_dates``: their
                    distinct due dates, earliest first
credit_items        credits (negative balances); ``credit_total`` (negative).
                    Never deducted from what is asked for: listed apart
item_count          len(items)
max_days_overdue    the largest days_overdue among the overdue items (0 if none)
currency            ISO code of the amounts
total_due           overdue_total: what is owed now, before charges (Decimal)
fee                 dunning fee charged at this level (Decimal, 0 if none)
interest            late interest claimed (Decimal, 0 if none)
charges             fee + interest
amount_payable      total_due + fee + interest: the amount asked for
balance             the open balance: overdue + not yet due + credits
pay_by              the date to pay by (date)
run_date            the date of the run: the letter date (date)
reference           stable reference "C042-GBP-L2-20261130"
language, locale    template language folder used, babel locale ("de_DE")
time_zone           customer's IANA time zone ("" if unknown)
regulation          "none" or "regF"
regf                True when the regF (US consumer debt) profile applies
promise_date        promised payment date (date or None) - promise_confirmation
promise_amount      promised amount (Decimal or None)
plan                list of installments ``number``, ``due_date``,
                    ``payment`` (empty if none) - plan_confirmation
plan_total          sum of the plan's payments (Decimal or None)
extra               anything else the engine put in ``comm.extra`` (dict)
==================  =========================================================

Filters: ``money`` (``{{ total_due|money }}`` -> "£1,234.56" / "1.234,56 €"
by the customer's locale; ``money("USD")`` names another currency), ``date``
(``{{ pay_by|date }}`` -> "30 November 2026" / "30. November 2026";
``date("short")``, ``date("medium")``), ``number``, ``days`` (``{{ 1|days }}``
-> "1 day" / "1 Tag": CLDR plural rules, the one way to count days).

Letter format
-------------
A ``.letter.j2`` template renders a small XML document that ``pdf.py`` lays
out on A4 under the letterhead and address block::

    <letter date-label="Date" ref-label="Our reference" page-label="Page">
      <subject>Payment reminder</subject>
      <p>Paragraph text, may hold <b>bold</b>, <i>italic</i>, <br/>.</p>
      <items document="Document" due="Due date" days="Days overdue"
             balance="Balance" overdue="Overdue" subtotal="Overdue invoices"
             fee="Late-payment fee" interest="Late-payment interest"
             total="Total due" not-due="Not yet due (not included in the total due)"
             not-due-total="Total not yet due" credits="Credits in your favour (not deducted)"
             credit-total="Total credits"/>
      <pay heading="How to pay">payment instructions</pay>
      <signature>Yours sincerely<br/>Name<br/>Company</signature>
      <notice>small boxed notice (e.g. the regF disclosure)</notice>
    </letter>

``items`` lays out the sections (overdue, not yet due, credits), each with its
subtotal, from the template variables; its attributes are the labels.
Because the template is autoescaped, a value from a cell can never add an
element of its own.
"""
from __future__ import annotations

import re
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import babel
import babel.dates
import babel.numbers
import babel.units
import jinja2
from jinja2 import StrictUndefined, pass_context, select_autoescape
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from addin.core.model import Communication, Problem
from addin.core.settings import Settings

from addin.documents.limits import BoundedEnvironment, BoundedLoader, TemplateLimit, bounded, short
from addin.documents.sources import letters_dir
DEFAULT_TEMPLATE_DIR = letters_dir()  # the shipped templates; Settings' folder comes in as template_dir
DEFAULT_LANGUAGE = "en"
PARTS = {"subject": "subject.j2", "text": "txt.j2", "html": "html.j2", "letter": "letter.j2"}
TEMPLATES = ("courtesy", "reminder", "second_notice", "final_demand", "handover",
             "promise_confirmation", "plan_confirmation", "thank_you")


@dataclass(frozen=True)
class Rendered:
    """A Communication rendered: email subject, text and HTML bodies, letter markup."""

    subject: str
    text: str
    html: str
    letter: str
    language: str = DEFAULT_LANGUAGE
    template: str = ""


class TemplateProblem(Exception):
    """A template could not be rendered; ``str()`` names the template file and the cause."""


# --------------------------------------------------------------------------- filters

@lru_cache(maxsize=256)
def _locale(name: str) -> babel.Locale:
    try:
        return babel.Locale.parse((name or "en_GB").replace("-", "_"))
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return babel.Locale.parse("en_GB")


@lru_cache(maxsize=65536)  # an email states its total up to five times; babel takes 80 µs each
def format_money(value, currency: str, locale: str) -> str:
    """An amount by the customer's locale: "£1,234.56", "1.234,56 €" ("" for None)."""
    if value is None or value == "":
        return ""
    return babel.numbers.format_currency(Decimal(value), currency or "EUR", locale=_locale(locale))


@lru_cache(maxsize=65536)  # a batch has few distinct dates: due dates, pay-by, run date
def format_date(value, locale: str, format: str = "long") -> str:
    """A date by the customer's locale: "30 November 2026", "30. November 2026"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return babel.dates.format_date(value, format=format, locale=_locale(locale))


@lru_cache(maxsize=4096)
def format_days(count: int, locale: str) -> str:
    """A number of days by the locale's plural rules: "1 day", "5 days", "1 Tag", "5 Tage"."""
    return babel.units.format_unit(int(count), "duration-day", length="long", locale=_locale(locale))


# The filters' arguments come from templates: each is made small before it keys a cache
# that outlives the communication (``limits.short``).

@short
@pass_context
def _money(ctx, value, currency: str | None = None) -> str:
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", str(currency)):
        raise ValueError(f"money: {str(currency)[:20]!r} is not a currency code")
    if type(value) is not Decimal and value is not None and value != "":  # a Decimal has 28 digits at most
        value = +Decimal(value)
    return format_money(value, currency or ctx.get("currency") or "EUR", ctx.get("locale", ""))


@short
@pass_context
def _date(ctx, value, format: str = "long") -> str:
    if len(format) > 64:
        raise ValueError("date: a format of more than 64 characters")
    return format_date(value, ctx.get("locale", ""), format)


@short
@pass_context
def _days(ctx, value) -> str:
    return format_days(int(value), ctx.get("locale", ""))


@pass_context
def _number(ctx, value) -> str:
    if value is None or value == "":
        return ""
    return babel.numbers.format_decimal(value, locale=_locale(ctx.get("locale", "")))


# --------------------------------------------------------------------------- environments

def _template_dir(template_dir) -> Path:
    return Path(template_dir) if template_dir else DEFAULT_TEMPLATE_DIR


def _language_dir(template_dir: Path, language: str) -> str:
    lang = (language or "").strip().lower().replace("_", "-")
    for cand in (lang, lang.split("-")[0]):
        if cand and re.fullmatch(r"[a-z0-9-]{1,20}", cand) and (template_dir / cand).is_dir():
            return cand
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=32)
def _environment(template_dir: str, language: str) -> SandboxedEnvironment:
    base = Path(template_dir)
    search = [str(base / language)]
    if language != DEFAULT_LANGUAGE:
        search.append(str(base / DEFAULT_LANGUAGE))
    env = BoundedEnvironment(
        loader=BoundedLoader(search, encoding="utf-8"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2",
                                                         "letter.j2", "xml.j2"),
                                     default_for_string=True, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
    )
    env.filters.update(money=_money, date=_date, number=_number, days=_days)
    return env


def environment(template_dir=None, language: str = DEFAULT_LANGUAGE) -> SandboxedEnvironment:
    """The sandboxed environment for one language folder (cached)."""
    tdir = _template_dir(template_dir)
    return _environment(str(tdir), _language_dir(tdir, language))


@lru_cache(maxsize=32)
def _item_labels(template_dir: str, language: str) -> dict[str, str]:
    return dict(_environment(template_dir, language).get_template("_labels.j2").module.items)


def item_labels(language: str = DEFAULT_LANGUAGE, template_dir=None) -> dict[str, str]:
    """The words of the item sections (``_labels.j2``): what a letter's ``<items/>`` may override."""
    tdir = _template_dir(template_dir)
    return _item_labels(str(tdir), _language_dir(tdir, language))


# --------------------------------------------------------------------------- context

def _lines(text: str) -> list[str]:
    parts = re.split(r"\r\n|\r|\n|\s*;\s*", text or "")
    return [p.strip() for p in parts if p and p.strip()]


def _clean(text) -> str:
    """A value from a cell as plain text: control characters other than newlines dropped."""
    if text is None:
        return ""
    return re.sub(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]", "", str(text))


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        return None


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def reference(comm: Communication) -> str:
    """Stable human reference of a communication, from its key: "C042-GBP-L2-20261130"."""
    customer = re.sub(r"\W+", "", comm.customer_number or comm.customer_id).upper() or "X"
    return f"{customer}-{comm.currency}-L{comm.level}-{comm.run_date:%Y%m%d}"


def _total(items) -> Decimal:
    return sum((i["balance"] for i in items), Decimal("0"))


def build_context(comm: Communication, settings: Settings) -> dict:
    """All template variables for one communication (see the module docstring)."""
    c = settings.company
    language = _language_dir(DEFAULT_TEMPLATE_DIR, comm.language)
    items = [
        {
            "document": _clean(i.document),
            "due_date": i.due_date,
            "invoice_date": i.invoice_date,
            "days_past_due": int(i.days_past_due),
            "days_overdue": max(0, int(i.days_past_due)),
            "balance": i.balance,
            "amount": i.amount,
            "currency": i.currency or comm.currency,
        }
        for i in comm.items
    ]
    credits = [i for i in items if i["balance"] < 0]
    overdue = [i for i in items if i["balance"] >= 0 and i["days_past_due"] > 0]
    not_due = [i for i in items if i["balance"] >= 0 and i["days_past_due"] <= 0]
    overdue_total = _total(overdue)
    extra = dict(comm.extra or {})
    plan = []
    for n, row in enumerate(extra.get("plan") or (), start=1):
        if isinstance(row, dict):
            plan.append({"number": row.get("number", n), "due_date": _as_date(row.get("due_date")),
                         "payment": _dec(row.get("payment"))})
        else:  # (number, due date, payment, ...) rows as from addin.installments
            plan.append({"number": row[0], "due_date": _as_date(row[1]), "payment": _dec(row[2])})
    fee = comm.fee or Decimal("0")
    interest = comm.interest or Decimal("0")
    return {
        "company": {
            "name": _clean(c.name), "address": _clean(c.address),
            "address_lines": _lines(_clean(c.address)), "email": _clean(c.email),
            "phone": _clean(c.phone), "website": _clean(c.website),
            "payment_instructions": _clean(c.payment_instructions),
            "payment_lines": [ln.strip() for ln in _clean(c.payment_instructions).splitlines()
                              if ln.strip()],
            "signatory": _clean(c.signatory), "registration": _clean(c.registration),
        },
        "customer": _clean(comm.customer),
        "customer_id": _clean(comm.customer_id),
        "customer_number": _clean(comm.customer_number),
        "contact_name": _clean(comm.contact_name),
        "greeting_name": _clean(comm.contact_name) or _clean(comm.customer),
        "email": _clean(comm.email),
        "phone": _clean(comm.phone),
        "address": _clean(comm.address),
        "address_lines": _lines(_clean(comm.address)),
        "customer_type": comm.customer_type,
        "level": comm.level,
        "level_name": _clean(comm.level_name),
        "template": comm.template,
        "channels": list(comm.channels),
        "final": bool(comm.final),
        "next_step": _clean(comm.next_step),
        "items": items,
        "overdue_items": overdue,
        "overdue_total": overdue_total,
        "not_due_items": not_due,
        "not_due_total": _total(not_due),
        "due_dates": sorted({i["due_date"] for i in not_due if i["due_date"]}),
        "credit_items": credits,
        "credit_total": _total(credits),
        "item_count": len(items),
        "max_days_overdue": max((i["days_overdue"] for i in overdue), default=0),
        "currency": comm.currency,
        "total_due": overdue_total,
        "fee": fee,
        "interest": interest,
        "charges": fee + interest,
        "amount_payable": overdue_total + fee + interest,
        "balance": _total(items),
        "pay_by": comm.pay_by,
        "run_date": comm.run_date,
        "reference": _clean(reference(comm)),
        "language": language,
        "locale": comm.locale or settings.locale,
        "time_zone": comm.time_zone,
        "regulation": settings.regulation,
        "regf": settings.regulation == "regF",
        "promise_date": _as_date(extra.get("promise_date")),
        "promise_amount": _dec(extra.get("promise_amount")),
        "plan": plan,
        "plan_total": sum((p["payment"] or Decimal(0) for p in plan), Decimal(0)) if plan else None,
        "extra": extra,
    }


def item_sections(ctx: dict) -> list[dict]:
    """The item sections of a context as rows to lay out (PDF letters, handover packs, call sheets).

    Each section: ``heading``, ``note``, ``when`` and ``days`` (column label keys
    of ``_labels.j2``, "" for none) and ``lines``: ``document`` (or ``label``, a
    label key, for charges and totals), ``when`` (date), ``days``, ``amount``,
    ``total``. Every total line equals the sum of the non-total lines above it
    in its section; the text and HTML templates lay out the same sections.
    """
    def line(amount, document="", when=None, days="", label="", total=False):
        return {"document": document, "label": label, "when": when, "days": days, "amount": amount,
                "total": total}

    sections = []
    if ctx["overdue_items"]:
        lines = [line(i["balance"], i["document"], i["due_date"], i["days_overdue"]) for i in ctx["overdue_items"]]
        if ctx["fee"] or ctx["interest"]:
            lines.append(line(ctx["overdue_total"], label="subtotal", total=True))
        lines += [line(ctx[key], label=key) for key in ("fee", "interest") if ctx[key]]
        lines.append(line(ctx["amount_payable"], label="total", total=True))
        sections.append({"heading": "overdue", "note": "", "when": "due", "days": "days", "lines": lines})
    if ctx["not_due_items"]:
        lines = [line(i["balance"], i["document"], i["due_date"]) for i in ctx["not_due_items"]]
        lines.append(line(ctx["not_due_total"], label="not_due_total", total=True))
        sections.append({"heading": "not_due", "note": "not_due_note" if ctx["overdue_items"] else "",
                         "when": "due", "days": "", "lines": lines})
    if ctx["credit_items"]:
        lines = [line(i["balance"], i["document"], i["invoice_date"] or i["due_date"]) for i in ctx["credit_items"]]
        lines.append(line(ctx["credit_total"], label="credit_total", total=True))
        sections.append({"heading": "credits", "note": "credits_note", "when": "date", "days": "",
                         "lines": lines})
    return sections


# --------------------------------------------------------------------------- rendering

def _relname(filename: str | None, template_dir: Path, fallback: str) -> str:
    if not filename:
        return fallback
    p = Path(filename)
    try:
        return p.resolve().relative_to(template_dir.resolve().parent).as_posix()
    except ValueError:
        return p.as_posix()


def _describe(exc: Exception, template_dir: Path, fallback: str) -> str:
    """'letters/en/reminder.html.j2: undefined variable 'foo'' from a jinja2 exception."""
    filename = getattr(exc, "filename", None)
    lineno = getattr(exc, "lineno", None)
    if not filename:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                filename, lineno = frame.filename, frame.lineno
                break
    where = _relname(filename, template_dir, fallback)
    if lineno:
        where = f"{where}:{lineno}"
    msg = str(getattr(exc, "message", None) or exc)
    if isinstance(exc, jinja2.UndefinedError):
        m = re.fullmatch(r"'([^']*)' is undefined", msg)
        msg = f"undefined variable '{m.group(1)}'" if m else f"undefined: {msg}"
    elif isinstance(exc, TemplateLimit):
        msg = f"over a template limit: {msg}"
    elif isinstance(exc, SecurityError):
        msg = f"blocked by the sandbox: {msg}"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        msg = f"syntax error: {msg}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        msg = f"template not found: {msg}"
    else:
        msg = f"{type(exc).__name__}: {msg}"
    return f"{where}: {msg}"


def _tidy_text(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render(comm: Communication, settings: Settings, template_dir=None, *,
           parts=("subject", "text", "html", "letter"), context: dict | None = None) -> Rendered:
    """Render one communication; raises TemplateProblem naming the template and the cause.

    ``parts`` limits what is rendered (the others are ""); e.g. emails need no letter.
    The parts share one budget (``limits.bounded``): the limits are per communication.
    """
    tdir = _template_dir(template_dir)
    language = _language_dir(tdir, comm.language)
    env = _environment(str(tdir), language)
    ctx = dict(context) if context is not None else build_context(comm, settings)
    ctx["language"] = language
    out = {}
    with bounded():
        for part in ("subject", "text", "html", "letter"):
            if part not in parts:
                out[part] = ""
                continue
            name = f"{comm.template}.{PARTS[part]}"
            try:
                value = env.get_template(name).render(ctx)
            except jinja2.TemplateNotFound as exc:
                if exc.name != name:  # an include/extends inside the template is missing
                    raise TemplateProblem(_describe(exc, tdir, f"{tdir.name}/{language}/{name}")) from exc
                raise TemplateProblem(
                    f"{tdir.name}/{language}/{name}: template not found"
                    + (f" (nor in {tdir.name}/{DEFAULT_LANGUAGE}/)" if language != DEFAULT_LANGUAGE else "")
                ) from exc
            except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, KeyError,
                    AttributeError, RecursionError, MemoryError) as exc:
                raise TemplateProblem(_describe(exc, tdir, f"{tdir.name}/{language}/{name}")) from exc
            if part == "subject":
                value = _one_line(value)
            elif part == "text":
                value = _tidy_text(value)
            else:
                value = value.strip() + "\n"
            out[part] = value
    return Rendered(out["subject"], out["text"], out["html"], out["letter"], language, comm.template)


def _disclosure_marker(env) -> str:
    """First sentence of the regF disclosure, as the text template prints it."""
    text = env.get_template("_regf.txt.j2").render({})
    first = _one_line(text).split(". ")[0]
    return first


def _strip_tags(html: str) -> str:
    import html as _html
    return _one_line(_html.unescape(re.sub(r"<[^>]+>", " ", html)))


def check_templates(communications, settings: Settings, template_dir=None,
                    parts=("subject", "text", "html", "letter")) -> list[str]:
    """Render every communication before anything is sent; return the problems found.

    Each problem names the template file and the cause, e.g.
    ``letters/en/reminder.html.j2:12: undefined variable 'foo'``. Problems are
    de-duplicated. With the regF profile, a message that lacks the debt-collector
    disclosure is a problem too. (``render_batch`` does the same and also returns
    the rendered messages, so a batch is rendered only once.)
    """
    return [p.message for p in render_batch(communications, settings, template_dir, parts=parts)[1]]


def render_batch(communications, settings: Settings, template_dir=None,
                 parts=("subject", "text", "html", "letter")) -> tuple[list[Rendered | None], list[Problem]]:
    """Render a batch once: (rendered per communication, None where it failed; problems, each naming its template)."""
    tdir = _template_dir(template_dir)
    problems: list[Problem] = []
    seen: set[str] = set()
    results: list[Rendered | None] = []

    def add(p: str):
        if p not in seen:
            seen.add(p)
            problems.append(Problem("", p))

    markers: dict[str, str | None] = {}
    over_limit: set[tuple[str, str]] = set()  # a template that overspent once is not tried again
    for comm in communications:
        if (comm.template, comm.language) in over_limit:
            results.append(None)
            continue
        try:
            r = render(comm, settings, tdir, parts=parts)
        except TemplateProblem as exc:
            add(str(exc))
            if isinstance(exc.__cause__, (TemplateLimit, RecursionError, MemoryError)):
                over_limit.add((comm.template, comm.language))
            results.append(None)
            continue
        ok = True
        if "letter" in parts:
            try:
                ET.fromstring(r.letter)
            except ET.ParseError as exc:
                ok = False
                add(f"{tdir.name}/{r.language}/{comm.template}.{PARTS['letter']}: "
                    f"the letter is not well-formed markup ({exc})")
        if settings.regulation == "regF":
            lang = r.language
            if lang not in markers:
                try:
                    markers[lang] = _disclosure_marker(_environment(str(tdir), lang))
                except jinja2.TemplateError as exc:
                    markers[lang] = None
                    add(_describe(exc, tdir, f"{tdir.name}/{lang}/_regf.txt.j2"))
            marker = markers[lang]
            for part, value in (("text", r.text), ("html", _strip_tags(r.html)),
                                ("letter", _strip_tags(r.letter))):
                if part in parts and (not marker or marker not in _one_line(value)):
                    ok = False
                    add(f"{tdir.name}/{lang}/{comm.template}.{PARTS[part]}: "
                        f"the regF debt-collector disclosure is missing")
        results.append(r if ok else None)
    return results, problems


def list_templates(template_dir=None) -> dict[str, list[str]]:
    """{language: [template names having all four parts]} found in the folder."""
    tdir = _template_dir(template_dir)
    out = {}
    for lang_dir in sorted(p for p in tdir.iterdir() if p.is_dir()):
        names = sorted({f.name.split(".")[0] for f in lang_dir.glob("*.j2")
                        if not f.name.startswith("_")})
        out[lang_dir.name] = [n for n in names
                              if all((lang_dir / f"{n}.{suffix}").is_file() for suffix in PARTS.values())]
    return out

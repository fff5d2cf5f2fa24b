"""SMS drafts: at most 160 GSM-7 characters, one CSV per batch named by its run date.

The CSV has the phone, the customer's name, the customer number the clerk and
the customer know (never the internal key of a customer without an id) and
the text.

The wording is ``letters/<lang>/sms.j2`` (rendered in the same sandbox as the
letters). Characters outside the GSM 03.38 alphabet are transliterated
("ő" -> "o", "–" -> "-") so a message never silently switches to UCS-2 (70
characters). Extension characters (€ [ ] { } ^ ~ | \\) count twice. When the
text is too long it is rendered again with ``compact=True`` (no phone line),
and only then shortened, with a problem reported.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from addin.core.model import Communication, Problem
from addin.core.settings import Settings
from addin.files.atomic import write_atomic

from .render import (TemplateProblem, _describe, _environment, _language_dir, _template_dir,
                     build_context)

SMS_LIMIT = 160
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = "^{}\\[~]|€\f"
_GSM = set(GSM_BASIC) | set(GSM_EXTENDED)
_REPLACE = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
            "\u201d": '"', "\u201e": '"', "\u2026": "...", "\u00a0": " ", "\u202f": " ",
            "\u2009": " ", "\u00b7": "-", "\t": " "}


def to_gsm(text: str) -> str:
    """Text in the GSM 03.38 alphabet (basic + extension): others transliterated or '?'."""
    out = []
    for ch in text:
        if ch in _GSM:
            out.append(ch)
            continue
        if ch in _REPLACE:
            out.append(_REPLACE[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in _GSM for c in base) else "?")
    return "".join(out)


def gsm_length(text: str) -> int:
    """Septets used: extension characters count twice."""
    return sum(2 if ch in GSM_EXTENDED else 1 for ch in text)


def _fit(text: str, limit: int) -> str:
    while gsm_length(text) > limit:
        text = text[:-1]
    return text


def normalise_phone(phone: str) -> str:
    """'+44 (0)7700 900123' -> '+447700900123'; '' if it does not look like a number."""
    raw = (phone or "").strip()
    raw = raw.replace("(0)", "")
    plus = raw.startswith("+") or raw.startswith("00")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("00"):
        digits = digits[2:]
    if not 6 <= len(digits) <= 15:
        return ""
    return ("+" if plus else "") + digits


@dataclass(frozen=True)
class SmsDraft:
    customer_id: str  # the communication's key, to match it back
    customer: str
    customer_number: str  # as the clerk knows it ("" when the workbook has no id)
    phone: str
    text: str


def sms_filename(run_date: date) -> str:
    return f"sms-{run_date.isoformat()}.csv"


def sms_text(comm: Communication, settings: Settings, template_dir=None) -> tuple[str, list[Problem]]:
    """The SMS for one communication (≤ 160 GSM characters) and any problems."""
    tdir = _template_dir(template_dir)
    lang = _language_dir(tdir, comm.language)
    env = _environment(str(tdir), lang)
    ctx = build_context(comm, settings)
    ctx["language"] = lang
    problems: list[Problem] = []
    text = ""
    for compact in (False, True):
        ctx["compact"] = compact
        try:
            raw = env.get_template("sms.j2").render(ctx)
        except jinja2.TemplateError as exc:
            raise TemplateProblem(_describe(exc, tdir, f"{tdir.name}/{lang}/sms.j2")) from exc
        text = to_gsm(re.sub(r"\s+", " ", raw).strip())
        if gsm_length(text) <= SMS_LIMIT:
            return text, problems
    problems.append(Problem("", f"SMS for {comm.customer_id} shortened to {SMS_LIMIT} characters"))
    return _fit(text, SMS_LIMIT), problems


def sms_batch(comms, settings: Settings, folder, run_date: date,
              template_dir=None) -> tuple[Path, list[SmsDraft], list[Problem]]:
    """Write the batch's CSV into ``folder``, named by ``run_date``; customers without a usable number are problems."""
    path = Path(folder) / sms_filename(run_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    drafts, problems = [], []
    for comm in comms:
        phone = normalise_phone(comm.phone)
        if not phone:
            problems.append(Problem("", f"{comm.customer} ({comm.customer_id}): phone "
                                        f"{comm.phone!r} is not a number an SMS can go to"))
            continue
        text, probs = sms_text(comm, settings, template_dir)
        problems += probs
        drafts.append(SmsDraft(comm.customer_id, comm.customer, comm.customer_number, phone, text))
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(["phone", "customer", "customer_number", "text"])
    for d in drafts:
        w.writerow([_csv_safe(d.phone), _csv_safe(d.customer), _csv_safe(d.customer_number), _csv_safe(d.text)])
    write_atomic(path, out.getvalue().encode("utf-8-sig"))  # BOM: Excel opens UTF-8 right
    return path, drafts, problems


def _csv_safe(value: str) -> str:
    """Keep a cell value from being read as a formula when the CSV is opened in Excel."""
    s = str(value)
    if s[:1] in ("=", "-", "@", "\t", "\r") or (s[:1] == "+" and not re.fullmatch(r"\+\d+", s)):
        return "'" + s
    return s

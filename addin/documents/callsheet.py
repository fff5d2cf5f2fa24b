"""Call sheet for phone-channel levels: one printable HTML file per batch, named by its run date.

For each communication: who, the number, their local time now and the window
to call in (from ``comm.time_zone`` and the ``run_at`` passed in - never the
clock), the amount and deadline to confirm, the items in subtotalled sections
(overdue with the total due, not yet due, credits), a preparation checklist
and the outcome to log (no answer / promise to pay with date and
amount / dispute with reason / paid / asked for a plan / note).

With the regF profile the 08:00-21:00 local call window is enforced:
customers outside it, or whose time zone is unknown or invalid, are not listed
as callable; they are reported (and shown in a separate section).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from addin.core.model import Communication, Problem
from addin.core.settings import Settings
from addin.files.atomic import write_atomic

from .hours import REGF_WINDOW, in_window, local_time, regf_not_now
from .render import build_context, format_date, format_money, item_labels, item_sections
from .sms import normalise_phone

LANGUAGE = "en"  # the sheet is for the clerk
BUSINESS_WINDOW = (time(9, 0), time(17, 30))


@dataclass
class CallSheet:
    path: Path
    callable: list[str] = field(default_factory=list)  # customer ids listed to call
    not_now: list[tuple[str, str]] = field(default_factory=list)  # (customer id, reason)
    problems: list[Problem] = field(default_factory=list)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Call sheet {{ run_at }}</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#222;margin:16px}
h1{font-size:18px;color:#1f4e79;margin:0 0 4px} .sub{color:#555;margin-bottom:12px}
.card{border:1px solid #999;border-radius:4px;padding:8px 10px;margin:0 0 12px;page-break-inside:avoid}
.card h2{font-size:14px;margin:0 0 4px} table{border-collapse:collapse} td,th{padding:2px 8px 2px 0;text-align:left;vertical-align:top}
.num{text-align:right} .cols{display:flex;gap:24px} .cols>div{flex:1}
.box{display:inline-block;width:10px;height:10px;border:1px solid #333;margin-right:4px;vertical-align:middle}
.line{display:inline-block;border-bottom:1px solid #333;min-width:110px}
.warn{color:#a00000;font-weight:bold} .notnow{border-color:#a00000}
.section{font-weight:bold;margin-top:6px} tr.total th,tr.total td{font-weight:bold;border-top:1px solid #333}
</style></head><body>
<h1>Call sheet - {{ company }}</h1>
<div class="sub">Prepared {{ run_at }} for {{ calls|length }} call{{ "" if calls|length == 1 else "s" }}{% if regf %} - regF: calls only 08:00-21:00 at the customer's local time; at most 7 attempts in 7 days per debt{% endif %}.</div>
{% for c in calls %}
<div class="card">
<h2>{{ c.customer }} <span style="font-weight:normal">{% if c.customer_number %}({{ c.customer_number }}) {% endif %}- {{ c.currency }} - level {{ c.level }} {{ c.level_name }}</span></h2>
<div class="cols"><div>
<table>
<tr><th>Contact</th><td>{{ c.contact_name or "-" }}</td></tr>
<tr><th>Number</th><td><strong>{{ c.phone or "none on file" }}</strong></td></tr>
<tr><th>Local time</th><td>{{ c.local_time }}{% if c.time_zone %} ({{ c.time_zone }}){% endif %}</td></tr>
<tr><th>Call window</th><td>{{ c.window }}</td></tr>
<tr><th>Amount due</th><td><strong>{{ c.amount }}</strong></td></tr>
<tr><th>Deadline</th><td><strong>{{ c.pay_by }}</strong></td></tr>
</table>
{% for s in c.sections %}
<div class="section">{{ s.heading }}</div>
<table><tr><th>{{ labels.document }}</th><th>{{ s.when }}</th><th class="num">{{ s.days }}</th><th class="num">{{ labels.balance }}</th></tr>
{% for i in s.lines %}{% if i.total %}<tr class="total"><th scope="row" colspan="3">{{ i.label }}</th><td class="num">{{ i.amount }}</td></tr>
{% else %}<tr><td>{{ i.label }}</td><td>{{ i.when }}</td><td class="num">{{ i.days }}</td><td class="num">{{ i.amount }}</td></tr>
{% endif %}{% endfor %}</table>
{% endfor %}
</div><div>
<strong>Before and during the call</strong><br>
<span class="box"></span>Confirm you are speaking to {{ c.contact_name or "the right person" }}; confirm their details<br>
<span class="box"></span>State the amount ({{ c.amount }}) and the deadline ({{ c.pay_by }})<br>
<span class="box"></span>Ask open questions: is anything preventing payment? any query on an invoice?<br>
<span class="box"></span>Listen; note any dispute and its reason<br>
<span class="box"></span>Offer a solution: payment plan or date to pay; agree the next step<br>
{% if regf %}<span class="box"></span>Give the debt-collector disclosure at the start of the call<br>{% endif %}
<strong>Outcome to log</strong><br>
<span class="box"></span>No answer / voicemail<br>
<span class="box"></span>Promise to pay: date <span class="line"></span> amount <span class="line"></span><br>
<span class="box"></span>Dispute: reason <span class="line" style="min-width:200px"></span><br>
<span class="box"></span>Paid already: date <span class="line"></span><br>
<span class="box"></span>Asked for a payment plan<br>
Note: <span class="line" style="min-width:260px"></span><br>
Called by <span class="line"></span> at <span class="line" style="min-width:60px"></span>
</div></div></div>
{% endfor %}
{% if not_now %}
<h1>Not to be called now</h1>
{% for c in not_now %}
<div class="card notnow"><strong>{{ c.customer }}</strong> {% if c.customer_number %}({{ c.customer_number }}) {% endif %}{{ c.phone }} - <span class="warn">{{ c.reason }}</span></div>
{% endfor %}
{% endif %}
</body></html>
"""
_env = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
_template = _env.from_string(_TEMPLATE)


def call_sheet_filename(run_date: date) -> str:
    return f"call-sheet-{run_date.isoformat()}.html"


def _sections(ctx: dict, labels: dict) -> list[dict]:
    loc, cur = ctx["locale"], ctx["currency"]
    return [{"heading": labels[s["heading"]] + (f" ({labels[s['note']]})" if s["note"] else ""),
             "when": labels.get(s["when"], ""), "days": labels.get(s["days"], ""),
             "lines": [{"label": line["document"] or labels[line["label"]], "total": line["total"],
                        "when": format_date(line["when"], loc, "medium"), "days": line["days"],
                        "amount": format_money(line["amount"], cur, loc)} for line in s["lines"]]}
            for s in item_sections(ctx)]


def call_sheet(comms, settings: Settings, run_at: datetime, folder, run_date: date) -> CallSheet:
    """Write the batch's call sheet (HTML) into ``folder``, named by ``run_date``.

    ``run_at`` (timezone-aware) is the moment the clerk calls from: it gives each
    customer's local time and call window.
    """
    if run_at.tzinfo is None or run_at.utcoffset() is None:
        raise ValueError("run_at must be a timezone-aware datetime")
    regf = settings.regulation == "regF"
    path = Path(folder) / call_sheet_filename(run_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = CallSheet(path)
    labels = item_labels(LANGUAGE)
    calls, not_now = [], []
    for comm in comms:
        ctx = build_context(comm, settings)
        loc, cur = ctx["locale"], ctx["currency"]
        local = local_time(comm.time_zone, run_at)
        phone = normalise_phone(comm.phone)
        reason = ""
        if not phone:
            reason = f"no usable phone number ({comm.phone!r})"
        elif regf:
            reason = regf_not_now(comm.time_zone, run_at)
        if reason:
            not_now.append({"customer": ctx["customer"], "customer_number": ctx["customer_number"],
                            "phone": comm.phone, "reason": reason})
            sheet.not_now.append((comm.customer_id, reason))
            sheet.problems.append(Problem("", f"{comm.customer} ({comm.customer_id}, {comm.currency}): {reason}"))
            continue
        window = REGF_WINDOW if regf else BUSINESS_WINDOW
        window_text = f"{window[0]:%H:%M}-{window[1]:%H:%M} local"
        if local is not None and not regf and not in_window(local, window):
            window_text += " - outside business hours now"
        calls.append({
            "customer": ctx["customer"], "customer_number": ctx["customer_number"], "currency": cur,
            "contact_name": ctx["contact_name"], "phone": phone, "level": comm.level,
            "level_name": ctx["level_name"],
            "local_time": f"{local:%a %H:%M}" if local else "unknown",
            "time_zone": comm.time_zone, "window": window_text,
            "amount": format_money(ctx["amount_payable"], cur, loc),
            "pay_by": format_date(ctx["pay_by"], loc, "long"),
            "sections": _sections(ctx, labels),
        })
        sheet.callable.append(comm.customer_id)
    html = _template.render(calls=calls, not_now=not_now, regf=regf, labels=labels,
                            company=settings.company.name,
                            run_at=run_at.strftime("%Y-%m-%d %H:%M %Z").strip())
    write_atomic(path, html.encode("utf-8"))
    return sheet

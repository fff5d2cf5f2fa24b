"""Native Excel formulas that reproduce a plan's schedule, so the sheet stays live without Python.

Only functions every Excel since 2010 has (PMT, EDATE, ROUND, ROUNDDOWN, MIN,
IF): no XLOOKUP, LET or SEQUENCE. The formulas follow exactly the rules of
:mod:`addin.core.plans` (same rounding, the last row absorbing the remainder),
so for the same inputs they give the same cents as ``addin.installments``:

* regular payment: ``ROUND(-PMT(rate/ppy, N, P, 0, type), d)`` with interest,
  ``ROUNDDOWN(P/N, d)`` without (P/N is first rounded to 9 decimals to drop
  binary noise: with P in cents and N ≤ 10,000 a true quotient is never that
  close to a cent boundary without being on it);
* interest: ``ROUND(previous balance × rate / ppy, d)`` (0 in row 1 when type = 1);
* payment: ``MIN(regular, previous balance + interest)``; the last row pays
  previous balance + interest;
* principal = payment − interest; balance = previous balance − principal (both
  wrapped in ROUND(…, d) so float drift never shows).

The number of rows is fixed when the formulas are written (``n``); ``n_cell``
must hold the same number for the sheet to agree with Python.
"""
from __future__ import annotations

from ..core.money import minor_digits
from ..core.plans import FREQUENCIES, SCHEDULE_HEADER, frequency_value, when_value  # noqa: F401 (re-export)
from .xlsx_xml import col_index as column_index, col_letter as column_letter  # re-exported for callers

def number_formats(currency: str = "") -> tuple[str, ...]:
    """Cell number formats for the six schedule columns."""
    d = minor_digits(currency)
    money = "#,##0" + ("." + "0" * d if d else "")
    return ("0", "yyyy-mm-dd", money, money, money, money)


def schedule_formulas(principal_cell: str, rate_cell: str, n_cell: str, first_due_cell: str | None,
                      frequency: str, n: int, start_row: int, *, when: str = "end",
                      currency: str = "", remainder: str = "last",
                      first_column: str = "A") -> list[list]:
    """Rows of Excel formulas (number, due date, payment, interest, principal, balance).

    principal_cell, rate_cell (annual rate, 8% = 0.08), n_cell, first_due_cell:
    references such as ``"$B$2"`` or ``"Plans!$C$5"``, used verbatim (
    first_due_cell None = no dates). ``n`` rows are written from ``start_row``
    in six columns from ``first_column``. ``when``: "end" or "begin" (PMT type
    0/1); ``remainder``: "last" or "first" (first applies to plans without
    interest, as in Python).
    """
    freq = frequency_value(frequency)
    ppy, kind, step = FREQUENCIES[freq]
    typ = when_value(when)
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"number of installments must be a whole number above 0, got {n}")
    n = int(n)
    remainder = str(remainder or "last").strip().lower()
    if remainder not in ("last", "first"):
        raise ValueError(f"remainder must be \"last\" or \"first\", got {remainder!r}")
    d = minor_digits(currency)
    c0 = column_index(first_column)
    A, B, C, D, E, F = (column_letter(c0 + i) for i in range(6))
    P, R, N = principal_cell, rate_cell, n_cell
    share = f"ROUNDDOWN(ROUND({P}/{N},9),{d})"
    regular = f"IF({R}=0,{share},ROUND(-PMT({R}/{ppy},{N},{P},0,{typ}),{d}))"

    rows: list[list] = []
    for k in range(1, n + 1):
        r = start_row + k - 1
        prev = P if k == 1 else f"{F}{r - 1}"
        if first_due_cell is None:
            due = ""
        elif kind == "months":
            due = f'=IF({first_due_cell}="","",EDATE({first_due_cell},{(k - 1) * step}))'
        else:
            due = f'=IF({first_due_cell}="","",{first_due_cell}+{7 * step * (k - 1)})'
        if k == 1 and typ == 1:
            interest = "=0"
        else:
            interest = f"=ROUND({prev}*{R}/{ppy},{d})"
        owed = f"ROUND({prev}+{D}{r},{d})"
        if k == n:
            payment = f"={owed}"
        elif k == 1 and remainder == "first":
            payment = (f"=IF({R}=0,ROUND({P}-({N}-1)*{share},{d}),MIN({regular},{owed}))")
        else:
            payment = f"=MIN({regular},{owed})"
        principal = f"=ROUND({C}{r}-{D}{r},{d})"
        balance = f"=ROUND({prev}-{E}{r},{d})"
        rows.append([k, due, payment, interest, principal, balance])
    return rows

"""Independent expectations for the corpus of real receivables files.

This script never imports `addin`. For every file it reads the cells itself
(openpyxl with data_only=True for .xlsx, the csv module for .csv) and applies
choices written here by hand after looking at each file: which sheet and
header row, which header is the customer, the document, the due date, the
open balance (or amount and paid), the status and the currency, which rows
are items (not titles, blank rows, notes or totals), and which statuses mean
closed. Then it applies the aging rules of DESIGN.md:

- a document dated after the as-of date is out of scope;
- a payment dated after the as-of date is not applied (here: a "paid in full
  on" date, see the IBM files);
- items that are closed or whose open balance is zero are not open items;
- days past due = as-of - due date (no due date: the invoice date; neither:
  "Unapplied"); buckets Current (<= 0), 1-30, 31-60, 61-90, 91+.

Money is exact: a number cell becomes Decimal(repr(x)), a text cell is parsed
from its characters; both are then quantized to the cent, and a value that
would need rounding is an error (none does).

    python tests/corpus/compute_expected.py          # rewrite expected.json
    python tests/corpus/compute_expected.py --check  # compare, exit 1 on drift
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
BUCKETS = ("Current", "1-30", "31-60", "61-90", "91+", "Unapplied")
ANY_CURRENCY = "*"  # the file names no currency: any single currency label is acceptable
CENT = Decimal("0.01")


# --------------------------------------------------------------------------
# The hand-written choices, one dict per file.
#
# fields: the header text (exactly as in the file) for each field
#   customer, document, due_date, invoice_date, balance | amount (+ paid),
#   status, currency, paid_in_full_date
# date_formats: strptime formats for dates held as text, per field
# closed: status values (compared case-insensitively) that mean closed/paid
# open: status values seen in the file that mean open (documentation, and a
#   check: an unknown status stops the script)
# item: which rows are items
# dedupe_exact: a row identical in every cell to an earlier row is the same item
# --------------------------------------------------------------------------

def _has(*fields):
    return lambda row: all(row[f] not in (None, "") for f in fields)


FILES: dict[str, dict] = {
    "sandvik-ar-aging": dict(
        path="sandvik-ar-aging/AR Aging.xlsx",
        sheet="AURRSGLBF0170 - AR_SRP_ALL",
        header_row=6,
        as_of="2026-02-25",
        fields=dict(customer="Customer_Name", document="Document_Ref", invoice_date="Document_Date",
                    due_date="pduedate", balance="Outstanding value", currency="ccy",
                    status="Classification"),
        closed=set(), open={"due", "not due"},
        item=_has("Document_Ref"),
        notes=("ERP (Sandvik AR_SRP_ALL) aging export, 47 columns. Rows 1-5 are a legend "
               "(group codes) and a total cell AD5 = 751299591.49 with the report date "
               "2026-02-26 in AG5: not items. 'Outstanding value' is the open balance "
               "(Original_Amount is the document amount). 85 rows are advances with a "
               "negative balance. Document_Ref repeats on 441 rows: one document split "
               "over product accounts, each row its own open item with its own amount. "
               "The export's own 'Overdue days' equals 2026-02-25 minus pduedate on every "
               "row, hence the as-of date; its 'Bucket' (e.g. '05 91-180') and 'Overdue "
               "days' columns are the user's, not arcollect's."),
    ),
    "ibm-late-payment-xlsx": dict(
        path="ibm-late-payment-xlsx/WA_Fn-UseC_-Accounts-Receivable.xlsx",
        sheet="WA_Fn-UseC_-Accounts-Receivable",
        header_row=1,
        as_of="2013-06-30",
        fields=dict(customer="customerID", document="invoiceNumber", invoice_date="InvoiceDate",
                    due_date="DueDate", amount="InvoiceAmount", paid_in_full_date="SettledDate"),
        date_formats=dict(invoice_date=["%m/%d/%Y"], due_date=["%m/%d/%Y"],
                          paid_in_full_date=["%m/%d/%Y"]),
        closed=set(), open=set(),
        item=_has("invoiceNumber"),
        currency_hint="USD (IBM Watson Analytics sample, amounts in US dollars)",
        notes=("IBM's 'Finance Factoring: late payment histories' sample as saved by Excel in a "
               "day-first locale: where the original US text date (M/D/YYYY) also parsed as "
               "D/M Excel stored a date cell (day and month swapped), otherwise the text stayed "
               "('1/26/2013'). Date cells are taken as stored, text dates as M/D/YYYY (the only "
               "order they fit). InvoiceAmount is text ('55.94'). The only customer column is "
               "customerID. No status or paid column: SettledDate is the date the invoice was "
               "paid in full, so as of 2013-06-30 an invoice is open when InvoiceDate <= as-of "
               "< SettledDate (a payment dated after the as-of date is not applied)."),
    ),
    "ibm-late-payment-csv": dict(
        path="ibm-late-payment-csv/WA_Fn-UseC_-Accounts-Receivable.csv",
        header_row=1,
        as_of="2013-06-30",
        fields=dict(customer="customerID", document="invoiceNumber", invoice_date="InvoiceDate",
                    due_date="DueDate", amount="InvoiceAmount", paid_in_full_date="SettledDate"),
        date_formats=dict(invoice_date=["%d/%m/%Y"], due_date=["%d/%m/%Y"],
                          paid_in_full_date=["%d/%m/%Y"]),
        closed=set(), open=set(),
        item=_has("invoiceNumber"),
        currency_hint="USD (IBM Watson Analytics sample)",
        notes=("The same IBM sample as a CSV re-saved with day-first zero-padded dates "
               "('31/12/2012'), CRLF line ends, sorted by invoice date; trimmed to its first "
               "2,000 data rows. Same reading as the .xlsx: open when InvoiceDate <= as-of < "
               "SettledDate."),
    ),
    "excelx-ar-multicurrency": dict(
        path="excelx-ar-multicurrency/AR_Clean_Features.xlsx",
        sheet="Sheet1",
        header_row=1,
        as_of="2025-08-31",
        fields=dict(customer="Customer", document="ARID", invoice_date="InvoiceDate",
                    due_date="DueDate", balance="Outstanding", currency="Currency", status="Status",
                    paid_date="ReceivedDate"),
        closed={"received"}, open={"open", "partial"},
        item=_has("ARID"),
        notes=("Excelx 'Accounts Receivable' practice dataset (ARID, Customer, InvoiceDate, "
               "DueDate, Amount, Currency, Status, ReceivedDate, Terms) after a cleaning script "
               "added DaysLate, OnTime, Outstanding and PaidStatus; written by pandas/openpyxl. "
               "Five currencies (USD EUR GBP CAD AUD). Status 'Received' (301 rows) is paid; "
               "'Outstanding' is the open balance (0 on received rows), preferred over 'Amount'. "
               "As-of 2025-08-31 is after every ReceivedDate and DueDate."),
    ),
    "india-ar-master": dict(
        path="india-ar-master/02_AR_Aging_Dataset.xlsx",
        sheet="Master_Data",
        header_row=1,
        as_of="2026-03-31",
        fields=dict(customer="Customer_Name", document="Invoice_ID", invoice_date="Invoice_Date",
                    due_date="Due_Date", balance="Outstanding Amount", amount="Invoice_Amount",
                    paid="Amount_Received", currency="Currency", status="Status",
                    paid_date="Payment_Date"),
        closed={"paid"}, open={"partially paid", "unpaid"},
        item=_has("Invoice_ID"),
        notes=("Power BI AR aging dataset saved by Excel 16, 25 columns, INR. Status Paid / "
               "Partially Paid / Unpaid; 'Outstanding Amount' = Invoice_Amount - "
               "Amount_Received on every row. Payment_Date is 0 or ' ' on unpaid rows. "
               "Aging_Bucket ('Settled', 'Over 90 Days') and Days_Overdue are the user's "
               "columns; their values agree with as-of 2026-03-31."),
    ),
    "india-ar-tracker": dict(
        path="india-ar-tracker/AR_Aging_Report.xlsx",
        sheet="Invoice Data",
        header_row=2,
        as_of="2026-03-31",
        fields=dict(customer="Customer Name", document="Invoice No.", invoice_date="Invoice Date",
                    due_date="Due Date", balance="Balance Due (₹)", amount="Amount (₹)",
                    paid="Amount Paid (₹)", status="Status"),
        closed={"paid"}, open={"overdue"},
        item=_has("Invoice No."),
        currency_hint="INR (the headers say ₹)",
        notes=("AR invoice tracker saved by Excel 16: a title row ('ACCOUNTS RECEIVABLE — "
               "INVOICE TRACKER') above the header, currency only in the headers (₹), "
               "formulas with cached values (Balance Due = E-F, Days Overdue from TODAY(), "
               "cached on 2026-03-31), three more sheets (aging analysis, customer ledger, MIS) "
               "that are reports, not receivables."),
    ),
    "invoiceninja-v4-export": dict(
        path="invoiceninja-v4-export/invoice.csv",
        header_row=4,
        as_of="2020-05-31",
        fields=dict(customer="Client", document="Invoice Number", invoice_date="Invoice Date",
                    due_date="Due Date", amount="Amount", paid="Paid", status="Status"),
        date_formats=dict(invoice_date=["%Y-%m-%d"], due_date=["%Y-%m-%d"]),
        closed={"paid"}, open={"partial"},
        item=_has("Invoice Number"),
        dedupe_exact=True,
        currency_hint="USD ($ in the amounts)",
        notes=("Invoice Ninja v4.5.17 export (a test fixture of Invoice Ninja's importer): three "
               "title lines ('Invoice Ninja v4.5.17 - December 19, 2020 11:28 pm', blank, "
               "'INVOICES') above the header, amounts as '$13.50', Amount and Paid (open = "
               "Amount - Paid), one row per invoice line: invoice 2 appears twice, identical "
               "in every cell, and is one invoice of $26.67. 'Partial/Deposit' ($0.00) is not "
               "the paid amount."),
    ),
    "invoicely-export": dict(
        path="invoicely-export/invoicely_invoices.csv",
        header_row=1,
        as_of="2021-02-28",
        fields=dict(customer="Client", document="Details", invoice_date="Date", due_date="Due",
                    balance="Total", status="Status"),
        date_formats=dict(invoice_date=["%b %d %Y"], due_date=["%b %d %Y"]),
        closed=set(), open={"due"},
        item=_has("Details"),
        currency_hint=None,
        notes=("Invoicely invoice export (a test fixture of Invoice Ninja's importer): every "
               "field quoted, dates as 'Jan 28 2021', amount '1,020.00' with a thousands "
               "separator, the document number in a column called 'Details', status 'Due'."),
    ),
    "powerbi-sample-invoices": dict(
        path="powerbi-sample-invoices/Sample_invoices.csv",
        header_row=1,
        as_of="2025-12-31",
        fields=dict(customer="CustomerName", document="InvoiceID", invoice_date="InvoiceDate",
                    due_date="DueDate", amount="InvoiceAmount", paid="PaidAmount", status="Status",
                    paid_date="PaidDate"),
        date_formats=dict(invoice_date=["%m/%d/%Y"], due_date=["%m/%d/%Y"], paid_date=["%m/%d/%Y"]),
        closed={"paid"}, open={"overdue", "pending"},
        item=_has("InvoiceID"),
        dedupe_exact=True,
        notes=("Power BI tutorial sample: UTF-8 with BOM, US text dates (10/31/2025), "
               "InvoiceAmount and PaidAmount (open = difference), status Paid / Overdue / "
               "Pending; INV-1002 and INV-1004 each appear twice, identical in every cell "
               "(one item each)."),
    ),
    "ils-advance-aging": dict(
        path="ils-advance-aging/ar-aging-report.xlsx",
        sheet="Open Invoices",
        header_row=1,
        as_of="2026-07-16",
        fields=dict(customer="Customer", document="Invoice #", invoice_date="Issue Date",
                    due_date="Due Date", balance="Open Advance (ILS)", status="Status"),
        closed=set(), open={"overdue", "financed"},
        item=_has("Invoice #", "Open Advance (ILS)"),
        currency_hint="ILS (the header says ILS)",
        notes=("Receivables-financing aging workbook written by openpyxl with cached formula "
               "values. The first sheet 'Aging Report' is a customer x bucket summary with "
               "title rows (not items); the items are on 'Open Invoices', which ends with a "
               "blank row and a note row. 'Days Past Due' and 'Bucket' are formulas of the "
               "user's (=AsOfDate-$E2); AsOfDate is 2026-07-16."),
    ),
    "gt-facturas-por-cobrar": dict(
        path="gt-facturas-por-cobrar/Facturas_Cobrar_1774422729600.xlsx",
        sheet="Facturas por Cobrar",
        header_row=1,
        as_of="2026-04-30",
        fields=dict(customer="Cliente", document="Número Factura", invoice_date="Fecha Emisión",
                    due_date="Fecha Vencimiento", balance="Monto", currency="Moneda", status="Estado"),
        date_formats=dict(invoice_date=["%d/%m/%Y"], due_date=["%d/%m/%Y"]),
        closed=set(), open={"vencida"},
        item=_has("Número Factura"),
        notes=("Spanish 'Facturas por Cobrar' export of a receivables app, written by SheetJS: "
               "Spanish headers, dates as day-first text ('23/4/2026'), currency GTQ, status "
               "VENCIDA (overdue)."),
    ),
    "pe-ctas-por-cobrar": dict(
        path="pe-ctas-por-cobrar/Ctas_Test.xlsx",
        sheet="Sheet1",
        header_row=1,
        as_of="2026-01-15",
        fields=dict(customer="codcli", document="numsun", invoice_date="fecdoc", due_date="fecvct",
                    balance="sldacl", amount="mondoc"),
        date_formats=dict(invoice_date=["%Y-%m-%d"], due_date=["%Y-%m-%d"]),
        closed=set(), open=set(),
        item=_has("numsun"),
        currency_hint="PEN (the file says 'SOL' in codmnd, not an ISO code)",
        notes=("Peruvian ERP-style 'cuentas por cobrar' extract (test data of a collections "
               "tool, written by openpyxl) with the legacy system's abbreviated Spanish field "
               "names: codcli customer code, coddoc document type, sersun+numsun series and "
               "number (numsun alone is unique), fecdoc / fecvct document and due date as ISO "
               "text, mondoc amount, sldacl saldo actual (open balance), codmnd 'SOL'. No "
               "header matches a synonym: only content can tell."),
    ),
}


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def read_rows(spec: dict) -> tuple[list, list[list], int]:
    """Header cells, data rows (lists) and the 1-based row number of the first data row."""
    path = HERE / spec["path"]
    hrow = spec["header_row"]
    if path.suffix.lower() == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    else:
        import openpyxl  # the test dependency; never addin
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        try:
            ws = wb[spec["sheet"]]
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    return rows[hrow - 1], rows[hrow:], hrow + 1


def parse_date(value, formats, where):
    if value is None or value == "" or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return None  # india-ar-master writes 0 in Payment_Date of unpaid rows
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for f in formats or ():
            try:
                return dt.datetime.strptime(value.strip(), f).date()
            except ValueError:
                pass
    raise ValueError(f"{where}: {value!r} is not a date in {formats}")


_MONEY_JUNK = re.compile(r"[\s$₹€£,]")


def parse_money(value, where) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not an amount")
    if isinstance(value, (int, float)):
        d = Decimal(repr(value))
    else:
        s = _MONEY_JUNK.sub("", str(value))
        neg = s.startswith("(") and s.endswith(")")
        d = Decimal(s.strip("()"))
        d = -d if neg else d
    q = d.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if q != d:
        raise ValueError(f"{where}: {value!r} has more than two decimals")
    return q


def bucket_of(days) -> str:
    if days is None:
        return "Unapplied"
    if days <= 0:
        return "Current"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "91+"


# --------------------------------------------------------------------------
# Computing one file
# --------------------------------------------------------------------------

def compute(name: str) -> dict:
    spec = FILES[name]
    as_of = dt.date.fromisoformat(spec["as_of"])
    header, data, first = read_rows(spec)
    col = {}
    for i, h in enumerate(header):
        if h is not None and str(h) not in col:
            col[str(h)] = i  # first occurrence (the Sandvik export has 'Segment' twice)
    fields = spec["fields"]
    missing = [h for h in fields.values() if h not in col]
    if missing:
        raise KeyError(f"{name}: headers {missing} not in {list(col)}")
    fmts = spec.get("date_formats", {})
    closed = {s.lower() for s in spec["closed"]}
    known = closed | {s.lower() for s in spec["open"]}

    seen, items, open_items, skipped_dupes = set(), 0, [], 0
    for n, raw in enumerate(data, start=first):
        raw = list(raw) + [None] * (len(header) - len(raw))
        row = {h: raw[i] for h, i in col.items()}
        if not spec["item"](row):
            continue
        if spec.get("dedupe_exact"):
            key = tuple(raw)
            if key in seen:
                skipped_dupes += 1
                continue
            seen.add(key)
        items += 1
        where = f"{name} row {n}"
        get = lambda f: row[fields[f]] if f in fields else None  # noqa: E731
        inv_date = parse_date(get("invoice_date"), fmts.get("invoice_date"), where)
        due = parse_date(get("due_date"), fmts.get("due_date"), where)
        status = str(get("status") or "").strip().lower()
        if status and known and status not in known:
            raise ValueError(f"{where}: status {status!r} not classified")
        if inv_date is not None and inv_date > as_of:
            continue  # out of scope
        if status in closed:
            continue
        if "balance" in fields:
            balance = parse_money(get("balance"), where)
        else:
            balance = parse_money(get("amount"), where) - parse_money(get("paid"), where)
        if "paid_date" in fields:
            paid_on = parse_date(get("paid_date"), fmts.get("paid_date"), where)
            if paid_on is not None and paid_on > as_of:
                raise ValueError(f"{where}: paid on {paid_on}, after the as-of date; choose a later one")
        if "paid_in_full_date" in fields:
            settled = parse_date(get("paid_in_full_date"), fmts.get("paid_in_full_date"), where)
            if settled is not None and settled <= as_of:
                balance = Decimal("0.00")
        if balance == 0:
            continue
        cur = str(get("currency")).strip().upper() if "currency" in fields else ANY_CURRENCY
        anchor = due or inv_date
        days = (as_of - anchor).days if anchor else None
        open_items.append((cur, bucket_of(days), balance))

    totals: dict[str, dict[str, Decimal]] = {}
    for cur, b, bal in open_items:
        t = totals.setdefault(cur, {k: Decimal("0.00") for k in BUCKETS})
        t[b] += bal
    out_totals = {}
    for cur in sorted(totals):
        t = totals[cur]
        t_total = sum(t.values(), Decimal("0.00"))
        out_totals[cur] = {**{k: str(v) for k, v in t.items()}, "Total": str(t_total)}
    path = HERE / spec["path"]
    return {
        "file": spec["path"],
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "sheet": spec.get("sheet"),
        "header_row": spec["header_row"],
        "headers": dict(fields),
        "closed_statuses": sorted(spec["closed"]),
        "open_statuses": sorted(spec["open"]),
        "as_of": spec["as_of"],
        "data_rows_below_header": len(data),
        "items": items,
        "exact_duplicate_rows_dropped": skipped_dupes,
        "open_items": len(open_items),
        "currency_hint": spec.get("currency_hint"),
        "totals": out_totals,
        "notes": spec["notes"],
    }


def compute_all() -> dict:
    return {
        "about": ("Computed by tests/corpus/compute_expected.py from the files themselves, "
                  "independently of arcollect. totals[currency][bucket] are open balances as "
                  "decimal strings; currency '*' means the file names no currency, so any "
                  "single currency label is accepted. Buckets by due date: Current (<= 0 days "
                  "past due), 1-30, 31-60, 61-90, 91+; Unapplied = no due or invoice date."),
        "files": {name: compute(name) for name in FILES},
    }


def main(argv: list[str]) -> int:
    result = compute_all()
    text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    if "--check" in argv:
        if not EXPECTED.exists() or EXPECTED.read_text(encoding="utf-8") != text:
            print("expected.json differs from what compute_expected.py computes", file=sys.stderr)
            return 1
        return 0
    EXPECTED.write_text(text, encoding="utf-8")
    for name, r in result["files"].items():
        tot = ", ".join(f"{c} {t['Total']}" for c, t in r["totals"].items())
        print(f"{name:26} items {r['items']:5}  open {r['open_items']:5}  {tot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

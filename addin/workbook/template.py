"""The collections workbook template, built from code so it is reproducible.

`workbook_templates/build_template.py` writes the empty template with this;
the demo fills the same layout with demo data. openpyxl is fine here: these
are new files of our own, never a user's workbook.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..core.model import HISTORY_COLUMNS
from ..core.policy import DEFAULT_LADDER, POLICY_COLUMNS
from .package import unique_headers
from .schema import EXACT

# the template's headers are the ones the reader matches exactly (schema.EXACT): one spelling of each
RECEIVABLES_COLUMNS = tuple(EXACT[f] for f in (
    "customer_id", "customer", "contact", "email", "phone", "document", "invoice_date", "due_date", "amount",
    "paid", "paid_date", "currency", "status", "hold_until", "customer_type", "language", "notes"))
CUSTOMER_COLUMNS = tuple(EXACT[f] for f in (
    "customer_id", "customer", "contact", "email", "phone", "address", "language", "time_zone", "customer_type",
    "do_not_contact", "hold_until"))
PLAN_COLUMNS = ("Customer ID", "Customer", "Principal", "Annual Rate", "Installments", "Frequency",
                "First Due Date", "Currency", "Status")
DATE_HEADERS = {"Invoice Date", "Due Date", "Paid Date", "Hold Until", "First Due Date", "Promise Date"}
MONEY_HEADERS = {"Amount", "Paid", "Principal", "Promise Amount", "Amount Due", "Fee"}

# (setting, default, what it means) — the README's settings table is generated from this list
SETTINGS = (
    ("As-of date", None, "Aging date; blank = today"),
    ("Aging basis", "due date", "'due date' or 'invoice date'"),
    ("Bucket edges", "0, 30, 60, 90", "Upper edges in days: Current (<=0), 1-30, 31-60, 61-90, 91+"),
    ("Locale", "en_GB", "Number and date formats of this workbook (text amounts and dates are read this way)"),
    ("Currency", "GBP", "Currency of rows with no Currency cell"),
    ("Tolerance", Decimal("5.00"), "Balances below this are not chased"),
    ("Mode", "draft", "'draft' (write .eml drafts) or 'send' (send approved reminders)"),
    ("Escalate one level per run", "yes", "At most one level up per run"),
    ("Pay within days", 14, "Reminders ask for payment by the run date plus this"),
    ("Regulation profile", "none", "'none' (B2B) or 'regF' (US consumer debt, 12 CFR 1006)"),
    ("Late interest rule", "none", "none, simple, uk-1998 or eu-2011-7"),
    ("Late interest rate", None, "Annual rate for the simple rule, e.g. 0.08"),
    ("Company name", "Northwind Supplies Ltd", "Letterhead"),
    ("Company address", "1 Harbour Street\nBristol BS1 4AA\nUnited Kingdom", "Letterhead"),
    ("Company email", "accounts@northwind.example", "Reply-to and letterhead"),
    ("Company phone", "+44 117 496 0000", "Letterhead"),
    ("Company website", "www.northwind.example", "Letterhead"),
    ("Payment instructions", "Bank transfer to Northwind Supplies Ltd, sort code 00-00-00, "
                             "account 12345678, quoting your invoice number.", "How to pay"),
    ("Signatory", "Jane Cole, Credit Control", "Who signs letters"),
    ("SMTP host", None, "Mail server (ARCOLLECT_SMTP_HOST overrides)"),
    ("SMTP port", 587, "ARCOLLECT_SMTP_PORT overrides"),
    ("SMTP TLS", "starttls", "none, starttls or ssl (ARCOLLECT_SMTP_TLS overrides)"),
    ("SMTP user", None, "Login; the password comes from ARCOLLECT_SMTP_PASSWORD or the keyring, never this book"),
    ("From", "accounts@northwind.example", "Sender address (ARCOLLECT_FROM overrides)"),
    ("Plan schedule as formulas", "no", "yes = Plan Schedule written as live Excel formulas (PMT, IPMT...)"),
    ("Outbox", None, "Folder for drafts; blank = '<book> outbox' beside the workbook"),
    ("Paid grace days", 5, "A 'paid' logged in History holds that amount this many days, until the ledger shows it"),
    ("Templates folder", None, "Folder of edited templates (arcollect templates export); blank = the shipped ones"),
    ("Loss rates", None, "Close: expected credit loss in percent per bucket, Current first, e.g. 0.3, 1.6, 3.6, 6.6, 10.6"),
    ("Credit sales", None, "Close: the period's credit sales; blank = the invoices in the book dated in the period"),
)

# the letterhead and sender: the template's demo company, left blank by `init` for the clerk to fill in
COMPANY_SETTINGS = ("Company name", "Company address", "Company email", "Company phone", "Company website",
                    "Payment instructions", "Signatory", "From")
WIDE_HEADERS = {"Customer", "Address", "Notes", "Email"}


def column_format(header: str) -> str | None:
    """The number format ("date", "money") the template gives a column of this header."""
    return "date" if header in DATE_HEADERS else "money" if header in MONEY_HEADERS else None


def policy_rows() -> list[tuple]:
    """The default dunning ladder as Policy rows (POLICY_COLUMNS)."""
    return [(lv.level, lv.name, lv.days_from, lv.min_days_since_contact, " + ".join(lv.channels),
             lv.template, lv.fee, "yes" if lv.final else "no") for lv in DEFAULT_LADDER]


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def _table_sheet(wb, title, columns, rows, table_name, widths=16):
    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for r in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in r])
    for j, header in enumerate(columns, start=1):
        letter = ws.cell(1, j).column_letter
        ws.column_dimensions[letter].width = 28 if header in WIDE_HEADERS else widths
        fmt = {"date": "yyyy-mm-dd", "money": "#,##0.00"}.get(column_format(header))
        if fmt:
            for row in range(2, ws.max_row + 1):
                ws.cell(row, j).number_format = fmt
    last = ws.cell(max(ws.max_row, 2), len(columns)).coordinate
    table = Table(displayName=table_name, ref=f"A1:{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    return ws


def build_workbook(path, receivables=(), customers=(), history=(), plans=(), settings=None) -> Path:
    """Write a collections workbook: the template when every argument is left empty."""
    values = {k: v for k, v, _ in SETTINGS} | dict(settings or {})
    wb = Workbook()
    wb.remove(wb.active)
    ws = _table_sheet(wb, "Receivables", RECEIVABLES_COLUMNS, receivables, "Receivables")
    status = DataValidation(type="list", formula1='"open,disputed,promise,plan,legal,closed"',
                            allow_blank=True, showErrorMessage=False)
    ws.add_data_validation(status)
    status.add(f"M2:M{max(ws.max_row, 2) + 1000}")
    _table_sheet(wb, "Customers", CUSTOMER_COLUMNS, customers, "Customers")
    st = wb.create_sheet("Settings")
    st.append(["Setting", "Value", "What it means"])
    for key, _, note in SETTINGS:
        v = values.get(key)
        st.append([key, float(v) if isinstance(v, Decimal) else v, note])
    st.column_dimensions["A"].width, st.column_dimensions["B"].width, st.column_dimensions["C"].width = 28, 40, 70
    for row in st.iter_rows(min_row=2, max_col=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        if isinstance(row[1].value, date):
            row[1].number_format = "yyyy-mm-dd"
    _table_sheet(wb, "Policy", POLICY_COLUMNS, policy_rows(), "Policy")
    _table_sheet(wb, "History", HISTORY_COLUMNS, history, "History")
    _table_sheet(wb, "Plans", PLAN_COLUMNS, plans, "Plans")
    return _save(wb, path)


def receivables_book(path, headers, rows) -> Path:
    """A new workbook of one sheet, a Receivables table of ``rows`` under ``headers`` as an export gave them."""
    wb = Workbook()
    wb.remove(wb.active)
    _table_sheet(wb, "Receivables", unique_headers(headers), rows, "Receivables")
    return _save(wb, path)


def _save(wb, path) -> Path:
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path

"""Reading the receivables a clerk brings: our table, a plain sheet, accounting-system exports."""
import warnings
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from addin.workbook.template import build_workbook
from addin.workbook.package import BookUnreadable
from addin.workbook.bulk import read_text_columns, sheet_origin  # bound before the fixture patches
from addin.workbook.inference import NoReceivables
from addin.workbook.reader import read_book


@pytest.fixture(autouse=True, params=["bulk", "calamine"])
def reader_path(request, monkeypatch):
    """Every test runs on both paths: fastexcel's text columns, and python-calamine's rows."""
    if request.param == "calamine":
        monkeypatch.setattr("addin.workbook.bulk.read_text_columns", lambda *args: None)
        monkeypatch.setattr("addin.workbook.bulk.fast_sheet", lambda *args: None)
    return request.param


def plain_book(path, rows, title="AR", settings=None, extra=None):
    """A workbook with one plain sheet of rows (no table), optional Settings key/values."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    if settings:
        st = wb.create_sheet("Settings")
        for k, v in settings.items():
            st.append([k, v])
    if extra:
        extra(wb)
    wb.save(path)
    return path


def messages(book):
    return [str(p) for p in book.problems]


def test_template_table_reads_every_row_with_cells(tmp_path):
    rows = [["C1", "Acme Ltd", "Ann", "ann@acme.example", "", "INV-1", date(2026, 10, 1), date(2026, 10, 31),
             1200.5, 200.25, date(2026, 11, 2), "GBP", "open", None, "business", "en", ""],
            ["C2", "Birch GmbH", "", "", "", "INV-2", date(2026, 10, 5), date(2026, 11, 4), 99.99, 0, None,
             "EUR", "disputed", None, "", "de", ""]]
    book = read_book(build_workbook(tmp_path / "b.xlsx", rows))
    assert book.problems == []
    it = book.items
    assert it["document"].tolist() == ["INV-1", "INV-2"]
    assert it["amount_minor"].tolist() == [120050, 9999] and it["paid_minor"].tolist() == [20025, 0]
    assert it["status"].tolist() == ["open", "disputed"] and it["currency"].tolist() == ["GBP", "EUR"]
    assert book.layout.sheet == "Receivables" and book.layout.header_row == 1
    assert book.layout.cell("due_date", 2) == "Receivables!H2"
    assert [lv.level for lv in book.ladder] == [1, 2, 3, 4, 5]


def test_plain_sheet_with_synonym_headers_and_mixed_value_forms(tmp_path):
    rows = [["Client", "Inv #", "Net Due", "Balance Due"],
            ["Acme", 1001, date(2026, 11, 1), 10],
            ["Acme", "1002", datetime(2026, 11, 2, 15, 30), "1,234.50"],
            ["Acme", "1003", "2026-11-03", "£2,000"],
            ["Acme", "1004", "04/11/2026", "(120.00)"],
            ["Acme", "1005", 46330, 0.1]]
    book = read_book(plain_book(tmp_path / "p.xlsx", rows))
    assert messages(book) == []
    it = book.items
    assert it["document"].tolist() == ["1001", "1002", "1003", "1004", "1005"]
    assert [d.date() for d in it["due_date"]] == [date(2026, 11, d) for d in (1, 2, 3, 4)] + [date(2026, 11, 4)]
    assert it["amount_minor"].tolist() == [1000, 123450, 200000, -12000, 10]


def test_bad_cells_are_reported_by_cell_and_good_rows_still_read(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount", "Currency", "Status"],
            ["Acme", "I1", "TBD", 10, "GBP", "open"],
            ["Acme", "I2", date(2026, 11, 1), "12,3x", "GBP", "open"],
            ["", "I3", date(2026, 11, 1), 5, "GBP", "open"],
            ["Acme", "I4", date(2026, 11, 1), 5, "EURO", "open"],
            ["Acme", "I5", date(2026, 11, 1), 5, "GBP", "maybe"],
            ["Acme", "I6", date(2026, 11, 1), 5, "GBP", "open"]]
    book = read_book(plain_book(tmp_path / "e.xlsx", rows))
    assert messages(book) == [
        'AR!C2: due date "TBD" is not a date',
        'AR!D3: amount "12,3x" is not an amount',
        "AR!A4: customer is empty",
        'AR!E5: currency "EURO" is not a 3-letter ISO code like EUR',
        'AR!F6: status "maybe" is not one of open, disputed, promise, plan, legal, closed (the row is skipped)']
    assert book.items["document"].tolist() == ["I6"]


QUICKBOOKS = [
    ["Northwind Supplies"], ["A/R Aging Detail"], ["As of November 30, 2026"], [],
    [None, "Date", "Transaction Type", "Num", "Customer", "Due Date", "Amount", "Open Balance"],
    ["Current"],
    [None, date(2026, 11, 20), "Invoice", "1001", "Acme Ltd", date(2026, 12, 20), 500, 500],
    ["Total for Current", None, None, None, None, None, 500, 500],
    ["1 - 30 days past due"],
    [None, date(2026, 10, 15), "Invoice", "0990", "Birch LLP", date(2026, 11, 14), 800, 300],
    [None, date(2026, 11, 25), "Payment", "", "Birch LLP", None, -150, -150],
    [None, date(2026, 11, 10), "Credit Memo", "CM-7", "Acme Ltd", None, 40, 40],
    ["Total for 1 - 30 days past due", None, None, None, None, None, 690, 190],
    [],
    ["TOTAL", None, None, None, None, None, 1190, 690],
]


def test_quickbooks_aging_detail_export(tmp_path):
    book = read_book(plain_book(tmp_path / "qb.xlsx", QUICKBOOKS, title="AR Aging Detail"))
    assert messages(book) == []
    it = book.items
    assert it["document"].tolist() == ["1001", "0990", "Payment", "CM-7"]
    assert it["customer"].tolist() == ["Acme Ltd", "Birch LLP", "Birch LLP", "Acme Ltd"]
    assert it["amount_minor"].tolist() == [50000, 30000, -15000, -4000]  # the credit memo counts against
    assert book.layout.header_row == 5 and book.layout.sheet == "AR Aging Detail"


XERO = [
    ["Aged Receivables Detail"], ["Northwind Supplies"], ["As at 30 November 2026"], [],
    ["Invoice Date", "Invoice Number", "Invoice Reference", "Due Date", "Total"],
    ["Acme Ltd"],
    [date(2026, 10, 1), "INV-0001", "PO 1", date(2026, 10, 31), 250.0],
    [date(2026, 11, 1), "INV-0007", "", date(2026, 12, 1), 100.0],
    ["Total Acme Ltd", None, None, None, 350.0],
    ["Birch LLP"],
    [date(2026, 9, 1), "INV-0002", "", date(2026, 10, 1), 75.5],
    ["Total Birch LLP", None, None, None, 75.5],
    ["Total", None, None, None, 425.5],
]


def test_xero_export_takes_the_customer_from_section_headings(tmp_path):
    book = read_book(plain_book(tmp_path / "xero.xlsx", XERO, title="Aged Receivables"))
    assert messages(book) == []
    it = book.items
    assert it["customer"].tolist() == ["Acme Ltd", "Acme Ltd", "Birch LLP"]
    assert it["amount_minor"].tolist() == [25000, 10000, 7550]


def test_settings_locale_and_column_mapping(tmp_path):
    rows = [["Kunde", "Beleg", "Zahlbar bis", "Offen"],
            ["Acme", "R1", "01.11.2026", "1.234,56"],
            ["Acme", "R2", "02.11.2026", "-5,00 €"]]
    book = read_book(plain_book(tmp_path / "de.xlsx", rows, settings={
        "Locale": "de_DE", "Currency": "EUR", "Column: customer": "Kunde", "Column: document": "Beleg",
        "Column: due date": "Zahlbar bis", "Column: balance": "Offen"}))
    assert messages(book) == []
    assert book.items["amount_minor"].tolist() == [123456, -500]
    assert [d.date() for d in book.items["due_date"]] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert book.items["currency"].tolist() == ["EUR", "EUR"]


def test_bad_setting_names_its_cell_and_the_default_applies(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", date(2026, 11, 1), 5]]
    book = read_book(plain_book(tmp_path / "s.xlsx", rows, settings={"Aging basis": "sometimes",
                                                                       "SMTP password": "hunter2"}))
    text = messages(book)
    assert text[0] == 'Settings!B1: Aging basis "sometimes" is not \'due date\' or \'invoice date\'; the default is used'
    assert text[1].startswith("Settings!B2: a password does not belong in the workbook") and "hunter2" not in text[1]
    assert book.settings.basis == "due"


def test_a_book_without_receivables_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(NoReceivables, match=r'n.xlsx: no receivables sheet found \(sheets: "AR"\)'):
        read_book(plain_book(tmp_path / "n.xlsx", [["hello", "world"]]))


def test_text_named_like_a_workbook_says_what_it_is_and_what_to_do(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("Customer,Invoice,Due,Amount\nAcme,1,2026-01-01,5\n")
    with pytest.raises(BookUnreadable, match=r"bad.xlsx is not an Excel workbook \(it looks like text/CSV\): "
                                             r"rename it to bad.csv"):
        read_book(bad)


def test_history_customers_and_previous_flags_are_read(tmp_path):
    rows = [["C1", "Acme Ltd", "", "", "", "INV-1", None, date(2026, 10, 31), 100, 0, None, "GBP", "open",
             None, "", "", ""]]
    hist = [["2026-11-20T10:00:00Z", "r1", "C1", "Acme Ltd", "GBP", "INV-1", 2, "email", "reminder", "sent", "", None,
             None, 100, "me", "", "<m@x>"],
            ["2026-11-21", "manual", "C1", "Acme Ltd", "", "", None, "phone", "", "promise", "", "soon", 50, None,
             "me", "", ""]]
    cust = [["C1", "Acme Ltd", "Ann", "ann@acme.example", "", "", "en", "Europe/London", "business", "yes", None]]
    book = read_book(build_workbook(tmp_path / "h.xlsx", rows, cust, hist))
    assert messages(book) == ['History!L3: promise date "soon" is not a date; promise ignored']
    assert book.history["action"].tolist() == ["sent", "promise"]
    assert book.history["level"].tolist()[0] == 2
    assert book.customers["do_not_contact"].tolist() == [True]


def test_the_bulk_path_is_used_when_the_origin_is_certain(tmp_path, reader_path):
    path = plain_book(tmp_path / "o.xlsx", QUICKBOOKS, title="AR")
    assert sheet_origin(path, "AR") == (1, 1)
    assert read_text_columns(path, "AR")[0] == 1


def test_a_table_starting_at_b3_names_the_right_cells(tmp_path, reader_path):
    def shifted(wb):
        ws = wb["AR"]
        ws.insert_rows(1, 2)
        ws.insert_cols(1)

    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", "TBD", 5],
            ["Acme", "I2", date(2026, 11, 1), 7]]
    book = read_book(plain_book(tmp_path / "b3.xlsx", rows, extra=shifted))
    assert messages(book) == ['AR!D4: due date "TBD" is not a date']
    assert book.items["row"].tolist() == [5] and book.layout.cell("amount", 5) == "AR!E5"


def test_huge_and_non_finite_amounts_are_reported_by_cell_without_a_numpy_warning(tmp_path):
    """1e308, nan and inf are validated before any numpy arithmetic: no RuntimeWarning reaches the clerk."""
    rows = [["Customer", "Invoice", "Due Date", "Amount"],
            ["Acme", "I1", date(2026, 11, 1), 1e308], ["Acme", "I2", date(2026, 11, 1), -1e308],
            ["Acme", "I3", date(2026, 11, 1), "nan"], ["Acme", "I4", date(2026, 11, 1), "inf"],
            ["Acme", "I5", date(2026, 11, 1), "-Infinity"], ["Acme", "I6", date(2026, 11, 1), 12.34]]

    def history(wb):
        ws = wb.create_sheet("History")
        ws.append(["Timestamp (UTC)", "Customer", "Action", "Amount Due", "Promise Amount"])
        ws.append(["2026-11-20T10:00:00Z", "Acme", "paid", "1e308", "nan"])
        ws.append(["2026-11-21T10:00:00Z", "Acme", "paid", "inf", 1e308])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = read_book(plain_book(tmp_path / "huge.xlsx", rows, extra=history))
    assert sorted(m.split(":")[0] for m in messages(book)) == ["AR!D2", "AR!D3", "AR!D4", "AR!D5", "AR!D6",
                                                                "History!D2", "History!D3", "History!E2", "History!E3"]
    assert book.items["document"].tolist() == ["I6"] and book.items["amount_minor"].tolist() == [1234]


def test_a_history_level_that_is_no_policy_level_is_reported_and_ignored(tmp_path):
    """Found by the 10,000-case bad-input campaign (seeds 397, 457): a Level of inf reached int() in dunning."""
    from addin.app import assess

    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", date(2026, 11, 1), 100]]
    levels = [2, 1e308, -1, 2.5, "two", "inf"]           # the last contact's level is the one dunning counts

    def history(wb):
        ws = wb.create_sheet("History")
        ws.append(["Timestamp (UTC)", "Customer", "Action", "Level"])
        for k, level in enumerate(levels):
            ws.append([f"2026-11-{10 + k}T10:00:00Z", "Acme", "sent", level])

    a = assess(plain_book(tmp_path / "levels.xlsx", rows, extra=history), date(2026, 11, 30),
               today=date(2026, 11, 30))
    assert [str(p).split(": level")[0] for p in a.problems] == [f"History!D{r}" for r in range(3, 8)]
    assert str(a.problems[-1]) == ('History!D7: level "inf" is not a whole number from 0 to 99 (a Policy level); '
                                   "the row's level is ignored")
    assert a.book.history["level"].tolist()[0] == 2.0 and a.decisions["level"].tolist() == [3]

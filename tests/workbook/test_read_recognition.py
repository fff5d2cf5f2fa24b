"""Recognising what is in a real export: headers by their words in six languages, columns by content,
dates and statuses as other systems write them, and saying what was understood."""
from datetime import date, timedelta

import pytest

from addin.workbook.inference import MissingColumn, mapping_lines
from addin.workbook.reader import read_book
from addin.workbook.template import build_workbook
from tests.workbook.test_reader import messages, plain_book, reader_path  # noqa: F401  (both reader paths)


def reasons(book):
    return {f: (c.header, c.reason) for f, c in book.layout.mapping.choices.items()}


def test_headers_matched_by_their_words(tmp_path):
    rows = [["ARCode", "customerID", "Document_Ref", "Document_Date", "pduedate", "InvoiceAmount",
             "Outstanding value", "Overdue days"],
            ["x", "C1", "D-1", date(2026, 9, 1), date(2026, 10, 1), 100, 60, 60],
            ["x", "C2", "D-2", date(2026, 9, 2), date(2026, 10, 2), 50.5, 50.5, 59]]
    book = read_book(plain_book(tmp_path / "t.xlsx", rows))
    assert messages(book) == []
    got = reasons(book)
    assert got["document"] == ("Document_Ref", "token") and got["due_date"] == ("pduedate", "token")
    assert got["balance"] == ("Outstanding value", "token") and got["amount"] == ("InvoiceAmount", "synonym")
    assert got["customer_id"][0] == "customerID" and "customer" not in got
    assert book.items["amount_minor"].tolist() == [6000, 5050]  # the balance, preferred over the amount
    assert book.items["customer"].tolist() == ["C1", "C2"]  # a customer id alone serves as the customer
    assert [d.date() for d in book.items["due_date"]] == [date(2026, 10, 1), date(2026, 10, 2)]
    assert book.layout.inferred


def test_with_only_a_customer_id_a_missing_customer_is_reported_at_the_id(tmp_path):
    rows = [["Invoice #", "Customer No", "Due Date", "Amount"], ["I1", "C1", date(2026, 10, 1), 5],
            ["I2", None, date(2026, 10, 1), 7]]
    book = read_book(plain_book(tmp_path / "id.xlsx", rows))
    assert messages(book) == ["AR!B3: customer is empty"]
    assert book.items["customer_key"].tolist() == ["C1"]


LANGUAGES = {
    "de": ["Kunde", "Rechnungsnr.", "Zahlbar bis", "Betrag", "Offener Betrag"],
    "fr": ["Client", "N° facture", "Échéance", "Montant", "Solde"],
    "es": ["Cliente", "Factura", "Vencimiento", "Importe", "Saldo"],
    "nl": ["Klant", "Factuurnummer", "Vervaldatum", "Bedrag", "Openstaand"],
    "it": ["Cliente", "Fattura", "Scadenza", "Importo", "Residuo"],
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_headers_in_five_more_languages_without_settings(tmp_path, lang):
    rows = [LANGUAGES[lang], ["Acme", "R-1", date(2026, 10, 1), 100, 40], ["Acme", "R-2", date(2026, 10, 5), 20, 20]]
    book = read_book(plain_book(tmp_path / f"{lang}.xlsx", rows))
    assert messages(book) == []
    assert set(book.layout.mapping.choices) == {"customer", "document", "due_date", "amount", "balance"}
    assert book.items["amount_minor"].tolist() == [4000, 2000]


def test_content_decides_what_no_header_says(tmp_path):
    rows = [["K", "N", "D1", "D2", "W1", "W2", "Zustand"],
            ["Acme", "A-1", date(2026, 9, 1), date(2026, 10, 1), 100, 30, "Partially Paid"],
            ["Acme", "A-2", date(2026, 9, 3), date(2026, 10, 3), 80, 80, "Open"],
            ["Birch", "B-1", date(2026, 9, 5), date(2026, 10, 20), 70, 0, "Received"]]
    book = read_book(plain_book(tmp_path / "c.xlsx", rows))
    assert messages(book) == []
    got = reasons(book)
    assert got["invoice_date"] == ("D1", "content") and got["due_date"] == ("D2", "content")
    assert got["document"] == ("N", "content") and got["customer"] == ("K", "content")
    assert got["amount"] == ("W1", "content") and got["balance"] == ("W2", "content")
    assert got["status"] == ("Zustand", "synonym")
    assert book.items["amount_minor"].tolist() == [3000, 8000, 0]
    assert book.items["status"].tolist() == ["open", "open", "closed"]


def test_a_column_of_status_words_is_the_status_and_real_systems_words_are_known(tmp_path):
    words = ["received", "Paid", "settled", "closed", "cleared", "partial", "partially paid", "overdue", "open",
             "outstanding", "unpaid", "due", "disputed", "in dispute", "on hold", "promise", "PTP", "plan",
             "legal", "collections", "agency", "written off", "void", "cancelled", "Bezahlt", "payée", "VENCIDA",
             "openstaand", "scaduta"]
    want = ["closed"] * 5 + ["open"] * 7 + ["disputed"] * 3 + ["promise"] * 2 + ["plan"] + ["legal"] * 3 + \
        ["closed"] * 3 + ["closed", "closed", "open", "open", "open"]
    rows = [["Customer", "Invoice", "Due Date", "Amount", "Classification"]] + [
        ["Acme", f"I{k}", date(2026, 10, 1), 10, w] for k, w in enumerate(words)]
    book = read_book(plain_book(tmp_path / "s.xlsx", rows))
    assert messages(book) == []
    assert reasons(book)["status"] == ("Classification", "content")
    assert book.items["status"].tolist() == want


def test_an_unknown_status_is_reported_once_per_value(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount", "Status"]] + [
        ["Acme", f"I{k}", date(2026, 10, 1), 10, "Frozen" if k % 2 else "open"] for k in range(6)] + [
        ["Acme", "J1", date(2026, 10, 1), 10, "weird"]]
    book = read_book(plain_book(tmp_path / "u.xlsx", rows))
    assert messages(book) == [
        'AR!E3: status "Frozen" is not one of open, disputed, promise, plan, legal, closed (3 rows like it are skipped)',
        'AR!E8: status "weird" is not one of open, disputed, promise, plan, legal, closed (the row is skipped)']
    assert book.items["document"].tolist() == ["I0", "I2", "I4"]


def test_us_text_dates_in_a_book_without_settings_are_read_month_first_and_said_once(tmp_path):
    rows = [["Customer", "Invoice", "Invoice Date", "Due Date", "Amount"],
            ["Acme", "1", "1/26/2013", "2/25/2013", 5],
            ["Acme", "2", "3/4/2013", "4/3/2013", 5],  # fits either order: read as the column is
            ["Acme", "3", date(2013, 5, 1), date(2013, 5, 31), 5]]
    book = read_book(plain_book(tmp_path / "us.xlsx", rows))
    assert messages(book) == []
    assert [d.date() for d in book.items["due_date"]] == [date(2013, 2, 25), date(2013, 4, 3), date(2013, 5, 31)]
    notes = [str(p) for p in book.notes]
    assert len(notes) == 1 and "text dates read month first (1/26/2013 is 26 January 2013)" in notes[0]


def test_day_first_dates_stay_day_first(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "1", "31/12/2012", 5], ["Acme", "2", "02/01/2013", 5]]
    book = read_book(plain_book(tmp_path / "gb.xlsx", rows))
    assert [d.date() for d in book.items["due_date"]] == [date(2012, 12, 31), date(2013, 1, 2)]
    assert book.notes == []


def test_a_missing_required_column_is_one_sentence_with_the_settings_line(tmp_path):
    rows = [["Customer", "Invoice", "Amount", "Notes"]] + [["Acme", f"I{k}", 5, "x"] for k in range(50)]
    path = plain_book(tmp_path / "m.xlsx", rows)
    with pytest.raises(MissingColumn) as info:
        read_book(path)
    text = str(info.value)
    assert text.startswith('m.xlsx: no due date (or invoice date) column found on sheet "AR" (headers on row 1: '
                           '"Customer", "Invoice", "Amount", "Notes")')
    assert "`Column: due date = <that header>`" in text and text.count("\n") == 0


def test_a_column_setting_naming_no_header_is_reported_at_its_cell(tmp_path):
    rows = [["Kunde", "Beleg", "Zahlbar bis", "Summe"], ["Acme", "R1", date(2026, 11, 1), 5]]
    book = read_book(plain_book(tmp_path / "cs.xlsx", rows, settings={"Column: amount": "Betrag"}))
    assert messages(book) == ['Settings!B1: Column: amount names "Betrag", but sheet "AR" has no such header '
                              '(its headers: "Kunde", "Beleg", "Zahlbar bis", "Summe"); the setting is ignored']
    assert book.items["amount_minor"].tolist() == [500]


def test_a_merged_range_that_blanks_item_rows_is_read_and_reported(tmp_path):
    def merge(wb):
        wb["AR"].merge_cells("A2:A3")

    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", date(2026, 10, 1), 5],
            [None, "I2", date(2026, 10, 2), 7], ["Birch", "I3", date(2026, 10, 3), 9]]
    book = read_book(plain_book(tmp_path / "mg.xlsx", rows, extra=merge))
    assert messages(book) == ['AR!A2:A3: merged cells: "Acme" is read for each of rows 2-3; unmerge them and fill '
                              'the value in each row']
    assert book.items["customer"].tolist() == ["Acme", "Acme", "Birch"]


def test_rows_repeated_in_every_cell_are_read_once(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", date(2026, 10, 1), 5],
            ["Acme", "I1", date(2026, 10, 1), 5], ["Acme", "I1", date(2026, 10, 1), 6]]
    book = read_book(plain_book(tmp_path / "dup.xlsx", rows))
    assert book.items["amount_minor"].tolist() == [500, 600]  # same document, another amount: its own item
    assert [str(p) for p in book.notes] == ["AR!B3: row 3 repeats an earlier row in every cell: read once"]


def test_a_cell_of_another_kind_far_down_a_typed_column_names_its_cell(tmp_path):
    start = date(2026, 1, 1)
    rows = [["Customer", "Invoice", "Due Date", "Amount"]] + [
        ["Acme", f"I{k}", start + timedelta(days=k % 300), 10.5] for k in range(1500)]
    rows[1201][2], rows[1301][3] = "TBD", "12,3x"
    book = read_book(plain_book(tmp_path / "far.xlsx", rows))
    assert messages(book) == ['AR!C1202: due date "TBD" is not a date', 'AR!D1302: amount "12,3x" is not an amount']
    assert len(book.items) == 1498 and book.items["amount_minor"].iat[0] == 1050


def test_amounts_are_exact_to_the_cent(tmp_path):
    rows = [["Customer", "Invoice", "Due Date", "Amount"]] + [
        ["Acme", f"I{k}", date(2026, 10, 1), v] for k, v in enumerate([2.675, 0.1 + 0.2, 1234567.89, -0.005, 1e-3])]
    book = read_book(plain_book(tmp_path / "x.xlsx", rows))
    assert book.items["amount_minor"].tolist() == [268, 30, 123456789, -1, 0]  # ROUND_HALF_UP as shown


def test_the_template_book_is_matched_exactly_and_not_reported_as_inferred(tmp_path):
    rows = [["C1", "Acme Ltd", "", "", "", "INV-1", date(2026, 10, 1), date(2026, 10, 31), 10, 0, None, "GBP",
             "open", None, "", "", ""]]
    book = read_book(build_workbook(tmp_path / "b.xlsx", rows))
    assert not book.layout.inferred
    assert {c.reason for c in book.layout.mapping.choices.values()} == {"exact"}
    lines = mapping_lines(book.layout.mapping)
    assert lines[0] == 'Receivables read from sheet "Receivables", header on row 1:'
    assert '  due date         H  "Due Date"  (exact)' in lines


def test_columns_and_sheets_arcollect_marks_as_its_own_are_never_read(tmp_path):
    from addin.workbook.package import XlsxPackage

    rows = [["Customer", "Invoice", "Due Date", "Amount"], ["Acme", "I1", date(2026, 10, 1), 5]]
    path = plain_book(tmp_path / "own.xlsx", rows, title="Summary")
    with XlsxPackage.open(path) as pkg:
        pkg.update_columns("Summary", 1, ["Bucket", "Days Past Due"], [2], [["1-30"], [45.0]])
        pkg.write_sheet("Aging", [c for c in ("Customer", "Document", "Due Date", "Balance")],
                        [["Other", "X9", date(2026, 1, 1), 99.0]])
        pkg.save()
    book = read_book(path)
    assert book.layout.sheet == "Summary"  # the user's sheet, whatever its name; the marked Aging is ours
    assert set(book.layout.columns) == {"customer", "document", "due_date", "amount"}
    assert list(book.layout.mapping.headers.values()) == ["Customer", "Invoice", "Due Date", "Amount"]
    assert book.items["document"].tolist() == ["I1"]


def test_only_the_column_whose_dates_need_it_is_read_the_other_way(tmp_path):
    rows = [["Customer", "Invoice", "Invoice Date", "Due Date", "Amount"],
            ["Acme", "1", "25/01/2013", "1/26/2013", 5],  # invoice dates day first, due dates month first
            ["Acme", "2", "03/02/2013", "3/4/2013", 5]]
    book = read_book(plain_book(tmp_path / "mixed.xlsx", rows))
    assert messages(book) == []
    assert [d.date() for d in book.items["invoice_date"]] == [date(2013, 1, 25), date(2013, 2, 3)]
    assert [d.date() for d in book.items["due_date"]] == [date(2013, 1, 26), date(2013, 3, 4)]
    assert [p.cell for p in book.notes] == ["AR!D1"]


def test_an_empty_required_column_is_named_once_not_reported_on_every_row(tmp_path):
    rows = [["Customer", "Invoice #", "Due Date", "Amount"]] + [["Acme", None, date(2026, 10, 1), 5]] * 3
    with pytest.raises(MissingColumn, match=r'e.xlsx: no document \(invoice number\) column found on sheet "AR"'):
        read_book(plain_book(tmp_path / "e.xlsx", rows))


def test_items_with_no_customer_column_and_no_section_headings_name_the_customer_once(tmp_path):
    rows = [["Invoice #", "Due Date", "Amount"], ["I1", date(2026, 10, 1), 5], ["I2", date(2026, 10, 1), 6]]
    with pytest.raises(MissingColumn, match=r"no customer \(or customer id\) column found"):
        read_book(plain_book(tmp_path / "nc.xlsx", rows))


def test_a_note_under_the_table_is_not_an_item(tmp_path):
    rows = [["Invoice #", "Customer", "Due Date", "Open Advance (ILS)"], ["I1", "Acme", date(2026, 10, 1), 5], [],
            ["Snapshot of the ledger, open positions only. Amounts are the outstanding advance in ILS."]]
    book = read_book(plain_book(tmp_path / "note.xlsx", rows))
    assert messages(book) == [] and book.items["document"].tolist() == ["I1"]
    assert book.items["currency"].tolist() == ["ILS"]  # a book without Settings: the header names the currency

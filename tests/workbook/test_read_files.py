"""Files as clerks bring them: CSV exports read directly, and files that are not workbooks told what to do."""
import json
import zipfile
from datetime import date

import pytest

from addin.cli import main
from addin.workbook.csvbook import decode, read_csv_receivables, sniff_delimiter
from addin.workbook.package import BookUnreadable
from addin.workbook.reader import read_book

GERMAN = ("Export Offene Posten;;;\r\n;;;\r\nKunde;Rechnungsnr.;Fällig;Betrag\r\n"
          "Müller GmbH;R-1;01.10.2026;1.234,56\r\nMüller GmbH;R-2;15.10.2026;99,90\r\n")


def test_a_semicolon_csv_in_windows_1252_with_decimal_commas(tmp_path):
    path = tmp_path / "offene posten.csv"
    path.write_bytes(GERMAN.encode("cp1252"))
    book = read_book(path)
    assert book.problems == []
    assert book.layout.sheet == "offene posten" and book.layout.header_row == 3
    assert book.items["customer"].tolist() == ["Müller GmbH", "Müller GmbH"]
    assert book.items["amount_minor"].tolist() == [123456, 9990]
    assert [d.date() for d in book.items["due_date"]] == [date(2026, 10, 1), date(2026, 10, 15)]
    assert [str(p) for p in book.notes] == ['offene posten!D3: amounts read with a decimal comma ("1.234,56"): '
                                            "the locale's separators do not fit them"]


def test_a_tab_separated_utf8_csv_with_a_byte_order_mark_and_us_dates(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(("\ufeffInvoiceID\tCustomerName\tDueDate\tInvoiceAmount\tPaidAmount\tStatus\n"
                      "INV-1\tAlpha Co\t10/31/2025\t1,200.00\t200\tPartially Paid\n"
                      "INV-2\tBeta LLC\t11/4/2025\t850\t0\tOverdue\n").encode("utf-8"))
    found = read_csv_receivables(path)
    assert found.problems == []
    assert {f: c.header for f, c in found.layout.mapping.choices.items()} == {
        "document": "InvoiceID", "customer": "CustomerName", "due_date": "DueDate", "amount": "InvoiceAmount",
        "paid": "PaidAmount", "status": "Status"}
    assert found.items["amount_minor"].tolist() == [120000, 85000]
    assert found.items["paid_minor"].tolist() == [20000, 0]
    assert [d.date() for d in found.items["due_date"]] == [date(2025, 10, 31), date(2025, 11, 4)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(encoding):
    text = "Société;Montant\r\nÉté;1,5\r\n"
    assert decode(text.encode(encoding))[0].lstrip("\ufeff") == text
    assert sniff_delimiter(text) == ";"


def test_age_reads_a_csv_and_columns_says_what_was_understood(tmp_path, capsys):
    path = tmp_path / "aging.csv"
    path.write_text("Customer,Invoice #,Due Date,Amount\nAcme,1,2026-10-01,100\nAcme,2,2026-11-29,50\n")
    assert main(["age", str(path), "--as-of", "2026-11-30", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [i["cell"] for i in doc["invoices"]] == ["aging!B2", "aging!B3"]
    assert doc["totals"]["Total"] == "150.00"
    assert main(["columns", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'Receivables read from sheet "aging", header on row 1:'
    assert '  document    B  "Invoice #"  (exact)' in out and out[-1] == "2 item(s) read"


def test_a_missing_column_exits_2_with_one_sentence(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("Customer,Invoice,Notes\nAcme,1,hello\n")
    assert main(["age", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no open balance or amount column found" in err[0] and "Column: open balance" in err[0]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name, make, says", [
    ("t.xlsx", lambda p: p.write_text("Customer,Amount\nAcme,5\n"), "it looks like text/CSV): rename it to t.csv"),
    ("b.xlsx", lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "xl/workbook.bin": "x"}), "(.xlsb)"),
    ("o.xlsx", lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                                  "content.xml": "<x/>"}), "OpenDocument"),
    ("cut.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 200), "damaged"),
])
def test_files_that_are_not_workbooks_say_what_they_are(tmp_path, capsys, name, make, says):
    path = tmp_path / name
    make(path)
    with pytest.raises(BookUnreadable, match=None) as info:
        read_book(path)
    assert says in str(info.value) and "EOCD" not in str(info.value)
    assert main(["age", str(path)]) == 2
    assert "calamine" not in capsys.readouterr().err.lower()


def test_a_csv_whose_headers_no_word_matches_is_read_by_content(tmp_path):
    path = tmp_path / "ctas.csv"
    path.write_text("codcli,coddoc,numsun,fecdoc,fecvct,mondoc,sldacl\n"
                    "000001,01,101,2025-12-05,2025-12-30,100.00,60.00\n"
                    "000001,01,102,2025-12-05,2025-12-30,200.00,200.00\n"
                    "000002,01,201,2025-12-06,2026-01-05,50.00,50.00\n")
    found = read_csv_receivables(path)
    assert {f: (c.header, c.reason) for f, c in found.layout.mapping.choices.items()} == {
        "customer_id": ("codcli", "token"), "document": ("numsun", "content"), "invoice_date": ("fecdoc", "token"),
        "due_date": ("fecvct", "token"), "amount": ("mondoc", "content"), "balance": ("sldacl", "content")}
    assert found.items["amount_minor"].tolist() == [6000, 20000, 5000]

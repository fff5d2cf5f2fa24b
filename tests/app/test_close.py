"""`arcollect close` on real workbooks: the pack, the roll-forward between two closes, re-closing, refusing."""
import json
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.workbook.package import XlsxPackage
from addin.workbook.template import build_workbook
from tests.xlsx_checks import assert_unchanged_except, check_package, members


def row(cid, name, doc, invoiced, due, amount, paid=0, paid_on=None, currency="GBP", status="open"):
    return [cid, name, "", "", "", doc, date.fromisoformat(invoiced), date.fromisoformat(due), amount, paid,
            paid_on and date.fromisoformat(paid_on), currency, status, None, "business", "en", ""]


@pytest.fixture
def book(tmp_path):
    rows = [row("C1", "Acme Ltd", "INV-1", "2026-09-10", "2026-10-10", 1200.00),             # row 2
            row("C1", "Acme Ltd", "INV-2", "2026-10-05", "2026-11-04", 300.00),              # row 3
            row("C2", "Birch GmbH", "R-9", "2026-08-01", "2026-08-31", 500.00),              # row 4
            row("C3", "Cobalt plc", "INV-3", "2026-10-20", "2026-11-19", 250.00),            # row 5
            row("C4", "Delta SA", "F-1", "2026-10-15", "2026-11-14", 800.00, currency="EUR"),  # row 6
            row("C1", "Acme Ltd", "INV-7", "2026-11-12", "2026-12-12", 400.00),              # row 7: November
            row("C3", "Cobalt plc", "CN-1", "2026-11-20", "2026-11-20", -50.00)]             # row 8: credit note
    history = [contact("2026-10-20T09:00:00Z", "C1", "Acme Ltd", 1, "sent", "reminder"),
               contact("2026-10-20T09:00:00Z", "C2", "Birch GmbH", 3, "sent", "final"),
               contact("2026-11-01T10:00:00Z", "C2", "Birch GmbH", None, "promise", "", promise="2026-11-10")]
    return build_workbook(tmp_path / "book.xlsx", rows, history=history)


def contact(ts, cid, name, level, action, template, promise=None):
    return [ts, "run-20261020-090000Z", cid, name, "GBP", "", level, "email", template, action, "",
            promise and date.fromisoformat(promise), 500 if promise else None, None, "", "", ""]


def close(book, *args, capsys):
    status = main(["close", str(book), *args, "--json"])
    out = capsys.readouterr()
    return status, (json.loads(out.out) if out.out.strip() else None), out.err


def sheet(book, name):
    return CalamineWorkbook.from_path(str(book)).get_sheet_by_name(name).to_python()


def test_first_close_prints_the_documented_json(book, capsys):
    status, out, _ = close(book, "--as-of", "2026-10-31", "--loss-rates", "0.3,1.6,3.6,6.6,10.6", capsys=capsys)
    assert status == 0
    assert {"as_of", "period", "dso", "best_possible_dso", "add", "cei", "pct_over_90", "provision",
            "rollforward"} <= set(out)
    assert out["as_of"] == "2026-10-31" and out["period"] == "2026-10" and out["currency"] == "GBP"
    # the opening is the book on 30 September: INV-1 (1,200) and R-9 (500); October invoiced INV-2, INV-3
    assert out["rollforward"] == {"opening": "1700.00", "invoiced": "550.00", "received": "0.00", "credited": "0.00",
                                  "written_off": "0.00", "closing": "2250.00", "difference": "0.00",
                                  "unexplained_items": 0}
    # aging at 31 October: Current 550 (INV-2, INV-3), 1-30 1,200 (INV-1, 21 days), 61-90 500 (R-9, 61 days)
    assert out["provision"]["by_bucket"] == {"Current": "1.65", "1-30": "19.20", "31-60": "0.00", "61-90": "33.00",
                                             "91+": "0.00"}
    assert out["provision"]["total"] == "53.85" and out["provision"]["movement"] is None
    # CRF: DSO = 2,250 / 550 x 31 = 126.8; best possible = 550 / 550 x 31 = 31.0; ADD = 95.8
    assert (out["dso"], out["best_possible_dso"], out["add"]) == ("126.8", "31.0", "95.8")
    # CEI = (1,700 + 550 - 2,250) / (1,700 + 550 - 550) = 0 %
    assert out["cei"] == "0.0" and out["pct_over_90"] == "0.0"
    assert out["by_currency"]["EUR"]["rollforward"]["closing"] == "800.00"
    assert out["sheets"] == ["Close 2026-10", "Close Summary", "Close Migration", "What Changed",
                             "Collection Effectiveness", "Payment Risk", "Close Periods"]
    snap = sheet(book, "Close 2026-10")
    assert snap[0][:4] == ["Cell", "Customer Key", "Customer", "Document"] and len(snap) == 1 + 5
    assert snap[1][0] == "Receivables!F2" and snap[1][9] == 1200.0 and snap[1][11] == "1-30"
    check_package(book)


def pay(book, cells):
    """The clerk records payments in Receivables, as Excel would save them."""
    with XlsxPackage.open(book) as pkg:
        pkg.set_values("Receivables", cells)
        pkg.save()


def test_the_next_close_rolls_forward_from_the_snapshot(book, capsys):
    assert close(book, "--as-of", "2026-10-31", "--loss-rates", "0.3,1.6,3.6,6.6,10.6", capsys=capsys)[0] == 0
    pay(book, {"J2": 1200.0, "K2": date(2026, 11, 9), "M2": "paid",        # INV-1 paid in full
               "J3": 100.0, "K3": date(2026, 11, 20),                       # INV-2 part paid
               "M4": "written off"})                                        # R-9 written off
    status, out, _ = close(book, "--as-of", "2026-11-30", "--loss-rates", "0.3,1.6,3.6,6.6,10.6", capsys=capsys)
    assert status == 0 and out["opening_from"] == "the close of 2026-10 (as of 2026-10-31)"
    assert out["rollforward"] == {"opening": "2250.00", "invoiced": "400.00", "received": "1300.00",
                                  "credited": "50.00", "written_off": "500.00", "closing": "800.00",
                                  "difference": "0.00", "unexplained_items": 0}
    assert out["provision"]["previous"] == "53.85"
    assert out["roll_rates"]["Current"] == "81.8"   # of the 550 Current, INV-2 (200 left) and INV-3 (250) rolled
    changed = sheet(book, "What Changed")
    kinds = {(r[0], r[3]) for r in changed[1:] if not r[0].startswith(("promise", "level"))}
    assert {("settled", "INV-1"), ("written off", "R-9"), ("new", "INV-7"), ("new", "CN-1"),
            ("part settled", "INV-2")} == kinds             # INV-3 and F-1 only aged: counted on Close Migration
    assert [r[3:5] for r in sheet(book, "Payment Risk")[1:3]] == [
        [24, "settled 2 item(s) on average 23 days late; oldest open item 26 days overdue; no promises due; "
             "no disputes"],                              # INV-1 30 and INV-2 16 days late: 15.3 + 26/90 x 30
        [5, "no settled items to judge by; oldest open item 16 days overdue; no promises due; no disputes"]]
    effect = {(r[0], r[1]): r[2:] for r in sheet(book, "Collection Effectiveness")[1:]}
    assert effect[(1.0, "reminder")] == [1.0, 1.0, 100.0, 20.0, 0.0]      # Acme paid 20 days after its reminder
    assert effect[(3.0, "final")] == [1.0, 0.0, 0.0, "", 0.0]
    promised = [r for r in changed[1:] if r[0].startswith("promise")]
    assert promised == [["promise broken", "Birch GmbH", "GBP", "promised for 2026-11-10", 500.0, "", "", "", "",
                         "", "", ""]]
    # each item's movement in its own column: INV-1 received, R-9 written off, the credit note credited
    how = {r[3]: r[6:9] for r in changed[1:] if r[3] in ("INV-1", "R-9", "CN-1")}
    assert how == {"INV-1": [1200.0, 0.0, 0.0], "R-9": [0.0, 0.0, 500.0], "CN-1": [0.0, 50.0, 0.0]}
    # levels kept in the October snapshot: Birch (final level 3) has nothing open now, Delta reached level 2
    assert [(r[0], r[1], r[11]) for r in changed[1:] if r[0].startswith("level")] == [
        ("level up", "Delta SA", "level 0 at the previous close, 2 now"),
        ("level down", "Birch GmbH", "level 3 at the previous close, nothing open now")]
    periods = sheet(book, "Close Periods")
    assert [(r[0], r[3]) for r in periods[1:]] == [("2026-10", "GBP"), ("2026-11", "GBP"), ("2026-10", "EUR"),
                                                  ("2026-11", "EUR")]


def test_closing_a_period_again_replaces_its_sheets_and_changes_nothing_else(book, capsys):
    assert close(book, "--as-of", "2026-11-30", capsys=capsys)[0] == 0
    first = values(book)
    status, out, _ = close(book, "--as-of", "2026-11-30", capsys=capsys)
    assert status == 0
    assert values(book) == first            # the same sheets, the same values: nothing duplicated or added
    assert len(first["Close Periods"]) == 1 + 2


def values(book):
    wb = CalamineWorkbook.from_path(str(book))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_only_the_close_sheets_change(book, capsys):
    before = members(book)
    assert close(book, "--as-of", "2026-11-30", capsys=capsys)[0] == 0
    assert_unchanged_except(before, book, lambda n: n in {"xl/workbook.xml", "[Content_Types].xml",
                                                          "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                                                          "docProps/app.xml", "docProps/core.xml"})
    check_package(book)


def test_an_earlier_as_of_is_refused_unless_reopened(book, capsys):
    assert close(book, "--as-of", "2026-11-30", capsys=capsys)[0] == 0
    before = members(book)
    status, out, err = close(book, "--as-of", "2026-10-31", capsys=capsys)
    assert status == 2 and out is None
    assert "earlier than the last close (2026-11, as of 2026-11-30)" in err and "--reopen" in err
    assert members(book) == before
    status, out, _ = close(book, "--as-of", "2026-10-31", "--reopen", capsys=capsys)
    assert status == 0 and out["period"] == "2026-10"


def test_sales_and_period_start_flags(book, capsys):
    status, out, _ = close(book, "--as-of", "2026-11-30", "--sales", "10000", "--period-start", "2026-11-15",
                           capsys=capsys)
    assert status == 0 and out["period"] == "2026-11-15 to 2026-11-30" and out["credit_sales"] == "10000.00"
    assert out["credit_sales_from"] == "--sales"
    assert main(["close", str(book), "--as-of", "2026-11-30", "--loss-rates", "1,2"]) == 2
    assert "2 loss rate(s) given for 5 buckets" in capsys.readouterr().err


def test_a_run_log_is_written_beside_the_book(book, capsys):
    status, out, _ = close(book, "--as-of", "2026-11-30", capsys=capsys)
    log = book.parent / "book close"
    files = list(log.glob("close-2026-11-*.log"))
    assert len(files) == 1 and out["log"] == str(files[0])
    assert "Close 2026-11 as of 2026-11-30" in files[0].read_text()


def test_the_readable_report(book, capsys):
    assert main(["close", str(book), "--as-of", "2026-11-30"]) == 0
    text = capsys.readouterr().out
    assert "= Closing" in text and "DSO" in text and "Wrote Close 2026-11" in text


def test_libreoffice_reads_the_pack_and_the_next_close_reads_what_it_saved(book, capsys, tmp_path):
    from tests.libreoffice import recalculate, require_soffice

    require_soffice()
    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    saved = recalculate([book], tmp_path / "lo")[0]            # an independent reader opens it and saves it
    summary = {r[0]: r[1:] for r in sheet(saved, "Close Summary")[1:]}
    assert summary["= Closing balance"][:2] == [2250.0, 800.0]
    assert sheet(saved, "Close 2026-10")[1][:4] == ["Receivables!F2", "C1", "Acme Ltd", "INV-1"]
    status, out, _ = close(saved, "--as-of", "2026-11-30", capsys=capsys)
    assert status == 0 and out["opening_from"] == "the close of 2026-10 (as of 2026-10-31)"
    assert out["rollforward"]["opening"] == "2250.00" and out["rollforward"]["difference"] == "0.00"


def test_customers_who_settled_get_a_thank_you_draft_once_and_statements_list_their_items(book, capsys):
    from pypdf import PdfReader

    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    pay(book, {"D2": "ann@acme.example", "J2": 1200.0, "K2": date(2026, 11, 9), "J3": 300.0,    # Acme settles
               "K3": date(2026, 11, 20),
               "J7": 400.0, "K7": date(2026, 11, 25)})                                       # INV-7 too
    status, out, _ = close(book, "--as-of", "2026-11-30", "--statements", capsys=capsys)
    assert out["errors"] == [] and out["thank_you_drafts"] == 1
    drafts = list((book.parent / "book outbox").glob("*.eml"))
    assert len(drafts) == 1 and b"Thank you" in drafts[0].read_bytes()
    history = sheet(book, "History")
    assert [(r[3], r[8], r[9]) for r in history[1:] if r[9] == "drafted"] == [("Acme Ltd", "thank_you", "drafted")]
    assert out["statements"] == 3                  # Birch and Cobalt in GBP, Delta in EUR
    text = "".join(p.extract_text() for p in PdfReader(out["statements_file"]).pages)
    assert "Statement of account at 30 November 2026" in text and "R-9" in text and "By age:" in text
    status, again, _ = close(book, "--as-of", "2026-11-30", capsys=capsys)
    assert again["thank_you_drafts"] == 0 and len(list((book.parent / "book outbox").glob("*.eml"))) == 1
    assert len(sheet(book, "History")) == len(history)


def test_charts_and_a_one_page_summary_beside_the_run_log(book, capsys):
    from PIL import Image
    from pypdf import PdfReader

    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    status, out, _ = close(book, "--as-of", "2026-11-30", "--loss-rates", "0.3,1.6,3.6,6.6,10.6", capsys=capsys)
    aging, provision, dso, pdf = map(Path, out["files"])
    assert aging.parent == Path(out["log"]).parent and provision.name == "close-2026-11-provision.png"
    assert Image.open(aging).size == (800, 420) and Image.open(dso).format == Image.open(provision).format == "PNG"
    pages = PdfReader(pdf).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "Receivables close 2026-11" in text and "Roll-forward" in text and "800.00" in text
    assert "Provision by bucket (GBP)" in text and "DSO by period (GBP)" in text


def charts_of(book, sheet_name) -> list[dict]:
    """The native charts drawn on a sheet, read with the hardened parser: title, categories and values ranges."""
    import posixpath
    import zipfile

    from addin.workbook.safexml import parse

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships",
          "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    with zipfile.ZipFile(book) as z:
        def rels(part):
            folder, name = posixpath.split(part)
            root = parse(z.read(f"{folder}/_rels/{name}.rels"))
            return {r.get("Id"): (r.get("Type").rsplit("/", 1)[1], posixpath.normpath(posixpath.join(folder, r.get("Target"))))
                    for r in root.findall("p:Relationship", ns)}
        wb = parse(z.read("xl/workbook.xml"))
        rid = next(s.get(f"{{{ns['r']}}}id") for s in wb.iterfind("m:sheets/m:sheet", ns) if s.get("name") == sheet_name)
        sheet = rels("xl/workbook.xml")[rid][1]
        (drawing,) = [t for typ, t in rels(sheet).values() if typ == "drawing"]
        out = []
        for rid, (typ, part) in sorted(rels(drawing).items()):
            root = parse(z.read(part))
            out.append({"title": "".join(root.find("c:chart/c:title", ns).itertext()),
                        "categories": root.findtext(".//c:ser/c:cat//c:f", namespaces=ns),
                        "values": root.findtext(".//c:ser/c:val//c:f", namespaces=ns)})
        return out


def cells(rows, ref):
    """The values of a one-column range ('Close Summary'!$B$14:$B$18) from a sheet's rows (row 1 first)."""
    import re

    col, top, _, bottom = re.fullmatch(r"'?[^!]*'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref).groups()
    return [rows[r - 1][ord(col) - ord("A")] for r in range(int(top), int(bottom) + 1)]


def test_the_summary_has_native_charts_of_aging_provision_and_the_dso_trend(book, capsys):
    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    status, out, _ = close(book, "--as-of", "2026-11-30", "--loss-rates", "0.3,1.6,3.6,6.6,10.6", capsys=capsys)
    rows = sheet(book, "Close Summary")
    aging, provision, dso = charts_of(book, "Close Summary")
    buckets = ["Current", "1-30", "31-60", "61-90", "91+"]
    assert aging["title"] == "Receivables by age at 2026-11-30 (GBP)"
    assert cells(rows, aging["categories"]) == buckets and aging["values"].startswith("'Close Summary'!$B$")
    assert cells(rows, aging["values"]) == [float(out["aging"][b]) for b in buckets]
    assert provision["title"] == "Provision by bucket at 2026-11-30 (GBP)" and provision["categories"] == aging["categories"]
    assert cells(rows, provision["values"]) == [float(out["provision"]["by_bucket"][b]) for b in buckets]
    assert dso["title"] == "DSO by period (GBP)" and cells(rows, dso["categories"]) == ["2026-10", "2026-11"]
    assert cells(rows, dso["values"])[-1] == float(out["dso"])
    assert charts_of(book, "Close Periods")[0]["title"] == "DSO by period (GBP)"   # the ledger keeps its own
    check_package(book)


def test_without_loss_rates_they_are_derived_from_the_kept_closes(book, capsys):
    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    assert close(book, "--as-of", "2026-11-30", capsys=capsys)[0] == 0
    pay(book, {"J5": 250.0, "K5": date(2026, 12, 10), "M4": "written off"})   # INV-3 paid, R-9 (91+) written off
    status, out, _ = close(book, "--as-of", "2026-12-31", capsys=capsys)
    # roll rates kept: Current 100, 100, 100; 1-30 0 (R-9 skipped a bucket in 31 days), 100, 50; 31-60 100;
    # 61-90 100; 91+ written off 100 % -> loss rates 50, 50, 100, 100, 100 (roll-rate method)
    assert out["provision"]["rates"] == {"Current": "50.00", "1-30": "50.00", "31-60": "100.00", "61-90": "100.00",
                                         "91+": "100.00"}
    assert out["provision"]["by_bucket"] == {"Current": "0.00", "1-30": "200.00", "31-60": "250.00",
                                             "61-90": "1200.00", "91+": "0.00"}
    assert out["roll_rates"]["1-30"] == "50.0"
    assert out["provision"]["rates_from"] == "the roll rates and write-offs of 3 close(s) (roll-rate method)"


def test_rates_derived_without_a_write_off_are_all_zero_and_the_pack_says_so(book, capsys):
    for as_of in ("2026-10-31", "2026-11-30"):
        assert close(book, "--as-of", as_of, capsys=capsys)[0] == 0
    pay(book, {"J5": 250.0, "K5": date(2026, 12, 10)})                      # paid, nothing written off
    status, out, _ = close(book, "--as-of", "2026-12-31", capsys=capsys)
    assert status == 0 and set(out["provision"]["rates"].values()) == {"0.00"} and out["provision"]["total"] == "0.00"
    assert out["provision"]["rates_from"].endswith(
        "; nothing of the oldest bucket written off yet, so every rate is 0 %: give --loss-rates or Loss rates "
        "in Settings")


def test_a_missing_snapshot_is_reported_and_the_opening_rebuilt_from_the_book(book, capsys):
    assert close(book, "--as-of", "2026-10-31", capsys=capsys)[0] == 0
    with XlsxPackage.open(book) as pkg:          # the ledger now names a snapshot the book does not hold
        pkg.set_values("Close Periods", {"E2": "Close 1999-01", "E3": "Close 1999-01"})
        pkg.save()
    status, out, err = close(book, "--as-of", "2026-11-30", capsys=capsys)
    assert status == 1 and out["opening_from"] == "the book as it stood on 2026-10-31 (no earlier close)"
    assert 'book.xlsx:Close Periods: the snapshot "Close 1999-01" of the close of 2026-10 is no longer in the book' in err
    assert out["rollforward"]["difference"] == "0.00"

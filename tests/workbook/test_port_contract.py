"""One contract for both workbook ports: the file on disk and the book open in Excel (through xlwings).

Every test runs the real use cases against each port. The live port runs on
tests/workbook/fake_xlwings.py, a recording fake of xlwings' Book surface
(desktop Excel cannot run here); the last test runs both on the same book and
compares every sheet they wrote, value by value.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from addin.app import log_contact, refresh
from addin.app.init import init_book
from addin.app.session import workbook
from addin.app.demo_data import demo_rows
from addin.workbook.live import LiveWorkbook, _cell
from addin.workbook.package import MARK_COLUMNS, mark_name
from addin.workbook.reader import read_book
from addin.workbook.schema import FLAG_HEADERS
from addin.workbook.template import build_workbook
from addin.workbook.xlsx_xml import Formula, Link
from tests.workbook import fake_xlwings

AS_OF = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
OWNED = ["Summary", "Actions", "Aging", "Errors"]


def _norm(v):
    """A cell as the clerk sees it, whoever stored it: numbers exact, dates as dates, blanks as None."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return Decimal(repr(float(v))).normalize()
    if isinstance(v, datetime):
        return v.date() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.replace(microsecond=0)
    return v


def _trim(rows):
    rows = [[_norm(v) for v in r] for r in rows]
    rows = [r[:max((i + 1 for i, v in enumerate(r) if v is not None), default=0)] for r in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


class FilePort:
    def __init__(self, path):
        self.target, self.path = path, path

    def sheet_names(self):
        return CalamineWorkbook.from_path(str(self.path)).sheet_names

    def values(self, sheet):
        return _trim(CalamineWorkbook.from_path(str(self.path)).get_sheet_by_name(sheet).to_python(
            skip_empty_area=False))

    def defined(self):
        import zipfile
        import re
        xml = zipfile.ZipFile(self.path).read("xl/workbook.xml").decode()
        return dict(re.findall(r'<definedName name="([^"]+)"[^>]*>([^<]+)<', xml))


class LivePort:
    def __init__(self, book):
        self.book = book
        self.target = LiveWorkbook(book)

    def sheet_names(self):
        return [s.name for s in self.book.sheets]

    def values(self, sheet):
        return _trim(self.book.sheets[sheet].grid())

    def defined(self):
        return {n.name: n.refers_to.lstrip("=") for n in self.book.names}


def demo_book(path, **extra):
    receivables, customers, history, plans = demo_rows(AS_OF, customers=12)
    return build_workbook(path, receivables, customers, history, plans, **extra)


def make_port(kind, path):
    return FilePort(path) if kind == "file" else LivePort(fake_xlwings.Book.from_file(path))


@pytest.fixture(params=["file", "live"])
def port(request, tmp_path):
    return make_port(request.param, demo_book(tmp_path / "ar.xlsx"))


def test_reads_the_book_as_the_file_reader_does(port):
    book = workbook(port.target).read()
    on_disk = read_book(demo_book(book.path.parent / "copy.xlsx"))
    assert book.path.name == "ar.xlsx"
    for column in ("row", "customer_key", "document", "currency", "amount_minor", "paid_minor", "due_date"):
        assert book.items[column].tolist() == on_disk.items[column].tolist()
    assert [(p.cell, p.message) for p in book.problems] == [(p.cell, p.message) for p in on_disk.problems]
    assert book.settings == on_disk.settings


def test_refresh_writes_owned_sheets_and_flags(port):
    result = refresh(port.target, AS_OF, today=AS_OF, now=NOW, drafts=False)
    assert set(OWNED) <= set(result.written)
    names = port.sheet_names()
    assert set(OWNED) <= set(names)
    head = port.values("Receivables")[0]
    assert head[-3:] == list(FLAG_HEADERS)
    aged = result.assessment.aged
    rows = port.values("Receivables")
    days = {int(r): rows[int(r) - 1][len(head) - 3] for r in aged["row"]}
    assert days == {int(r): None if d != d else Decimal(int(d)) for r, d in zip(aged["row"], aged["days_past_due"])}
    assert len(port.values("Aging")) == len(aged) + 1
    defined = port.defined()
    assert {mark_name(role) for role in OWNED} <= set(defined) and MARK_COLUMNS in defined


def test_refresh_again_rewrites_the_same_sheets_and_columns(port):
    refresh(port.target, AS_OF, today=AS_OF, now=NOW, drafts=False)
    names, width = port.sheet_names(), len(port.values("Receivables")[0])
    refresh(port.target, AS_OF, today=AS_OF, now=NOW, drafts=False)
    assert port.sheet_names() == names
    assert len(port.values("Receivables")[0]) == width


def test_a_users_sheet_named_like_ours_is_left_alone(tmp_path):
    for kind in ("file", "live"):
        path = tmp_path / kind / "ar.xlsx"
        import openpyxl
        demo_book(path)
        wb = openpyxl.load_workbook(path)
        wb.create_sheet("Summary").append(["my own summary", 42])
        wb.save(path)
        p = make_port(kind, path)
        refresh(p.target, AS_OF, today=AS_OF, now=NOW, drafts=False)
        assert p.values("Summary") == [["my own summary", Decimal(42)]], kind
        assert "Summary (arcollect)" in p.sheet_names(), kind


def test_log_appends_to_history_and_never_rewrites(port):
    before = port.values("History")
    first = log_contact(port.target, "C0001", "promise", now=NOW, when=date(2026, 12, 7), amount="250")
    log_contact(port.target, "C0002", "note", now=NOW, reason="asked for a copy")
    after = port.values("History")
    assert after[:len(before)] == before
    assert len(after) == len(before) + 2
    assert first.entry.customer_id in after[len(before)]
    assert "asked for a copy" in " ".join(str(v) for v in after[-1])


def test_drafts_are_logged_once(port):
    result = refresh(port.target, AS_OF, today=AS_OF, now=NOW, drafts=True)
    drafted = len(result.drafts.entries)
    assert drafted > 0
    history = port.values("History")
    again = refresh(port.target, AS_OF, today=AS_OF, now=NOW, drafts=True)
    assert again.drafts.entries == [] and again.drafts.skipped
    assert port.values("History") == history


def test_init_adds_what_is_missing_and_keeps_the_rest(tmp_path):
    import openpyxl
    for kind in ("file", "live"):
        path = tmp_path / kind / "ar.xlsx"
        path.parent.mkdir()
        wb = openpyxl.Workbook()
        wb.active.title = "Receivables"
        wb.active.append(["Customer", "Invoice #", "Due Date", "Open Balance"])
        wb.active.append(["Acme Ltd", "INV-1", date(2026, 10, 1), 120.5])
        wb.save(path)
        p = make_port(kind, path)
        first = init_book(p.target)
        assert first.added == ["Settings", "Policy", "Customers", "History", "Plans"], kind
        again = init_book(p.target)
        assert again.added == [] and again.kept == first.added, kind
        assert p.values("Customers")[1][:2] == [None, "Acme Ltd"] or p.values("Customers")[1][1] == "Acme Ltd"


def test_live_writes_what_the_file_writes(tmp_path):
    file, live = (make_port(kind, demo_book(tmp_path / kind / "ar.xlsx")) for kind in ("file", "live"))
    for p in (file, live):
        refresh(p.target, AS_OF, today=AS_OF, now=NOW, drafts=False)
        log_contact(p.target, "C0003", "called", now=NOW)
    assert live.sheet_names() == file.sheet_names()
    for sheet in file.sheet_names():
        assert live.values(sheet) == file.values(sheet), sheet


@pytest.mark.parametrize("value, excel", [
    (Decimal("12.30"), 12.3), (float("nan"), None), (np.int64(7), 7), (np.float64(2.5), 2.5), (np.bool_(True), True),
    (np.datetime64("NaT"), None), (pd.Timestamp("2026-11-30 10:00", tz="UTC"), datetime(2026, 11, 30, 10, 0)),
    (np.datetime64("2026-11-30"), datetime(2026, 11, 30)), (pd.NA, None), (Formula("SUM(A1:A3)"), "=SUM(A1:A3)"),
    (Link("Receivables!D14", "Receivables!D14"), "Receivables!D14"), (date(2026, 1, 2), date(2026, 1, 2))])
def test_values_reach_excel_as_plain_python(value, excel):
    got = _cell(value)
    assert got == excel and type(got) is type(excel)


TEST_ONLY = {"grid", "put", "from_file", "sheet", "where", "source", "alerts", "calls", "saved", "active", "ref"}


@pytest.mark.parametrize("name", ["App", "Name", "Names", "Table", "Tables", "Chart", "Charts", "Font", "Range",
                                  "Sheet", "Sheets", "Book"])
def test_the_fake_only_uses_what_xlwings_offers(name):
    """Everything the fake defines exists in xlwings' own class, and a call the fake takes, xlwings takes."""
    import inspect

    import xlwings.main as real

    fake, xw = getattr(fake_xlwings, name), getattr(real, name)
    for attr, member in vars(fake).items():
        if attr.startswith("_") or attr in TEST_ONLY:
            continue
        assert hasattr(xw, attr), f"xlwings' {name} has no {attr}"
        if inspect.isfunction(member):
            ours = [p for p in inspect.signature(member).parameters if p != "self"]
            theirs = inspect.signature(getattr(xw, attr)).parameters
            if not any(p.kind is p.VAR_KEYWORD for p in theirs.values()):
                assert set(ours) <= set(theirs), f"{name}.{attr}: {ours} vs xlwings' {list(theirs)}"


def test_a_close_on_the_live_book_is_the_close_of_the_file(tmp_path):
    """Two month-end closes (October, then November, rolling forward from October's snapshot) on each port:
    the same figures, and the same pack sheets value by value."""
    from addin.app.close import CloseOptions, close
    from addin.app.close_report import close_report

    options = CloseOptions(loss_rates="0.3,1.6,3.6,6.6,10.6", thank_you=False)
    ports, reports = {}, {}
    for kind in ("file", "live"):
        ports[kind] = p = make_port(kind, demo_book(tmp_path / kind / "ar.xlsx"))
        close(p.target, date(2026, 10, 31), options, today=AS_OF, now=NOW)
        r = close(p.target, AS_OF, options, today=AS_OF, now=NOW)
        reports[kind] = {k: v for k, v in close_report(r).items() if k not in ("log", "files", "sheets")}
        assert r.opening_from.startswith("the close of 2026-10")
    assert reports["live"] == reports["file"]
    file, live = ports["file"], ports["live"]
    pack = [n for n in file.sheet_names() if n.startswith("Close") or n == "What Changed"]
    assert {"Close 2026-10", "Close 2026-11", "Close Periods"} <= set(pack)
    for sheet in pack:
        assert live.values(sheet) == file.values(sheet), sheet

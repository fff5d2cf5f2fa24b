"""The package guard: every hostile file refused in one sentence, every real book let through, and the
used-range replay agreeing with calamine's own placement of cells."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from addin.workbook import guard
from addin.workbook.guard import Limits
from addin.workbook.usedrange import ExactRange as _ExactRange
from addin.workbook.package import BookUnreadable, XlsxPackage
from tests.campaigns.hostile import (
    NAMES,
    SHEET,
    base_book,
    hostile_files,
    members,
    write_members,
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return {h.path.name: h for h in hostile_files(tmp_path_factory.mktemp("hostile"))}


@pytest.mark.parametrize("name", NAMES)
def test_each_hostile_file_is_refused_in_one_sentence_or_read(hostile, name):
    h = hostile[name]
    if h.says is None:
        guard.check(h.path)
        return
    with pytest.raises(BookUnreadable) as e:
        guard.check(h.path)
    text = str(e.value)
    assert text.startswith(h.path.name + " ") and h.says in text and "\n" not in text


def test_the_writer_refuses_before_it_opens_anything(hostile):
    with pytest.raises(BookUnreadable, match="a zip bomb"):
        XlsxPackage.open(hostile["sheet-bomb.xlsx"].path)


def _sheet_book(tmp_path: Path, rows: bytes, name="b.xlsx") -> Path:
    base = base_book(tmp_path / "base.xlsx")
    parts = members(base)
    xml = parts[SHEET]
    start, end = xml.index(b"<sheetData>") + len(b"<sheetData>"), xml.index(b"</sheetData>")
    parts[SHEET] = xml[:start] + rows + xml[end:]
    return write_members(tmp_path / name, parts)


@pytest.mark.parametrize("rows", [
    b'<row r="1"><c r="A1"><v>1</v></c></row><row r="99999"><c r="Z99999"><v>1</v></c></row>',   # sparse, small
    b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="0"/></row><row r="1048576"><c r="XFD1048576" s="1"/></row>',
    b'<row r="2"><c r="XFD2"><v>1</v></c></row>',                                                 # far right, one row
    b'<row><c><v>1</v></c><c><v>2</v></c></row><row><c t="n"><v>3</v></c></row>',               # placed by counting
], ids=["sparse", "formatted-empty-far-cells", "one-far-cell-row", "no-r"])
def test_harmless_used_ranges_pass(tmp_path, rows):
    guard.check(_sheet_book(tmp_path, rows))


ODD = [
    b'<row r="3"><c r = "C3"><v>1</v></c><c r=\'E7\'><v>2</v></c></row>',
    b'<row r="4"><c s="0" r="B4"><v>1</v></c><c><v>2</v></c><c/><c><v>3</v></c></row><row><c><v>4</v></c></row>',
    b'<row r="2"><c r="C2"><v>1</v></c></row><row/><row><c s="1"/><c><v>5</v></c></row>',
    b'<row r="10"><x:c xmlns:x="urn:x" r="AA10"><v>1</v></x:c></row><row r="2"><c r="b2"><v>1</v></c></row>',
    b'<row r="5" spans="1:3"><c r="A5" t="inlineStr"><is><t>r="ZZ9"</t></is></c></row>',
    b'<row r="6"><c r="D6"><v>1</v></c><c><v>1</v></c></row><row r="8"><c><v>1</v></c><c r="A8"><v>1</v></c></row>',
]


@pytest.mark.parametrize("rows", ODD, ids=[f"odd{i}" for i in range(len(ODD))])
def test_the_exact_pass_places_cells_as_calamine_does(tmp_path, rows):
    path = _sheet_book(tmp_path, rows)
    ws = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Receivables")
    exact = _ExactRange()
    exact.scan(rows)
    (top, left), (bottom, right) = ws.start, ws.end
    assert (exact.top, exact.left, exact.bottom, exact.right) == (top, left, bottom, right)


@pytest.mark.parametrize("rows", [r for r in ODD if b"spans" not in r] + [
    b'<row r="1048577"><c r="A1"><v>1</v></c></row>',             # a row past Excel's last
    b'<row r="7"><c r="A1048577"><v>1</v></c></row>',             # a cell past it
    b'<row r="12345678"><c r="A7"><v>1</v></c></row>',            # a row of eight digits
])
def test_the_fast_bound_leaves_every_unusual_form_to_the_exact_pass(rows):
    used = guard.block_range()
    used.scan(rows)
    assert used.bound() is None


def test_the_fast_bound_is_the_widest_column_times_excels_rows():
    used = guard.block_range()
    used.scan(b'<row r="1"><c r="A1"><v>1</v></c><c r="AB1" t="s"><v>0</v></c></row>'
              b'<row r="1048576"><c r="Z1048576"><v>2</v></c><c r="C1048576"/></row>')
    assert used.bound() == 28 * 1_048_576
    text = guard.block_range()                  # a reference in a cell's text places nothing
    text.scan(ODD[4])
    assert text.bound() == 26 * 1_048_576


def test_size_ratio_and_count_limits(tmp_path):
    path = base_book(tmp_path / "b.xlsx")
    sheet = zipfile.ZipFile(path).getinfo(SHEET)
    for limits, says in [(Limits(member=sheet.file_size - 1), "inflates to"),
                         (Limits(total=sheet.file_size), "its members inflate to"),
                         (Limits(ratio=1, ratio_from=0), "a zip bomb"),
                         (Limits(members=3), "more than 3 members"),
                         (Limits(tree_part=100), "of XML, more than the 100 bytes arcollect parses"),
                         (Limits(range_cells=10, sparse_cells=10, cells_per_byte=0), "cells for")]:
        with pytest.raises(BookUnreadable, match=says):
            guard.check(path, limits)
    guard.check(path)


def test_a_book_our_writer_saved_passes_and_is_checked_once(tmp_path):
    path = base_book(tmp_path / "b.xlsx")
    with XlsxPackage.open(path) as pkg:
        pkg.write_sheet("Aging", ["Cell", "Days"], [[f"Receivables!A{r}", r] for r in range(2, 2000)])
        pkg.save()
    guard.check(path)
    path.write_bytes(b"")           # a changed file is looked at again
    with pytest.raises(BookUnreadable, match="is empty"):
        guard.check(path)


@pytest.mark.parametrize("name", NAMES)
def test_the_check_deferred_to_each_sheet_refuses_the_same_files_in_the_same_words(hostile, name):
    h = hostile[name]
    if h.says is None:
        guard.check(h.path, sheets=False)
        guard.check_sheet(h.path, "Receivables")
        return
    with pytest.raises(BookUnreadable) as e:
        guard.check(h.path, sheets=False)
        guard.check_sheet(h.path, "Receivables")
    assert str(e.value).startswith(h.path.name + " ") and h.says in str(e.value)


def test_a_dimension_that_lies_small_does_not_hide_a_far_cell(tmp_path):
    # calamine sizes its grid from the cells it finds (Range::from_sparse): a dimension is only a hint
    path = _sheet_book(tmp_path, b'<row r="1"><c r="A1"><v>1</v></c></row>'
                                 b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    parts = members(path)
    parts[SHEET] = parts[SHEET].replace(b"<sheetData>", b'<dimension ref="A1:B2"/><sheetData>', 1) \
        if b"<dimension" not in parts[SHEET] else re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B2"/>',
                                                         parts[SHEET])
    write_members(path, parts)
    guard.check(path, sheets=False)          # the start of the part says nothing wrong
    with pytest.raises(BookUnreadable, match="a value in XFD1048576"):
        guard.check_sheet(path, "Receivables")
    with pytest.raises(BookUnreadable, match="a value in XFD1048576"):
        guard.check(path)


def test_a_far_cell_in_one_sheet_does_not_stop_another_from_being_read(tmp_path):
    path = _sheet_book(tmp_path, b'<row r="1"><c r="A1"><v>1</v></c></row>'
                                 b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    guard.check(path, sheets=False)
    guard.check_sheet(path, "Settings")


def test_a_stored_sheet_is_checked_to_its_crc_like_a_deflated_one(tmp_path):
    base = base_book(tmp_path / "base.xlsx")
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members(base).items():
            zf.writestr(name, data)
    guard.check_sheet(stored, "Receivables")
    info = zipfile.ZipFile(stored).getinfo(SHEET)
    data = bytearray(stored.read_bytes())
    k = data.index(b"<v>1", info.header_offset) + 3
    data[k:k + 1] = b"7"                      # same size, another digit: only the CRC can tell
    stored.write_bytes(bytes(data))
    with pytest.raises(BookUnreadable, match="Bad CRC-32"):
        guard.check_sheet(stored, "Receivables")

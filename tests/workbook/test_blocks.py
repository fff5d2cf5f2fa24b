"""A sheet read in blocks of rows reads exactly as the sheet read whole, and is bounded block by block."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest

from addin.workbook import blocks, guard
from addin.workbook.package import BookUnreadable
from addin.workbook.reader import read_book
from addin.workbook.template import build_workbook
from tests.campaigns.hostile import SHEET, members, write_members

AS_OF = date(2026, 11, 30)


def _rows(n: int) -> list[list]:
    """Receivables with what converts differently by kind: text among dates and amounts (late, after
    fastexcel's sample), blank cells and rows, credit notes, shared and repeated strings."""
    out = []
    for i in range(n):
        due = AS_OF - timedelta(days=i % 200 - 30)
        amount = round(10 + (i * 37 % 9000) / 7, 2)
        if i % 997 == 5:
            out.append([None] * 17)
            continue
        out.append([f"C{i % 300}", f"Customer {i % 300}", "", f"ar{i % 300}@example.com", "", f"INV-{i}",
                    due - timedelta(days=30), "TBD" if i == 4321 else (None if i % 1500 == 7 else due),
                    "n/a" if i == 3999 else -amount if i % 50 == 0 else amount, 0, None,
                    "EUR" if i % 3 else "GBP", "disputed" if i % 89 == 0 else "open", None, "business", "en",
                    f"note {i}" if i > 2500 else ""])
    return out


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return build_workbook(tmp_path_factory.mktemp("blocks") / "book.xlsx", _rows(6000),
                          settings={"As-of date": AS_OF})


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK", 48 << 10)
    monkeypatch.setattr(blocks, "SPLIT_FROM", 0)
    read = blocks.read
    seen = []

    def counting(*args, **kwargs):
        got = read(*args, **kwargs)
        seen.append(got.arrays[0].num_chunks)
        return got
    monkeypatch.setattr(blocks, "read", counting)
    return seen


def _whole(book):
    guard._checked.clear()
    saved = blocks.SPLIT_FROM
    blocks.SPLIT_FROM = 1 << 62
    try:
        return read_book(book)
    finally:
        blocks.SPLIT_FROM = saved


def test_a_sheet_read_in_blocks_is_the_sheet_read_whole(book, small_blocks):
    whole = _whole(book)
    guard._checked.clear()
    split = read_book(book)
    assert small_blocks and small_blocks[0] >= 10          # read in blocks, with gaps between some
    pd.testing.assert_frame_equal(split.items, whole.items)
    pd.testing.assert_frame_equal(split.contacts, whole.contacts)
    assert [str(p) for p in split.problems] == [str(p) for p in whole.problems]
    said = " ".join(str(p) for p in split.problems)
    assert '"TBD" is not a date' in said and '"n/a" is not an amount' in said


def _edited(book, tmp_path, edit):
    parts = members(book)
    parts[SHEET] = edit(parts[SHEET])
    return write_members(tmp_path / "edited.xlsx", parts)


def test_a_far_cell_in_a_later_block_is_refused_before_calamine_sees_it(book, tmp_path, small_blocks):
    far = _edited(book, tmp_path, lambda x: x.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))
    with pytest.raises(BookUnreadable, match="a value in XFD1048576"):
        read_book(far)


def test_rows_out_of_order_are_read_whole(book, tmp_path, small_blocks):
    def swap(xml):
        a, b = (re.search(rb'<row r="%d".*?</row>' % r, xml, re.S) for r in (3000, 3001))
        return xml[:a.start()] + b.group(0) + a.group(0) + xml[b.end():]
    moved = _edited(book, tmp_path, swap)
    got = read_book(moved)
    assert not small_blocks                             # blocks gave up: the sheet was read in one piece
    assert len(got.items) == len(_whole(book).items)


def test_some_columns_read_in_blocks_are_those_columns_read_whole(book, small_blocks):
    """A kept snapshot's read takes only the columns the roll-forward needs: in blocks, the later blocks take
    the first block's choice by position, and the frame is the one the whole sheet gives."""
    from addin.workbook.bulk import fast_table

    columns = ["Invoice #", "Amount", "Currency", "Status"]     # not in sheet order, none at the start
    dtypes = {"Invoice #": "string", "Currency": "string"}
    split = fast_table(book, "Receivables", columns, dtypes)
    assert small_blocks and small_blocks[0] >= 10
    guard._checked.clear()
    saved, blocks.SPLIT_FROM = blocks.SPLIT_FROM, 1 << 62
    try:
        whole = fast_table(book, "Receivables", columns, dtypes)
    finally:
        blocks.SPLIT_FROM = saved
    assert sorted(split.columns) == sorted(columns) and len(split) == 6000
    pd.testing.assert_frame_equal(split, whole)
    assert split["Invoice #"].iloc[1] == "INV-1" and split["Currency"].iloc[0] == "GBP"

"""A big sheet read by fastexcel in blocks of rows, two blocks at a time.

calamine parses a sheet on one core and holds all of it twice over, as cells
and then as a dense grid: 1.4 GiB for the 1,048,575-row bench sheet, 1.6 GiB
once arcollect's three flag columns are in it. Cut at row boundaries into
blocks of about 16 MiB of XML, each block a small stored workbook of its own
(the book's workbook, styles and shared-strings parts, the block's rows under
a header row of ours), the same rows are parsed on both cores, and at most two
blocks' grids are held at once.

The sheet is inflated once, by the guard's streaming check
(``guard.sheet_cells``: its start, deflate data and CRC), and each block's
used range is bounded (``guard.block_range``) before calamine sees it. The
first block, with the header and the rows fastexcel samples for each column's
type, is read exactly as the whole sheet would be; the others are read with
its column types, so every cell converts, or fails to, as it would in one
read. Anything unusual (rows or cells without ``r``, rows out of order,
comments or CDATA among the cells, a cell beyond the first block's columns,
prefixed tags) raises ``Whole``: the caller reads the sheet in one piece.
Cells are taken to lie in their own row, as every writer puts them (a cell
that does not shifts only its own block's rows, and is bounded all the same).
"""
from __future__ import annotations

import posixpath
import re
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import guard, usedrange
from .xlsx_xml import col_letter
from .zipparts import crc_of, stored_zip

BLOCK = 16 << 20           # bytes of sheet XML per block: about 19,000 rows of 20 columns, each buffer
                           # below glibc's 32 MiB mmap threshold, so freed blocks are reused, not faulted anew;
                           # at least 4x the parts every block repeats (shared strings are parsed per block),
                           # at most 4x BLOCK
SPLIT_FROM = 192 << 20     # a smaller sheet is read in one piece
SAMPLE = 1000              # the rows below the header fastexcel samples for a column's type
_ROW = re.compile(rb'<row r="(\d+)"')
_PREFIX_END = re.compile(rb"<sheetData\b[^>]*>\Z")
_ROOT = re.compile(rb"<(?:[\w.-]+:)?worksheet\b")
_REL = re.compile(rb'<Relationship\b[^>]*?\bType="[^"]*/(styles|sharedStrings|theme)"[^>]*?\bTarget="([^"]*)"'
                  rb'|<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bType="[^"]*/(styles|sharedStrings|theme)"')
_BOOK = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")


class Whole(Exception):
    """The sheet is to be read in one piece (it is small, or unusual in a way blocks would get wrong)."""


@dataclass
class Read:
    """A sheet's columns below its header, as fastexcel reads them, the blocks put end to end."""

    info: list           # fastexcel's ColumnInfo of each column (the first block's)
    arrays: list         # a pyarrow ChunkedArray per column
    errors: list         # (row below the header, column position, fastexcel's detail) per cell that failed


def worth_it(path, part: str | None) -> bool:
    """True for a sheet part big enough that reading it in blocks pays."""
    if part is None:
        return False
    with zipfile.ZipFile(path) as zf:
        try:
            return zf.getinfo(part).file_size >= SPLIT_FROM
        except KeyError:
            return False


def read(fastexcel, path, sheet: str, part: str, header_row: int, header_index: int, accept,
         dtypes: dict | None = None, use=None) -> Read:
    """The sheet's columns below ``header_row`` (its sheet row; ``header_index`` rows below its first value).

    ``accept(info)`` sees the first block's columns before any other block is read, and may raise.
    ``dtypes`` (fastexcel's, by column name) types the first block's columns instead of its sample;
    ``use`` (fastexcel's use_columns: None for all) chooses them, and the other blocks take the same:
    a column not asked for is parsed but never made Arrow.
    """
    with _Blocks(path, part) as blocks:
        return blocks.read(fastexcel, sheet, header_row, header_index, accept, dtypes, use)


def _resolve(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


class _Blocks:
    """The blocks of one read, each a small workbook in memory (fastexcel reads bytes: no file to leave
    behind if the process is killed), and the two threads reading them."""

    def __init__(self, path, part: str):
        self.path, self.part = Path(path), part
        self.pool = ThreadPoolExecutor(2)
        self.base = self._base()
        repeated = sum(len(data) for _, (data,), _ in self.base)
        self.size = min(max(BLOCK, 4 * repeated), 4 * BLOCK)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _base(self) -> list[tuple[str, list[bytes], int]]:
        """The parts calamine opens a book by, as stored members of each block's workbook."""
        with zipfile.ZipFile(self.path) as zf:
            names = set(zf.namelist())
            if not set(_BOOK) <= names:
                raise Whole(self.part)
            rels = zf.read("xl/_rels/workbook.xml.rels")
            extra = {_resolve((m.group(2) or m.group(3)).decode()) for m in _REL.finditer(rels)}
            return [(name, [data], crc_of([data])) for name in (*_BOOK, *sorted(extra & names))
                    for data in [zf.read(name)]]

    def _write(self, k: int, prefix: bytes, header: bytes, pieces: list[bytes]) -> bytes:
        """Block ``k`` as a workbook: the base with the sheet part of the block's rows."""
        sheet = [prefix, header, *pieces, b"</sheetData></worksheet>"]
        return stored_zip([*self.base, (self.part, sheet, crc_of(sheet))])

    def read(self, fastexcel, sheet, header_row, header_index, accept, dtypes=None, use=None) -> Read:
        stream = guard.sheet_cells(self.path, sheet)
        prefix = next(stream, b"")
        root = _ROOT.search(prefix)
        if not _PREFIX_END.search(prefix) or root is None or root.group(0) != b"<worksheet":
            raise Whole(sheet)
        try:
            return self._read(fastexcel, stream, prefix, sheet, header_row, header_index, accept, dtypes, use)
        except fastexcel.FastExcelError as exc:   # a block calamine cannot read: the whole sheet decides
            raise Whole(sheet) from exc

    def _read(self, fastexcel, stream, prefix, sheet, header_row, header_index, accept, dtypes, use) -> Read:
        blocks = _cut(stream, header_row + SAMPLE + 1, self.size)
        start, pieces = next(blocks, (0, []))
        first = _load(fastexcel, self._write(0, prefix, b"", pieces), sheet, header_index, dtypes, use)
        accept(first[0])
        types = {c.absolute_index: c.dtype for c in first[0]}
        width = max(types, default=-1) + 1
        chosen = None if use is None else sorted(types)     # the same columns, by position, in sheet order
        ahead = threading.BoundedSemaphore(3)      # blocks cut and not yet written: 16 MiB each

        def job(k, start, pieces):
            try:
                block = self._write(k, prefix, _header(start - 1, width), pieces)
            finally:
                ahead.release()
            del pieces[:]
            return _load(fastexcel, block, sheet, 0, types, chosen)

        later = []
        for k, (start, pieces) in enumerate(blocks, 1):
            ahead.acquire()
            later.append((start, self.pool.submit(job, k, start, pieces)))
        if not later:
            raise Whole("a sheet of one block")
        return _join(*first, header_row, [(s, f.result()) for s, f in later])


def _header(row: int, width: int) -> bytes:
    """A header row of our own at ``row``, so the block's range starts there and at column A."""
    return (b'<row r="%d">' % row + b"".join(b'<c r="%s%d" t="inlineStr"><is><t>c%d</t></is></c>'
                                             % (col_letter(j + 1).encode(), row, j) for j in range(width)) + b"</row>")


def _cut(stream, first_after: int, block: int):
    """(first sheet row of the block, its pieces) per block, each block's used range bounded before it is
    handed on: the first block ends at the first row past ``first_after`` (the header and fastexcel's
    sample, read first and quickly), every other at the first row past ``block`` bytes."""
    pieces, size, start, last, first = [], 0, 0, 0, True
    used = guard.block_range()
    for piece in stream:
        if b"!" in piece and b"<!" in piece:     # one byte is searched for 10x as fast as two
            raise Whole("comments or CDATA among the cells")
        rows = usedrange.ROWS.findall(piece)
        if b"" in rows:
            raise Whole("a row whose number is not its first attribute")
        numbers = np.array(rows, dtype=np.int64)
        if len(numbers) and (numbers[0] <= last or (np.diff(numbers) <= 0).any()):
            raise Whole("rows out of order")
        begin = 0                                 # where this block's share of the piece starts
        while (cut := _next_cut(piece, begin, numbers, first_after if first else None, block - size)) is not None:
            at, n = cut
            if at > begin:
                pieces.append(piece[begin:at])
                used.scan(pieces[-1], rows)
            yield _bounded(used, start, pieces)
            pieces, size, start, used, first, begin = [], 0, n, guard.block_range(), False, at
        pieces.append(piece[begin:] if begin else piece)
        used.scan(pieces[-1], rows)
        size += len(pieces[-1])
        last = numbers[-1] if len(numbers) else last
    if pieces:
        yield _bounded(used, start, pieces)


def _next_cut(piece: bytes, begin: int, numbers, past_row: int | None, room: int) -> tuple[int, int] | None:
    """(offset, row number) of the row that starts the next block, in this piece at or after ``begin``:
    the first row numbered past ``past_row``, or, without one, the first row ``room`` bytes on."""
    if past_row is not None:
        k = int(np.searchsorted(numbers, past_row, side="right"))
        if k == len(numbers):
            return None
        n = int(numbers[k])
        return piece.find(b'<row r="%d"' % n, begin), n
    m = _ROW.search(piece, begin + max(room, 1))
    return (m.start(), int(m.group(1))) if m else None


def _bounded(used, start: int, pieces: list[bytes]):
    bound = used.bound()
    if bound is None or bound > used.allowed:
        raise Whole("a block whose used range the fast bound cannot vouch for")
    return start, pieces


def _load(fastexcel, block: bytes, sheet: str, header_index: int, types, use=None):
    """(columns, Arrow batch, errors) of one block (by the sheet's name: the block's workbook lists the book's
    sheets, and holds only this one's part)."""
    ws = fastexcel.read_excel(block).load_sheet(sheet, header_row=header_index, dtypes=types, use_columns=use)
    info = ws.selected_columns
    batch, errors = ws.to_arrow_with_errors()
    del ws
    return info, batch, (errors.errors if errors is not None else [])


def _join(info, batch, errors, header_row: int, later) -> Read:
    """The blocks end to end, each at its own rows (a block's trailing blank rows are not in its range)."""
    import pyarrow as pa

    width = len(info)
    chunks = [[batch.column(k)] for k in range(width)]
    out_errors = [(*e.offset_position, e.detail) for e in errors]
    at = batch.num_rows
    for start, (block_info, block, block_errors) in later:
        offset = start - header_row - 1
        if len(block_info) > width or offset < at:
            raise Whole("a block wider than the first, or overlapping it")
        for k in range(width):
            t = chunks[k][0].type
            if offset > at:
                chunks[k].append(pa.nulls(offset - at, t))
            if k < block.num_columns:
                col = block.column(k)
                chunks[k].append(col if col.type == t else col.cast(t))
            else:
                chunks[k].append(pa.nulls(block.num_rows, t))
        out_errors += [(row + offset, k, e.detail) for e in block_errors for row, k in [e.offset_position]]
        at = offset + block.num_rows
    return Read(info, [pa.chunked_array(c) for c in chunks], out_errors)

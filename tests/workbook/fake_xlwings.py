"""A thin recording fake of the part of xlwings' Book/Sheet/Range surface the live port uses.

Desktop Excel cannot run here, so this stands in for it: cells in a dict, every
call that writes recorded in ``book.calls``. It behaves as Excel does through
xlwings where the port depends on it: numbers come back as floats and dates as
datetimes, a 2-D list written at a cell fills the block from there, UsedRange
starts at A1 here.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineWorkbook

from addin.workbook.xlsx_xml import col_index


def _excel(v):
    """What Excel hands back for a stored value."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, datetime)):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, int):
        return float(v)
    return v


def _rc(ref) -> tuple[int, int]:
    if isinstance(ref, tuple):
        return ref
    ref = ref.replace("$", "")
    letters = "".join(ch for ch in ref if ch.isalpha())
    return int(ref[len(letters):]), col_index(letters.upper())


class App:
    def __init__(self, book):
        self.book = book
        self.alerts: list[tuple] = []
        self.answers: list[str] = []    # what the clerk clicks in each question asked (buttons other than "ok")
        self.asked: list[tuple] = []    # (title, prompt, buttons) of each question
        self._status = None

    @property
    def status_bar(self):
        return self._status

    @status_bar.setter
    def status_bar(self, text):
        self._status = text
        self.book.calls.append(("status_bar", text))

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        if buttons != "ok":
            self.asked.append((title, prompt, buttons))
            return self.answers.pop(0)
        self.alerts.append((title, prompt, mode))
        return "ok"


class Name:
    def __init__(self, name, refers_to):
        self.name, self.refers_to = name, refers_to


class Names(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def add(self, name, refers_to):
        self[:] = [n for n in self if n.name != name]
        self.append(Name(name, refers_to))
        self.book.calls.append(("names.add", name, refers_to))


class Table:
    def __init__(self, name, ref):
        self.name, self.ref = name, ref


class Chart:
    def __init__(self, sheet, **where):
        self.sheet, self.where, self.chart_type, self.source = sheet, where, None, None

    def set_source_data(self, source):
        self.source = source if isinstance(source, str) else source.address

    def delete(self):
        self.sheet.charts.remove(self)


class Charts(list):
    def __init__(self, sheet):
        super().__init__()
        self.sheet = sheet

    def add(self, left=0, top=0, width=355, height=211):
        chart = Chart(self.sheet, left=left, top=top, width=width, height=height)
        self.append(chart)
        return chart


class Tables(list):
    def __init__(self, sheet):
        super().__init__()
        self.sheet = sheet

    def add(self, source, name):
        self.append(Table(name, source.address))
        self.sheet.book.calls.append(("tables.add", self.sheet.name, name, source.address))


class Font:
    def __init__(self, rng):
        self.rng = rng

    @property
    def bold(self):
        return all(self.rng.sheet.bold.get(rc) for rc in self.rng._coords())

    @bold.setter
    def bold(self, value):
        for rc in self.rng._coords():
            self.rng.sheet.bold[rc] = value


class Range:
    def __init__(self, sheet, first, last=None, options=None):
        if isinstance(first, str) and ":" in first:
            first, last = first.split(":")
        self.sheet, self.first, self.last = sheet, _rc(first), _rc(last or first)
        self._options = options or {}

    row = property(lambda self: self.first[0])
    column = property(lambda self: self.first[1])
    left = property(lambda self: 64.0 * (self.column - 1))
    top = property(lambda self: 20.0 * (self.row - 1))
    font = property(lambda self: Font(self))

    @property
    def address(self):
        from addin.workbook.xlsx_xml import col_letter
        (r1, c1), (r2, c2) = self.first, self.last
        return f"${col_letter(c1)}${r1}" + ("" if (r1, c1) == (r2, c2) else f":${col_letter(c2)}${r2}")

    @property
    def last_cell(self):
        return Range(self.sheet, self.last)

    def _coords(self):
        (r1, c1), (r2, c2) = self.first, self.last
        return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    def options(self, **options):
        self.sheet.book.calls.append(("read", self.sheet.name, self.address, options))
        return Range(self.sheet, self.first, self.last, options)

    @property
    def value(self):
        (r1, c1), (r2, c2) = self.first, self.last
        block = [[_excel(self.sheet.cells_.get((r, c))) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        if self._options.get("ndim") == 2:
            return block
        return block[0][0] if len(block) == 1 and len(block[0]) == 1 else block

    @value.setter
    def value(self, v):
        r1, c1 = self.first
        block = v if isinstance(v, list) and v and isinstance(v[0], (list, tuple)) else [[v]]
        if block == [[v]] and self.first != self.last:
            block = [[v] * (self.last[1] - c1 + 1)] * (self.last[0] - r1 + 1)
        self.sheet.book.calls.append(("write", self.sheet.name, self.address, len(block)))
        for i, row in enumerate(block):
            for j, x in enumerate(row):
                self.sheet.put(r1 + i, c1 + j, x)

    def clear_contents(self):
        self.sheet.book.calls.append(("clear_contents", self.sheet.name, self.address))
        for rc in self._coords():
            self.sheet.cells_.pop(rc, None)

    def add_hyperlink(self, address, text_to_display=None, screen_tip=None):
        self.sheet.links[self.first] = address
        self.sheet.put(*self.first, text_to_display)

    def _set_each(self, store, value):
        for rc in self._coords():
            store[rc] = value

    number_format = property(lambda self: self.sheet.formats.get(self.first),
                             lambda self, v: self._set_each(self.sheet.formats, v))
    color = property(lambda self: self.sheet.fills.get(self.first),
                     lambda self, v: self._set_each(self.sheet.fills, v))
    column_width = property(lambda self: self.sheet.widths.get(self.column),
                            lambda self, v: self.sheet.widths.__setitem__(self.column, v))


class Sheet:
    def __init__(self, book, name):
        self.book, self.name = book, name
        self.cells_, self.links, self.formats, self.fills, self.bold, self.widths = {}, {}, {}, {}, {}, {}
        self.charts, self.tables = Charts(self), Tables(self)

    def put(self, r, c, v):
        if v is None:
            self.cells_.pop((r, c), None)
        else:
            self.cells_[(r, c)] = v

    def range(self, cell1, cell2=None):
        if isinstance(cell1, str) and "," in cell1:   # a union of areas: only its address (a chart's source)
            return ",".join(Range(self, a).address for a in cell1.split(","))
        return Range(self, cell1, cell2)

    def __getitem__(self, ref):
        return Range(self, ref)

    @property
    def used_range(self):
        if not self.cells_:
            return Range(self, (1, 1))
        return Range(self, (1, 1), (max(r for r, _ in self.cells_), max(c for _, c in self.cells_)))

    def clear(self):
        self.book.calls.append(("clear", self.name))
        for store in (self.cells_, self.links, self.formats, self.fills, self.bold):
            store.clear()
        self.tables.clear()

    def activate(self):
        self.book.active = self.name

    def grid(self) -> list[list]:
        """The sheet's values, row 1 first, trailing empties trimmed (for tests)."""
        rows, cols = self.used_range.last
        return [[self.cells_.get((r, c)) for c in range(1, cols + 1)] for r in range(1, rows + 1)] \
            if self.cells_ else []


class Sheets(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name.lower() == key.lower())
        return list.__getitem__(self, key)

    def add(self, name, after=None):
        sheet = Sheet(self.book, name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        self.book.calls.append(("sheets.add", name))
        return sheet


class Book:
    def __init__(self, fullname):
        self.fullname = str(fullname)
        self.name = Path(fullname).name
        self.sheets, self.names, self.app = Sheets(self), Names(self), App(self)
        self.calls: list[tuple] = []
        self.saved = 0
        self.active = None

    def save(self, path=None):
        self.saved += 1

    @classmethod
    def from_file(cls, path) -> "Book":
        """The book as Excel would show it after opening ``path`` (values only)."""
        book = cls(Path(path).resolve())
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            sheet = Sheet(book, name)
            book.sheets.append(sheet)
            data = wb.get_sheet_by_name(name)
            r0, c0 = data.start or (0, 0)
            for i, row in enumerate(data.to_python(skip_empty_area=True)):
                for j, v in enumerate(row):
                    if v != "":
                        sheet.put(r0 + i + 1, c0 + j + 1, v)
        book.calls.clear()
        return book

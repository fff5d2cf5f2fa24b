"""`arcollect templates export DIR`: copy the shipped templates out, to be edited.

A clerk who installed arcollect from a wheel has its templates inside the
installed package, where edits would be lost on the next upgrade. Exported,
they live in a folder of the clerk's; Settings' "Templates folder" points
arcollect at it. The empty collections workbook comes along, to start a book.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..documents.sources import WORKBOOK_TEMPLATE, letters_dir, shipped


@dataclass(frozen=True)
class TemplateExport:
    """What an export did. ``edited``: files that differed from the shipped copy, overwritten
    with ``force``, else the reason nothing was written (``refused``)."""

    folder: Path
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    edited: tuple[Path, ...]

    @property
    def refused(self) -> bool:
        return bool(self.edited) and not self.written


def _plan(folder: Path) -> list[tuple[Path, Path]]:
    """(shipped file, target) pairs: every template under its language folder, and the workbook."""
    letters = letters_dir()
    pairs = [(f, folder / f.relative_to(letters)) for f in sorted(letters.rglob("*"))
             if f.is_file() and "__pycache__" not in f.parts]
    workbook = shipped(WORKBOOK_TEMPLATE)
    return pairs + [(workbook, folder / workbook.name)]


def export_templates(folder: Path, *, force: bool = False) -> TemplateExport:
    """Copy the shipped templates into ``folder``.

    A file already there that differs from the shipped copy is an edit:
    without ``force`` nothing at all is written (the folder is never left half
    old, half new) and the edits are listed; with ``force`` they are overwritten.
    """
    folder = Path(folder)
    plan = _plan(folder)
    unchanged = [t for s, t in plan if t.is_file() and t.read_bytes() == s.read_bytes()]
    edited = [t for s, t in plan if t.exists() and t not in unchanged]
    if edited and not force:
        return TemplateExport(folder, (), tuple(unchanged), tuple(edited))
    written: list[Path] = []
    for source, target in plan:
        if target not in unchanged:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            written.append(target)
    return TemplateExport(folder, tuple(written), tuple(unchanged), tuple(edited))

"""Where the letter templates and the empty collections workbook are found.

The repository's top-level letters/ and workbook_templates/collections.xlsx
are the sources. A wheel carries copies inside the package (addin/letters/,
addin/workbook_templates/: setup.py's build step puts them there), because an
installed package cannot reach a folder beside itself. A source checkout or an
editable install has no such copies and uses the repository's files. A clerk's
edited copy (``arcollect templates export``, then Settings "Templates folder")
comes before both.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # addin/
REPOSITORY = PACKAGE.parent  # only a checkout has letters/ here
WORKBOOK_TEMPLATE = "workbook_templates/collections.xlsx"


def shipped(name: str) -> Path:
    """The packaged copy of ``name`` if there is one, else the repository's.

    When neither exists (a broken install) the packaged path is returned, so
    the error that follows names where the file should be.
    """
    for base in (PACKAGE, REPOSITORY):
        if (base / name).exists():
            return base / name
    return PACKAGE / name


def letters_dir(folder: str = "", base: Path | None = None) -> Path:
    """The template folder: ``folder`` (Settings' "Templates folder") when given, else the shipped one.

    A relative ``folder`` is taken from ``base`` (the workbook's folder), so a
    book and its templates can move together. The folder is returned even if it
    does not exist: the caller says so, naming the setting.
    """
    if not folder.strip():
        return shipped("letters")
    path = Path(folder.strip()).expanduser()
    return path if path.is_absolute() or base is None else base / path

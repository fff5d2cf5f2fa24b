"""The rows of a small headed sheet (Settings, Policy, Plans, Actions, Close Emails...) as records by field name:
the one reader of a sheet whose columns are known by their headers, wherever they stand."""
from __future__ import annotations

from ..core.settings import norm_key
from .cells import address
from .values import is_blank


def records(rows: list[list], offset: int, sheet: str, aliases: dict[str, str],
            header_index: int | None = None):
    """(values, cells, row) per non-blank row under the first row naming any alias."""
    if header_index is None:
        header_index = next((i for i, r in enumerate(rows[:20])
                             if sum(norm_key(v) in aliases for v in r if isinstance(v, str)) >= 2), None)
    if header_index is None:
        return
    cols = {aliases[norm_key(v)]: j for j, v in enumerate(rows[header_index])
            if isinstance(v, str) and norm_key(v) in aliases}
    for i in range(header_index + 1, len(rows)):
        r = rows[i]
        values = {f: r[j] for f, j in cols.items() if j < len(r)}
        if all(is_blank(v) for v in values.values()):
            continue
        cells = {f: address(sheet, j + offset, i + 1) for f, j in cols.items()}
        yield values, cells, i + 1

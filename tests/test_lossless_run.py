"""`arcollect run` on a rich user workbook (.xlsm with VBA, charts, images, comments, formulas with
cached values, validation, hidden sheets...) changes only what arcollect owns."""
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.mail.outbox import read_draft
from tests.workbook.test_package import build_book, cached_values_survive
from tests.xlsx_checks import check_package, members


def test_run_touches_only_owned_parts_and_keeps_vba(tmp_path, capsys):
    path = build_book(tmp_path / "rich.xlsm", xlsm=True)
    before = members(path)
    assert main(["run", str(path), "--as-of", "2026-11-30"]) == 0
    drafts = sorted((tmp_path / "rich outbox").glob("*.eml"))  # no sender known: drafted without From
    assert drafts and all(read_draft(d)["From"] is None for d in drafts)
    check_package(path)
    after = members(path)
    changed = {n for n in before if after.get(n) != before[n]}
    # the Receivables sheet (flags), its table (two more columns), History (the drafts appended) and its
    # table, styles added, the new sheets registered
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml", "xl/workbook.xml",
                       "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet5.xml",
                       "xl/tables/table2.xml"}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    cached_values_survive(path)
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names[:5] == ["Receivables", "Settings", "Report", "Lists", "History"]
    assert {"Summary", "Actions", "Aging", "Errors"} <= set(names)

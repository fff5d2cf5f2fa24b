"""`arcollect run` on a rich user workbook (.xlsm with VBA, charts, images, comments, formulas with
cached values, validation, hidden sheets...) changes only what arcollect owns."""
from python_calamine import CalamineWorkbook

from addin.cli import main
from tests.workbook.test_package import build_book, cached_values_survive
from tests.xlsx_checks import check_package, members


def test_run_touches_only_owned_parts_and_keeps_vba(tmp_path, capsys):
    path = build_book(tmp_path / "rich.xlsm", xlsm=True)
    before = members(path)
    assert main(["run", str(path), "--as-of", "2026-11-30"]) == 1  # no sender address: said once, nothing lost
    assert capsys.readouterr().err.count("no sender address") == 1
    check_package(path)
    after = members(path)
    changed = {n for n in before if after.get(n) != before[n]}
    # the Receivables sheet (flags), its table (two more columns), styles added, the new sheets registered
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml", "xl/workbook.xml",
                       "[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    cached_values_survive(path)
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names[:5] == ["Receivables", "Settings", "Report", "Lists", "History"]
    assert {"Summary", "Actions", "Aging", "Errors"} <= set(names)

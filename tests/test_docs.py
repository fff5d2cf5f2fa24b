"""The README is the manual: its examples run, and it names every command and setting."""
import doctest
import re
from pathlib import Path

from addin.cli import build_parser
from addin.workbook.template import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_python_examples_in_the_readme_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks
    parser = doctest.DocTestParser()
    for block in blocks:
        test = parser.get_doctest(block, {}, "README", "README.md", 0)
        result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test)
        assert result.failed == 0


def test_every_command_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"arcollect {name}" in README, name


def test_every_setting_is_documented():
    for key, _, _ in SETTINGS:
        assert f"| {key} |" in README, key


def test_the_quick_start_commands_come_first():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert "./scripts/demo" in first_block and "./scripts/test" in first_block

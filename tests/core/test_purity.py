"""addin.core is pure: no files, clock, environment, network, Excel or CLI; hashing names is pure too."""
import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "addin" / "core"
ALLOWED = {"__future__", "bisect", "collections", "dataclasses", "datetime", "decimal", "typing",
           "dateutil", "pandas", "numpy", "re", "math", "functools", "itertools", "enum", "hashlib", "operator"}
BANNED_CALLS = ("today(", "now(", "open(", "os.environ", "getenv", "read_text", "utcnow(", "time.time")


@pytest.mark.parametrize("module", sorted(str(p.relative_to(CORE)) for p in CORE.rglob("*.py")))
def test_core_module_imports_only_pure_libraries(module):
    src = (CORE / module).read_text()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mods = [] if node.level else [node.module]
        else:
            continue
        for m in mods:
            assert m.split(".")[0] in ALLOWED, f"addin/core/{module} imports {m}"
    for banned in BANNED_CALLS:
        assert banned not in src, f"addin/core/{module} uses {banned}"

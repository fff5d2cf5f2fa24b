"""LibreOffice headless as an independent formula engine for tests.

``recalculate(books, outdir)`` converts every book to .xlsx in ONE soffice call
with a private profile whose registrymodifications.xcu sets OOXMLRecalcMode=0
(always recalculate on load: by default LibreOffice keeps cached values), then
the values are read back with openpyxl ``data_only=True``.

Usage in a test::

    from tests.libreoffice import recalculate, require_soffice
    require_soffice()                       # pytest.skip with a reason if missing
    out = recalculate([book1, book2], tmp_path / "out")
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """soffice's path, or skip the calling test with the reason."""
    import pytest

    path = soffice_path()
    if not path and os.environ.get("CI"):
        pytest.fail("LibreOffice is required in CI: scripts/test installs it")
    if not path:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install -y "
                    "--no-install-recommends libreoffice-calc-nogui to run the formula check")
    return path


def make_profile(root: Path) -> Path:
    """A private LibreOffice profile that recalculates every formula on load."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    return root


def recalculate(books: list[Path], outdir: Path, *, timeout: float = 120) -> list[Path]:
    """Recalculate the books with LibreOffice in one call; returns the converted copies in outdir.

    Input books must have distinct file names and must not live in ``outdir``.
    """
    soffice = soffice_path()
    if not soffice:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    books = [Path(b).resolve() for b in books]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    if any(b.parent == outdir for b in books):
        raise ValueError("the books must not be in the output folder")
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as tmp:
        profile = make_profile(Path(tmp))
        env = dict(os.environ, HOME=tmp)
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", "xlsx", "--outdir", str(outdir),
               *map(str, books)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    outs = [outdir / (b.stem + ".xlsx") for b in books]
    missing = [o.name for o in outs if not o.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed (exit {proc.returncode}); missing {missing}\n"
                           f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return outs

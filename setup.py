"""Put the letter templates and the workbook template inside the built package.

letters/ and workbook_templates/collections.xlsx stay at the top of the
repository, where they are edited. A wheel carries only what is inside the
import package, so the build copies them to addin/letters/ and
addin/workbook_templates/ in the build tree (MANIFEST.in puts them in the
sdist, so a wheel built from it gets them too). An editable install copies
nothing: addin.documents.sources finds the repository's folders directly.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("letters", "workbook_templates/collections.xlsx")  # paths relative to HERE and to addin/


class BuildPyWithTemplates(build_py):
    """build_py, then the shipped files copied into the package."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        for name in SHIPPED:
            source, target = HERE / name, Path(self.build_lib) / "addin" / name
            if source.is_dir():
                shutil.rmtree(target, ignore_errors=True)  # a template deleted here is gone from the wheel
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


setup(cmdclass={"build_py": BuildPyWithTemplates})

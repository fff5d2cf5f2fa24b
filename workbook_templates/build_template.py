"""Rebuild workbook_templates/collections.xlsx, the empty collections workbook.

    python workbook_templates/build_template.py
"""
from pathlib import Path

from addin.workbook.template import build_workbook

if __name__ == "__main__":
    out = build_workbook(Path(__file__).with_name("collections.xlsx"))
    print(f"wrote {out}")

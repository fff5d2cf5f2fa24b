"""Another process doing what another arcollect would: run with ``python -m tests.files.holder``.

``lock BOOK``: take the book's lock, say "held", keep it until stdin closes.
``count BOOK FILE N``: N times, under the lock, read the number in FILE and write it back plus one.
``spill BOOK``: open the book's package, write a sheet (into spill files), say "spilled", and wait
until stdin closes.
``read BOOK``: say "reading", then read the book over and over as ``arcollect age`` does (and check
every zip member's CRC) until stdin closes; print the number of reads and every failure, as JSON.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from addin.files.lock import book_lock


def main(what: str, book: str, *rest: str) -> None:
    if what == "lock":
        with book_lock(Path(book)):
            print("held", flush=True)
            sys.stdin.read()
    elif what == "count":
        counter, n = Path(rest[0]), int(rest[1])
        for _ in range(n):
            with book_lock(Path(book), wait=60):
                value = int(counter.read_text() or 0)
                time.sleep(0.001)          # widen the window a second holder would need
                counter.write_text(str(value + 1))
    elif what == "read":
        read_until_stdin_closes(Path(book))
    elif what == "spill":
        from addin.workbook.package import Column, XlsxPackage

        pkg = XlsxPackage.open(Path(book))
        pkg.write_sheet("Aging", [Column("n")], ([i] for i in range(1000)))
        print("spilled", flush=True)
        sys.stdin.read()


def read_until_stdin_closes(book: Path) -> None:
    import json
    import threading
    import zipfile
    from datetime import date

    from addin.app import assess

    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    print("reading", flush=True)
    reads, failures = 0, []
    while not done.is_set():
        try:
            with zipfile.ZipFile(book) as z:
                bad = z.testzip()
            if bad:
                failures.append(f"bad CRC in {bad}")
            assess(book, date(2026, 11, 30), today=date(2026, 11, 30))
        except Exception as exc:  # noqa: BLE001 - a failed read of a valid book is the finding
            failures.append(f"{type(exc).__name__}: {exc}")
        reads += 1
    print(json.dumps({"reads": reads, "failures": failures}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Progress of long work, told to whoever is watching.

A million-row book takes tens of seconds to read and refresh: a clerk at a
terminal should see it working, Excel's status bar should say what is
happening, and a scheduled run or a test should print nothing. The use cases
say what they are doing (``stage``) and how far they are (``Stage.advance``);
the shell decides who listens (``reporting``): the CLI a bar on stderr
(``TerminalWatcher``), the ribbon Excel's status bar. Nobody listens unless a
shell says so, so the use cases stay silent as functions.
"""
from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Watcher(Protocol):
    """Who is told: a stage begins (with its total of steps, or None), has done so many, ends."""

    def begin(self, label: str, total: int | None) -> None: ...

    def advance(self, done: int) -> None: ...

    def end(self) -> None: ...


_watcher: ContextVar[Watcher | None] = ContextVar("arcollect_progress", default=None)


@contextmanager
def reporting(watcher: Watcher | None):
    """Tell ``watcher`` the progress of the work done inside (None: nobody)."""
    token = _watcher.set(watcher)
    try:
        yield watcher
    finally:
        _watcher.reset(token)


class stage:
    """``with stage("Drafting", total=n) as s: ... s.advance(k)``: one step of long work, told to the watcher."""

    __slots__ = ("label", "total", "done", "_watcher")

    def __init__(self, label: str, total: int | None = None):
        self.label, self.total, self.done = label, total, 0
        self._watcher = _watcher.get() if total != 0 else None  # nothing to do is not shown

    def __enter__(self) -> stage:
        if self._watcher is not None:
            self._watcher.begin(self.label, self.total)
        return self

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self._watcher is not None:
            self._watcher.advance(self.done)

    def __exit__(self, *exc) -> None:
        if self._watcher is not None:
            self._watcher.end()


class steps:
    """Long work in named steps one after another: each a stage ("[2/6] reading the previous close") that
    lasts until ``next()`` begins the following one, or the block ends."""

    def __init__(self, labels):
        self.labels, self.k, self.current = list(labels), 0, None

    def __enter__(self) -> steps:
        return self

    def next(self) -> None:
        self.__exit__()
        self.k += 1
        self.current = stage(f"[{self.k}/{len(self.labels)}] {self.labels[self.k - 1]}").__enter__()

    def __exit__(self, *exc) -> None:
        if self.current is not None:
            self.current.__exit__()
            self.current = None


class StatusLine:
    """A watcher that hands each stage's label, as a phrase, to ``show`` (the ribbon's status bar)."""

    def __init__(self, show):
        self.show = show

    def begin(self, label: str, total: int | None) -> None:
        self.show(f"{label[:1].lower()}{label[1:]}")

    def advance(self, done: int) -> None:
        pass

    def end(self) -> None:
        pass


class TerminalWatcher:
    """A tqdm bar on ``stream`` per stage; a stage without a total shows its elapsed time, ticking twice a second.

    The bars are left on screen ("Reading book.xlsx 00:09"), so the terminal keeps the record of
    where the time went.
    """

    TICK = 0.5

    def __init__(self, stream):
        self._stream = stream
        self._bar = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def begin(self, label: str, total: int | None) -> None:
        from tqdm import tqdm  # only a terminal needs it
        self.end()
        # tqdm hides a bar on a terminal that reports no size (a pty, a serial console): 80x24 there
        size = shutil.get_terminal_size()
        shape = {"ncols": size.columns, "nrows": size.lines}
        if total is None:
            self._bar = tqdm(desc=label, file=self._stream, bar_format="{desc} {elapsed}", leave=True, **shape)
            self._stop = threading.Event()
            self._ticker = threading.Thread(target=self._tick, args=(self._bar, self._stop), daemon=True)
            self._ticker.start()
        else:
            self._bar = tqdm(desc=label, total=total, file=self._stream, leave=True, unit="",
                             mininterval=self.TICK, **shape)

    def _tick(self, bar, stop: threading.Event) -> None:
        while not stop.wait(self.TICK):
            bar.refresh()

    def advance(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def end(self) -> None:
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

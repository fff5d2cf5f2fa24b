"""arcollect's CLI on many books, in child processes bounded in memory and time; what happened to each.

A child imports arcollect once and runs ``addin.cli.main`` on each case in turn, exactly as the
``arcollect`` console script does, so a campaign of hundreds of books is not hundreds of interpreter
starts. An exception escaping ``main`` is a traceback the user would have seen. The child limits its
own address space (RLIMIT_AS) before it imports arcollect: a reader that tries to allocate too much
fails there (MemoryError, or a Rust abort that kills the child) instead of swapping the machine.
A child that dies or stops answering is replaced and the campaign carries on with the next case,
the case recorded as an abort or a hang.
"""
from __future__ import annotations

import json
import os
import re
import resource
import selectors
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GiB = 1 << 30
_MARK = "\x1eCASE "


@dataclass
class Outcome:
    case: str
    code: int | None          # exit status; None when the child died or hung on this case
    out: str
    err: str
    seconds: float
    peak_mib: float           # the child's peak resident memory so far
    failure: str | None       # None, "traceback", "abort" or "hang"
    detail: str = ""          # the traceback, or what the CLI logged of an error it caught


def run_cases(cases: list[tuple[str, list[str]]], *, memory: int = 2 * GiB, timeout: float = 60,
              env: dict | None = None, workers: int = 1) -> list[Outcome]:
    """Each (id, argv) run as ``arcollect argv``; an Outcome per case, in order.

    ``workers`` children share the cases (every ``workers``-th each), side by side.
    """
    def serial(part):
        outcomes: list[Outcome] = []
        while len(outcomes) < len(part):
            outcomes += _child(part[len(outcomes):], memory, timeout, env)
        return outcomes
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(serial, [cases[k::workers] for k in range(workers)]))
    order = {case: i for i, (case, _argv) in enumerate(cases)}
    return sorted((o for part in parts for o in part), key=lambda o: order[o.case])


def _child(cases, memory, timeout, env) -> list[Outcome]:
    """Outcomes of a prefix of ``cases``: all of them, or up to and including one that killed the child."""
    proc = subprocess.Popen([sys.executable, "-c", f"from tests.campaigns.harness import serve; serve({memory})"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=dict(env or os.environ, PYTHONPATH=str(ROOT)))
    try:
        proc.stdin.write(json.dumps(cases).encode())
        proc.stdin.close()
    except BrokenPipeError:                 # the child died before reading its cases: reported below
        pass
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    done: list[Outcome] = []
    buffer, current, started = b"", None, time.monotonic()
    try:
        while len(done) < len(cases):
            if not sel.select(timeout=max(0.0, started + timeout - time.monotonic())):
                proc.kill()
                done.append(Outcome(current or cases[len(done)][0], None, "", "", timeout, 0, "hang",
                                    f"no answer in {timeout:.0f} s"))
                return done
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                proc.wait()
                err = proc.stderr.read().decode(errors="replace")
                done.append(Outcome(current or cases[len(done)][0], None, "", err, time.monotonic() - started, 0,
                                    "abort", f"the child died (status {proc.returncode}): {err[-400:]}"))
                return done
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.decode(errors="replace")
                if not text.startswith(_MARK):
                    continue
                msg = json.loads(text[len(_MARK):])
                if "start" in msg:
                    current, started = msg["start"], time.monotonic()
                else:
                    done.append(Outcome(**msg))
                    current = None
        proc.wait(timeout=30)
        return done
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sel.close()


def serve(memory: int) -> None:
    """The child: limit its own address space, then run each case given on stdin through the CLI's main."""
    import contextlib
    import io
    import traceback

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from addin.cli import main

    for case, argv in json.loads(sys.stdin.read()):
        print(_MARK + json.dumps({"start": case}), flush=True)
        out, err = io.StringIO(), io.StringIO()
        t = time.perf_counter()
        failure, detail, code = None, "", None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        except BaseException:  # noqa: BLE001 - whatever escapes main reaches the user as a traceback
            failure, detail = "traceback", traceback.format_exc()
        logged = re.search(r"The details are in (\S+\.log)", err.getvalue())
        if logged:                  # what the CLI's catch-all logged, read before a later case reuses the name
            detail = Path(logged.group(1)).read_text(errors="replace")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(_MARK + json.dumps({"case": case, "code": code, "out": out.getvalue(), "err": err.getvalue(),
                                  "seconds": time.perf_counter() - t, "peak_mib": peak, "failure": failure,
                                  "detail": detail}), flush=True)

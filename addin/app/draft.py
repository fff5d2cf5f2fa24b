"""Doing, after deciding: emails, letters, call sheets, SMS and handover packs for a batch.

Every file goes to the outbox folder beside the workbook (or the one named in
Settings). A draft whose stable message id is already logged as drafted is
not drafted again, so re-running the same day changes nothing.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..core.model import Communication, HistoryEntry, Problem
from ..core.settings import Settings
from ..documents.callsheet import call_sheet
from ..documents.handover import handover_filename, handover_pack
from ..documents.pdf import write_letters
from ..documents.render import render_batch
from ..documents.sources import letters_dir
from ..documents.sms import sms_batch
from ..workbook.history import contact_entry
from ..mail.message import AddressProblem, message_bytes, message_id
from ..files.atomic import sweep_leftovers
from ..mail.outbox import write_draft
from .progress import stage

PARALLEL_FROM = 500  # emails in a batch from which drafting uses two processes


def _draft_chunk(args) -> tuple[list[str], list[Problem]]:
    """Render and write the .eml drafts of a chunk of communications (runs in a worker process)."""
    comms, settings, folder, template_dir, sender = args
    rendered, problems = render_batch(comms, settings, template_dir, parts=("subject", "text", "html"))
    paths = []
    for comm, r in zip(comms, rendered):
        if r is None:
            paths.append("")
            continue
        try:
            msg = message_bytes(comm, r, settings, sender=sender, draft=True)
        except AddressProblem as exc:
            problems.append(exc.problem)
            paths.append("")
            continue
        paths.append(str(write_draft(msg, comm, folder)))
    return paths, problems


def draft_emails(comms, settings: Settings, folder, *, template_dir=None, sender=None,
                 workers: int = 1) -> tuple[list[Path | None], list[Problem]]:
    """Render and write one .eml draft per communication (no letters attached).

    Returns the draft path per communication (None where it could not be
    drafted) and the problems (template problems, bad addresses naming their
    cell). ``workers`` > 1 spreads the batch over that many processes.
    """
    comms = list(comms)
    Path(folder).mkdir(parents=True, exist_ok=True)
    parallel = workers > 1 and len(comms) >= 200
    size = -(-len(comms) // (workers * 4)) if parallel else max(len(comms), 1)
    chunks = [(comms[i:i + size], settings, str(folder), template_dir, sender) for i in range(0, len(comms), size)]
    paths, problems = [], []
    with stage("Drafting emails", total=len(comms)) as progress, \
            (ProcessPoolExecutor(max_workers=workers) if parallel else nullcontext()) as pool:
        for p, probs in (pool.map if parallel else map)(_draft_chunk, chunks):
            paths += p
            problems += [x for x in probs if x not in problems]
            progress.advance(len(p))
    return [Path(p) if p else None for p in paths], problems


@dataclass
class DraftResult:
    entries: list[HistoryEntry] = field(default_factory=list)
    documents: dict[tuple[str, str], str] = field(default_factory=dict)  # (customer key, currency) -> main document
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    skipped: int = 0


def outbox_folder(book: Path, settings: Settings) -> Path:
    """Settings' outbox (relative to the book), else '<book name> outbox' beside the workbook."""
    if settings.outbox:
        folder = Path(settings.outbox).expanduser()
        return folder if folder.is_absolute() else book.parent / folder
    return book.parent / f"{book.stem} outbox"


def sender_address(settings: Settings, environ=None) -> str:
    """Who the emails are from: ARCOLLECT_FROM, else Settings' From, else the company email ('' if none)."""
    env = os.environ if environ is None else environ
    return (env.get("ARCOLLECT_FROM") or settings.mail_from or settings.company.email or "").strip()


def _history_for(history: pd.DataFrame, key: str, currency: str) -> list[HistoryEntry]:
    rows = history.loc[(history["customer_key"] == key) & (history["currency"] == currency)]
    return [HistoryEntry(timestamp=d.isoformat(), run_id="", customer_id=key, customer=c, currency=currency,
                         level=None if pd.isna(lv) else int(lv), channel=ch, action=act, outcome=out,
                         message_id=mid)
            for d, c, lv, ch, act, out, mid in zip(rows["date"], rows["customer"], rows["level"], rows["channel"],
                                                  rows["action"], rows["outcome"], rows["message_id"])]


def draft_batch(comms: list[Communication], settings: Settings, history: pd.DataFrame, outbox: Path, *,
                now: datetime, run_id: str, user: str, base: Path | None = None, sender: str = "",
                attachments: dict | None = None) -> DraftResult:
    """Draft every channel of every communication not drafted before; return what to log.

    Documents are logged relative to ``base`` (the workbook's folder) when given. A
    communication drafted earlier the same day keeps its logged documents, so the
    Actions sheet still links the draft the clerk approves. ``attachments``: a PDF
    already made for a communication (its key -> the bytes, a statement of account)
    that its email carries.
    """
    attachments = attachments or {}
    result = DraftResult()
    sweep_leftovers(outbox)  # what a run killed while drafting left half-written
    domain = sender.rpartition("@")[2] or "arcollect.invalid"
    ids = {c.key: message_id(c, domain) for c in comms}
    drafted = history.loc[(history["action"] == "drafted") & history["message_id"].isin(set(ids.values()))]
    earlier = dict(zip(drafted["message_id"], drafted["document"]))
    todo = [c for c in comms if ids[c.key] not in earlier]
    for c in comms:
        if ids[c.key] in earlier:
            result.documents[(c.customer_id, c.currency)] = earlier[ids[c.key]]
    result.skipped = len(comms) - len(todo)
    if not todo:
        return result

    def log(comm, channel, path):
        document = os.path.relpath(path, base) if base else str(path)  # relative: the folder can move
        result.entries.append(contact_entry(comm, action="drafted", channel=channel, now=now, run_id=run_id,
                                            user=user, document=document, message_id=ids[comm.key]))
        result.documents.setdefault((comm.customer_id, comm.currency), document)
        result.files.append(Path(path))
    outbox.mkdir(parents=True, exist_ok=True)
    tdir = letters_dir(settings.template_dir, base)
    if not tdir.is_dir():  # reported by assess, naming the Settings cell
        tdir = letters_dir()
    # Email-only messages (most of a batch) go through the bulk path, on both cores for big batches.
    plain = [c for c in todo if c.channels == ("email",) and not c.final and c.key not in attachments]
    paths, problems = draft_emails(plain, settings, outbox, sender=sender or None, template_dir=tdir,
                                   workers=2 if len(plain) >= PARALLEL_FROM else 1)
    result.problems += problems
    for comm, path in zip(plain, paths):
        if path is not None:
            log(comm, "email", path)
    bulk = {c.key for c in plain}
    rest = [c for c in todo if c.key not in bulk]
    with stage("Rendering letters, calls and SMS", total=len(rest)) as progress:
        rendered, problems = render_batch(rest, settings, tdir)
        progress.advance(len(rest))
    result.problems += problems
    ok = [(c, r) for c, r in zip(rest, rendered) if r is not None]

    letters = [(c, r) for c, r in ok if "letter" in c.channels]
    with stage("Writing letters", total=len(letters)) as progress:
        letter_paths, combined = write_letters(letters, outbox, settings) if letters else ([], None)
        progress.advance(len(letters))
    letter_of = {c.key: p for (c, _), p in zip(letters, letter_paths)}
    if combined:
        result.files.append(Path(combined))
    for comm, r in ok:
        if "email" in comm.channels:
            pdf = Path(letter_of[comm.key]).read_bytes() if comm.key in letter_of else attachments.get(comm.key)
            try:
                msg = message_bytes(comm, r, settings, sender=sender or None, draft=True, letter_pdf=pdf)
            except AddressProblem as exc:
                result.problems.append(exc.problem)
                continue
            log(comm, "email", write_draft(msg, comm, outbox))
        if comm.key in letter_of:
            log(comm, "letter", letter_of[comm.key])
        if comm.final:
            documents = [e.document for e in result.entries if (e.customer_id, e.currency) == comm.key.approval[:2]]
            pack = handover_pack(comm, settings, _history_for(history, comm.customer_id, comm.currency), documents,
                                 outbox / handover_filename(comm), base=base)
            result.files.append(Path(pack))
    calls = [c for c, _ in ok if "phone" in c.channels]
    if calls:
        sheet = call_sheet(calls, settings, now, outbox, calls[0].run_date)
        result.problems += sheet.problems
        for comm in calls:
            if comm.customer_id in sheet.callable:
                log(comm, "phone", sheet.path)
    texts = [c for c, _ in ok if "sms" in c.channels]
    if texts:
        path, drafts, bad = sms_batch(texts, settings, outbox, texts[0].run_date, tdir)
        result.problems += bad
        listed = {getattr(d, "customer_id", "") for d in drafts}
        for comm in texts:
            if comm.customer_id in listed:
                log(comm, "sms", path)
    result.problems = list(dict.fromkeys(result.problems))  # one line per distinct problem
    return result

"""Drafting joins rendering and mail: bad addresses are Problems naming their cell, good drafts are written."""
from addin.app.draft import draft_emails
from addin.core.model import Problem
from addin.documents.sample import sample_communication, sample_settings


def test_draft_emails_batch_reports_bad_addresses(tmp_path):
    comms = [sample_communication(1), sample_communication(2, email="x@@y", email_cell="Receivables!F3")]
    paths, problems = draft_emails(comms, sample_settings(), tmp_path)
    assert paths[0].is_file() and paths[1] is None
    assert problems == [Problem("Receivables!F3", "email 'x@@y' is not a valid address")]


def test_the_two_process_path_gives_the_same_drafts(tmp_path):
    comms = [sample_communication(i) for i in range(1, 241)]
    one, _ = draft_emails(comms, sample_settings(), tmp_path / "one")
    two, _ = draft_emails(comms, sample_settings(), tmp_path / "two", workers=2)
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]

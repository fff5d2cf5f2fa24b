"""The use cases: what a ribbon button, a cell function, xlwings Lite or a CLI command does.

Each takes a workbook (the port) and plain arguments (the as-of date, the
moment it runs), returns a result with its Problems, and is the only thing the
front ends call.
"""
from .assess import Assessment, age_report, assess, summary_text
from .draft import outbox_folder
from .errors import UsageError
from .log import OUTCOMES, log_contact
from .refresh import RunResult, refresh, run
from .send import ALL_UNCERTAIN, SendResult, Uncertain, send, uncertain_messages

__all__ = ["ALL_UNCERTAIN", "Assessment", "OUTCOMES", "RunResult", "SendResult", "Uncertain", "UsageError",
           "age_report", "assess", "log_contact", "outbox_folder", "refresh", "run", "send", "summary_text",
           "uncertain_messages"]

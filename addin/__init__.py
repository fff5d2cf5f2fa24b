"""arcollect: accounts-receivable collections in the workbook where the receivables live."""

__version__ = "0.1.0"

from .finance import installments, late_interest, settlement_offer  # noqa: E402,F401

"""arcollect: accounts-receivable collections in the workbook where the receivables live."""

__version__ = "0.1.0"

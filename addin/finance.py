"""Public Python entry points for plans, late interest and settlement offers.

Thin edge wrappers over the pure core: they load the reference-rate tables
(package data or a file given) and pass them in; everything else is the core's.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from .core.interest import LateInterest
from .core.interest import late_interest as _late_interest
from .core.plans import Installment, PlanStatus, track_plan
from .core.plans import installments as _installments
from .core.settlement import SettlementOffer
from .core.settlement import settlement_offer as _settlement_offer
from .refdata import reference_rates

__all__ = ["installments", "late_interest", "settlement_offer", "track_plan",
           "Installment", "LateInterest", "PlanStatus", "SettlementOffer"]


def installments(principal, n, annual_rate=0, first_due: date | None = None,
                 frequency: str = "monthly", when: str = "end", currency: str = "",
                 remainder: str = "last") -> list[Installment]:
    """Installment schedule: rows (number, due_date, payment, interest, principal, balance).

    PMT-compatible annuity with interest (annual_rate as a fraction, 0.08 = 8 %),
    equal split without; rounded to the minor unit, the remainder on the last
    installment. See :mod:`addin.core.plans`.
    """
    return _installments(principal, n, annual_rate, first_due, frequency, when, currency, remainder)


def late_interest(amount, due: date, paid: date, rule: str = "simple", rate=None, *,
                  currency: str | None = None, rates_file: str | Path | None = None) -> LateInterest:
    """Late interest and compensation: rule "simple" (rate required), "uk-1998" or "eu-2011-7".

    The statutory rules read the packaged Bank of England / ECB rate tables, or
    ``rates_file`` (CSV: effective_date,rate_percent). See :mod:`addin.core.interest`.
    """
    table = None
    if rate is None or rule not in (None, "simple"):
        try:
            table = reference_rates(rule, rates_file)
        except ValueError:
            table = None  # an unknown rule: the core reports it in plain words
    return _late_interest(amount, due, paid, rule, rate, table.rows if table else None, currency)


def settlement_offer(balance, discount_percent=None, discount_amount=None, **plan) -> SettlementOffer:
    """Lump sum at a discount, compared with a plan: see :func:`addin.core.settlement.settlement_offer`."""
    return _settlement_offer(balance, discount_percent, discount_amount, **plan)

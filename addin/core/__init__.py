"""The pure domain: money, dates, aging, dunning, plans, interest, KPIs.

Nothing here touches files, the network, the clock, the environment or Excel:
the as-of date, the policy and the data are always passed in.
"""

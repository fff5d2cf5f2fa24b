"""The one exception a use case raises for a request it cannot carry out as asked."""


class UsageError(ValueError):
    """A request that cannot be carried out as asked (unknown customer, missing argument)."""

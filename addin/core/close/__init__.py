"""Month-end close, pure: the period, the roll-forward, bucket migration, the CRF KPIs and the provision matrix.

Everything here takes frames and plain values (the as-of date, the period, the
loss rates) and returns records; reading the book and writing the pack is
``addin.app.close``'s.
"""

"""xlwings entry points only: UDFs, ribbon callbacks, the .xlam build and install."""

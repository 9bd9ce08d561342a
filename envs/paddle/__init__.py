"""paddle environment (see the modules of this package)."""

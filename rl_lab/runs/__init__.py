"""The run directory: safe loading, locking, limited reads, atomic writes and staging of runs."""

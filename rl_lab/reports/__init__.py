"""Reports: several seeds of one experiment as tables, statistics and learning curves."""

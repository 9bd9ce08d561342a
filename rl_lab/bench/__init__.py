"""Benchmarks: environment and training throughput, learning benchmarks and the suite."""

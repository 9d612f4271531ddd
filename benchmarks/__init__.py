"""Benchmarks: ``python -m benchmarks`` prints one table of throughput, memory and warm-up."""

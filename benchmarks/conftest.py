"""Benchmarks run with ``pytest benchmarks --benchmark-only``; they are not part of the unit tests."""

"""Seeded national-scale synthetic data and benchmarks (see bench/README.md)."""

"""Tooling beside the domain services: the local demo, demo and synthetic data, the benchmark."""

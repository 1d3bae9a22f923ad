"""Helpers shared by the tests: backends, a local HTTP sink, and real Arrimage processes."""

"""The engine: automation documents, templates, conditions, event intake and the run executor."""

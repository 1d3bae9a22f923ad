"""The web layer: webhook intake, the REST API under ``/api``, and (later) the pages."""

"""Cyberimpact, the Québec email-marketing service: so far only its API client.

:mod:`.client` calls the REST API v4 and :mod:`.errors` contains the errors it raises. The app
declaration (``APP``), with its triggers, actions and searches, does not exist yet, so the
registry does not list this package.
"""

"""Connectors: one package per app, each with the same shape.

``__init__.py`` declares the app (:class:`~arrimage.connectors.declaration.App`);
``triggers.py``, ``actions.py`` and ``searches.py`` hold the functions behind its operations;
``client.py`` (when the app has an API) makes the HTTP calls and maps their errors;
``samples/`` contains sample outputs and ``QUALITY.yaml`` the connector's checklist.
"""

"""Local emulators of the apps Arrimage connects, for tests and demonstrations.

No real app is reachable from the machines that test Arrimage, so each app that calls Arrimage
or that Arrimage calls has a small emulator here, built from the app's public documentation:
it serves the API routes the connector uses and sends webhooks shaped and signed like the app's.
The Cyberimpact emulator is larger and lives in :mod:`arrimage.sandbox`. Emulators listen on
127.0.0.1 only.
"""

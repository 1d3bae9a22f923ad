"""Import a CSV file: each row becomes an event of an automation, or a contact in a Cyberimpact batch.

- :mod:`.reading`: encoding, delimiter, header names matched to fields, streamed records.
- :mod:`.contacts`: a row converted to a Cyberimpact member with the actions' normalizers.
- :mod:`.bulk`: the batch path (``POST /batches`` in chunks, polled until done).
- :mod:`.events`: the event path (one stored event and one queued run per row).
- :mod:`.state`: the progress file that lets an interrupted import resume, and the report.
"""

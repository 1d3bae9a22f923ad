"""``arrimage demo``: the whole product on bundled sample events, against a local sandbox.

The demo starts the Cyberimpact sandbox with the starting data of a small Québec shop, then
Arrimage on SQLite in its own data folder, creates the connections, installs the recipes and
turns them on. It posts the bundled webhook deliveries (Google Forms, Shopify, WooCommerce)
through the real webhook URLs with valid signatures, waits for their runs, imports a 500-row
CSV export in batches, and prints what came of each event and row. Then it serves the web app
until Ctrl-C, or exits with ``--exit``.

Modules, in the order the demo uses them:

- :mod:`.workspace`: the data folder, erased at each start;
- :mod:`.servers`: the ports and the sandbox;
- :mod:`.recipes` and :mod:`.installation`: connections and automations;
- :mod:`.bundle`, :mod:`.dates` and :mod:`.player`: the bundled deliveries and their sending;
- :mod:`.waiting` and :mod:`.outcomes`: the runs and what came of them;
- :mod:`.contacts_csv` and :mod:`.csv_import`: the CSV file and its import;
- :mod:`.contacts` and :mod:`.summary`: the sandbox's final contacts and the summary;
- :mod:`.scenario`: all of the above, in order.
"""

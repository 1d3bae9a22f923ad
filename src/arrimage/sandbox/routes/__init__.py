"""HTTP routes of the sandbox, one module per area of the Cyberimpact API."""

"""Contract tests of the Cyberimpact sandbox."""

"""Persistence: the SQLAlchemy models, the database engine, migrations and stored secrets.

The same code runs on SQLite (the default, one file in the data directory) and PostgreSQL.
"""

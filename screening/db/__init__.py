"""The database layer: psycopg is imported only under this package.

Named SQL lives in ``queries.sql`` (loaded by ``sql.py``); repository modules (``panels``, ``batches``,
``jobs``, ``results``) take a connection and return frozen dataclasses or domain objects.
"""

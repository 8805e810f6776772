"""The database layer: psycopg is imported only under this package.

Named SQL lives in ``queries.sql``; repository functions take a connection and return frozen
dataclasses (``rows.py``) or domain objects.
"""

"""The database layer: psycopg is imported only under this package.

Named SQL lives in ``*.sql`` (loaded by ``sql.py``); repository modules take a connection and return
frozen dataclasses or domain objects, never rows: a row becomes a dataclass with
``connection.row_to``. A psycopg error becomes the project's (``screening.errors``) in
``connection.translate_errors``, which every ``connection.transaction`` and ``connect`` wraps.
"""

"""Newborn genome screening: screen each baby's VCF against a versioned panel of treatable conditions."""

# The one place the version is written (pyproject.toml reads it from here): no importlib.metadata at
# import, which alone cost ~74 ms of every command's start-up.
__version__ = "0.1.0"

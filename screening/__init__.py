"""Newborn genome screening: screen each baby's VCF against a versioned panel of treatable conditions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newborn-screening")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

"""File digests: the sha256 that is a result's provenance (no heavy imports, so that a command can
start hashing a VCF before it imports the engine's libraries)."""

from __future__ import annotations

import hashlib
import os


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (hashlib releases the GIL: it runs alongside)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

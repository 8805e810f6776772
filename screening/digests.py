"""File digests: the sha256 that is a result's provenance (no heavy imports, so that a command can
start hashing a VCF before it imports the engine's libraries)."""

from __future__ import annotations

import hashlib
import os


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 16 MiB chunks: hashlib releases the GIL while it hashes one, and
    a thread running alongside Python code waits for the GIL again after each (up to the 5 ms switch
    interval): 1 MiB chunks made a 243 MB file wait ~240 times."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()

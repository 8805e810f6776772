"""The sha256 of an input file: the evidence that a result belongs to the file that was submitted.

Standard library only, so that a command can start hashing before it imports the engine
(``screening screen`` hashes the VCF while polars, pysam and cyvcf2 load: the two overlap on two
cores, where hashing after the imports would add the whole hash to the command's time).
"""

from __future__ import annotations

import hashlib
import os
import threading

CHUNK = 1 << 24


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 16 MiB chunks: hashlib releases the GIL while it hashes one, and
    a thread hashing beside Python code (the screen) waits for the GIL again after each, up to the
    5 ms switch interval; beside a busy thread a 243 MB file took 1.2 s so, 1.7 s in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Hashing:
    """A file's sha256, computed in a background thread from the moment this is created.

    ``result()`` waits for it and returns the hex digest, or raises what the read met (an ``OSError``).
    The thread is a daemon: a command that fails before it asks for the digest does not wait for it.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._done = threading.Event()
        self._digest: str | None = None
        self._error: Exception | None = None
        threading.Thread(target=self._run, name="sha256", daemon=True).start()

    def _run(self) -> None:
        try:
            self._digest = sha256_file(self.path)
        except Exception as exc:  # given to the caller by result()
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> str:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

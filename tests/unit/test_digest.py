"""The VCF's sha256, computed in the foreground or in a background thread."""

import hashlib

import pytest

from screening import digest


def test_sha256_of_a_file_larger_than_one_chunk(tmp_path):
    data = bytes(range(256)) * ((digest.CHUNK * 2 + 12345) // 256)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert digest.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert digest.Hashing(path).result() == hashlib.sha256(data).hexdigest()


def test_background_hashing_gives_the_read_error_to_whoever_asks(tmp_path):
    hashing = digest.Hashing(tmp_path / "gone.vcf.gz")
    with pytest.raises(FileNotFoundError):
        hashing.result()
    with pytest.raises(FileNotFoundError):  # asked again: the same answer
        hashing.result()

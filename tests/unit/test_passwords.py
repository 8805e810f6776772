"""Password hashing: argon2id for new hashes; scrypt hashes stored before still verify."""

from __future__ import annotations

import hashlib

from screening.web.passwords import hash_password, needs_rehash, password_problem, verify_password


def test_new_hashes_are_argon2id_and_verify():
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password("correct horse battery staple", stored)
    assert not verify_password("correct horse battery stapl", stored)
    assert not needs_rehash(stored)


def test_scrypt_hashes_stored_before_still_verify_and_ask_for_a_rehash():
    salt = bytes(16)
    digest = hashlib.scrypt(b"an older password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    assert verify_password("an older password", stored)
    assert not verify_password("another password", stored)
    assert needs_rehash(stored)


def test_malformed_stored_values_never_verify_or_raise():
    for stored in ("", "scrypt$", "scrypt$x$y$z$00$00", "$argon2id$garbage", "plain"):
        assert not verify_password("anything at all", stored)


def test_password_rules():
    assert password_problem("short") is not None
    assert password_problem(" padded password ") is not None
    assert password_problem("with a \x00 inside it") is not None
    assert password_problem("long enough password") is None

"""Password hashing with argon2id (argon2-cffi); constant-time verification.

New hashes are argon2id in the PHC string form (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), so the
parameters travel with each hash and can be raised later. Hashes stored before (hashlib.scrypt,
``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``) still verify; :func:`needs_rehash` says when a
signed-in user's hash should be replaced.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from screening.domain import N_, Reason

MIN_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
DUMMY_HASH = _HASHER.hash("not a password of anyone")  # verified against when the user does not exist


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed stored value."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return stored.startswith("scrypt$") or _HASHER.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = bytes.fromhex(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def password_problem(password: str) -> Reason | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return Reason(N_("the password must have at least {n} characters"), n=MIN_LENGTH)
    if password.strip() != password:
        return Reason(N_("the password must not start or end with spaces"))
    if "\x00" in password or len(password) > 1024:
        return Reason(N_("the password must be at most 1024 characters, without NUL"))
    return None

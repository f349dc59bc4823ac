"""The password policy, applied wherever a password is set (`phancap user add/passwd`, the demo):
at least MIN_LENGTH characters, not containing the user name, not one of the common passwords
shipped in definitions/passwords/common.txt. A refusal names the rule it broke (rule `password`).
Passwords are hashed with argon2id by HASHER, the one object every hash, verification and rehash check uses."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher

from phancap.engine.errors import Refusal

# argon2-cffi's defaults: RFC 9106's second recommended profile (t=3, m=64 MiB, p=4). A stored hash made with
# other parameters still verifies (they are in the hash) and is rehashed with these at the next sign-in.
HASHER = PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 1024  # the login form takes no longer one


class WeakPassword(Refusal):
    """A password the policy refuses; `extra["policy"]` names the part: length, name or common."""

    def __init__(self, policy: str, message_vi: str, message_en: str) -> None:
        super().__init__("password", message_vi, message_en, extra={"policy": policy})


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = (resources.files("phancap.definitions") / "passwords" / "common.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password(name: str, password: str) -> None:
    """Nothing when the password may be used for user `name`; WeakPassword naming the rule otherwise."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("length", f"Mật khẩu quá ngắn: cần ít nhất {MIN_LENGTH} ký tự",
                           f"password too short: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("length", f"Mật khẩu quá dài: tối đa {MAX_LENGTH} ký tự",
                           f"password too long: at most {MAX_LENGTH} characters")
    lowered = password.casefold()
    if name and name.strip().casefold() in lowered:
        raise WeakPassword("name", "Mật khẩu không được chứa tên đăng nhập",
                           "password must not contain the user name")
    if lowered in common_passwords():
        raise WeakPassword("common", "Mật khẩu nằm trong danh sách mật khẩu phổ biến; hãy chọn mật khẩu khác",
                           "password is on the list of common passwords; choose another")


_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"  # no look-alikes (l/1/I, O/0, S/5…)


def generate_password(name: str) -> str:
    """A temporary password an administrator hands over (reset, import): 3 groups of 5, ~84 bits."""
    import secrets

    while True:
        candidate = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(3))
        try:
            check_password(name, candidate)
        except WeakPassword:
            continue
        return candidate

"""Where the SMTP password lives: the system keyring if there is one, else an environment variable.

The password is never written to a settings file. Lookup order: ``LABQUEUE_SMTP_PASSWORD`` (an
explicit override for scripts and headless machines), then the keyring entry for host and user.
``keyring`` is imported lazily, so importing labqueue never touches a keyring.
"""

from __future__ import annotations

import os

__all__ = ["ENV_VAR", "CredentialError", "keyring_available", "get_password", "store_password",
           "delete_password"]

#: Environment variable that holds the SMTP password when no keyring is available.
ENV_VAR = "LABQUEUE_SMTP_PASSWORD"


class CredentialError(RuntimeError):
    """The password could not be stored or removed (no usable keyring)."""


def _service(host: str) -> str:
    return f"labqueue-smtp:{host.strip().lower()}"


def _backend():
    """The keyring backend, or None when the keyring package or a usable backend is missing."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring config is "no keyring"
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return backend


def keyring_available() -> bool:
    """True when a system keyring can hold the password."""
    return _backend() is not None


def get_password(host: str, user: str) -> str | None:
    """The password for ``user`` on ``host``: the environment variable first, then the keyring."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    backend = _backend()
    if backend is None or not user:
        return None
    try:
        return backend.get_password(_service(host), user)
    except Exception:  # noqa: BLE001 - a locked or broken keyring means "no password"
        return None


def store_password(host: str, user: str, password: str) -> None:
    """Keep the password in the system keyring; ``CredentialError`` when there is none."""
    if not user:
        raise CredentialError("set the SMTP user name before a password")
    backend = _backend()
    if backend is None:
        raise CredentialError(f"no system keyring is available to keep the password safely; "
                              f"set the environment variable {ENV_VAR} instead")
    try:
        backend.set_password(_service(host), user, password)
    except Exception as exc:  # noqa: BLE001 - report any keyring failure the same way
        raise CredentialError(f"the keyring refused the password: {exc}") from exc


def delete_password(host: str, user: str) -> None:
    """Forget a stored password (nothing happens if there is none)."""
    backend = _backend()
    if backend is None or not user:
        return
    try:
        backend.delete_password(_service(host), user)
    except Exception:  # noqa: BLE001 - keyring raises PasswordDeleteError when absent
        pass

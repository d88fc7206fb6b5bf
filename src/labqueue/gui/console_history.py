"""Passwords stay out of the console's history file: :func:`keep_secrets_out_of_history`.

IPython saves every line typed in the console to ``history.sqlite`` (the up-arrow recalls it in
the next session). A password typed as code — ``SmtpSettings(..., password="...")`` — would land
there. The console therefore stores such lines with the string given as a password blanked; the
code itself runs unchanged. The sound way is not to type a password as code at all:
``SmtpSettings(...).ask_password()``, the keyring (Notifications dialog), or
``LABQUEUE_SMTP_PASSWORD``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact_secrets", "keep_secrets_out_of_history", "HIDDEN"]

#: What a blanked password looks like in the history.
HIDDEN = "'***'"

_SECRET = re.compile(
    r"(\b\w*(?:password|passwd|pwd)\w*\s*=\s*)"  # a name or keyword that says password, then =
    r"[rRbBuUfF]{0,2}"  # a string prefix
    r"""('''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""",  # the literal
    re.IGNORECASE | re.DOTALL,
)


def redact_secrets(code: str) -> str:
    """``code`` with every string literal given to a password-like name or keyword blanked."""
    return _SECRET.sub(lambda match: match.group(1) + HIDDEN, code)


def keep_secrets_out_of_history(shell: Any) -> None:
    """Make ``shell`` (an IPython shell) store each input with :func:`redact_secrets` applied.

    Covers the history database, ``In`` / ``_i`` and the up-arrow of later sessions.
    """
    history = shell.history_manager
    store = history.store_inputs

    def store_redacted(line_num: int, source: str, source_raw: str | None = None) -> None:
        store(line_num, redact_secrets(source), None if source_raw is None else redact_secrets(source_raw))

    history.store_inputs = store_redacted

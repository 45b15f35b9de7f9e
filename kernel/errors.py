"""Errors that surfaces turn into one clear line and an exit code."""


class PmpilotError(Exception):
    """Base class for errors a user can act on (bad input, missing data, misconfiguration).

    Surfaces print ``str(error)`` as a single line and exit with code 1; anything
    else is a bug and may show a traceback only with ``--debug``.
    """


class InputError(PmpilotError):
    """The user's input (file, argument, payload) is invalid."""


class NotFoundError(PmpilotError):
    """A run, job, workspace or subject that was asked for does not exist."""


class ConfigError(PmpilotError):
    """Settings are inconsistent or incomplete."""


class TransientError(PmpilotError):
    """A dependency failed in a way that a retry may fix (LLM 429/5xx, store unavailable)."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's message on one line (whitespace folded), at most ``limit`` characters.

    For wrapping a dependency's error into a :class:`PmpilotError` message; falls back to the
    exception's type name when it has no message.
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."

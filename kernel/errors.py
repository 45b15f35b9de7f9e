"""Errors that surfaces turn into one clear line and an exit code."""


# Every character str.splitlines() breaks on, escaped so a message stays on one line.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class PmpilotError(Exception):
    """Base class for errors a user can act on (bad input, missing data, misconfiguration).

    Surfaces print ``str(error)`` as a single line and exit with code 1; anything
    else is a bug and may show a traceback only with ``--debug``. Line breaks that reach
    the message anyway (a file name or value quoted without :func:`shown`) are escaped.
    """

    def __str__(self) -> str:
        """The message, always on one line."""
        return super().__str__().translate(_LINE_BREAKS)


def shown(text: str) -> str:
    """Text from user input (a column name, a value) as a one-line message may quote it.

    Printable text is shown as is; text holding line breaks or other control characters is
    shown as its Python repr, so the reader sees exactly what the file holds.
    """
    return text if text.isprintable() else repr(text)


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

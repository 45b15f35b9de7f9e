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

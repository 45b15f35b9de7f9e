"""Turn every failure of a UI handler into one readable line (``gr.Error``), never a stack trace."""

from __future__ import annotations

import functools
import html
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from kernel.errors import PmpilotError

logger = logging.getLogger("pmpilot.ui")

F = TypeVar("F", bound=Callable[..., Any])


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, HTML-escaped (Gradio renders it as HTML)."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return html.escape(text or type(exc).__name__)


def to_gradio_error(exc: Exception) -> gr.Error:
    """A user-facing error: the message of a pmpilot error, or the logged type and line of a bug."""
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, PmpilotError):
        return gr.Error(one_line(exc), print_exception=False)
    logger.exception("UI handler failed")
    return gr.Error(f"unexpected error ({type(exc).__name__}): {one_line(exc)}", print_exception=False)


def friendly(fn: F) -> F:
    """Decorate a handler (function or generator) so errors reach the page as one clear line."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # every failure is shown as gr.Error; bugs are logged with traceback
                raise to_gradio_error(exc) from exc

        return gen  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # every failure is shown as gr.Error; bugs are logged with traceback
            raise to_gradio_error(exc) from exc

    return call  # type: ignore[return-value]

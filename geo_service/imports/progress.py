"""Stages of a long-running import, for whoever is watching (the CLI shows a progress bar).

The pipeline calls ``stage("…")`` as it goes; nothing is shown unless a caller installed a
reporter with ``reporting(callback)``. A context variable keeps the pipeline's signatures
free of UI parameters and keeps concurrent requests apart.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar

from geo_service.scoped import scoped

Reporter = Callable[[str], None]
_reporter: ContextVar[Reporter | None] = ContextVar("geo_service_progress", default=None)


def stage(label: str) -> None:
    """Announce the stage that starts now."""
    reporter = _reporter.get()
    if reporter is not None:
        reporter(label)


def reporting(reporter: Reporter) -> AbstractContextManager[None]:
    """Within this block, stages go to ``reporter``."""
    return scoped(_reporter, reporter)

"""The import log as the API and the CLI show it.

``Store.imports`` holds times as ``datetime`` and what each import wrote as a dict; the
log has always been shown with times as ISO text to the second in UTC
('2025-07-01T09:30:12+00:00') and ``counts`` (and ``notes``) as JSON text, and is shown so still.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd


def import_log_text(log: pd.DataFrame) -> pd.DataFrame:
    """``log`` (``Store.imports``) with ``at``/``undone_at`` and ``counts`` as text."""
    texts = {
        "at": [_stamp(value) for value in log["at"]],
        "undone_at": [_stamp(value) for value in log["undone_at"]],
        "counts": [json.dumps(counts) for counts in log["counts"]],
        "notes": [json.dumps(notes, ensure_ascii=False) for notes in log["notes"]],
    }
    return log.assign(
        **{name: pd.Series(values, index=log.index, dtype=object) for name, values in texts.items()}
    )


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")

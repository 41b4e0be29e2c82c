"""Command-line options and output console shared by the benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def parse(
    description: str, out: str, argv: list[str] | None, *, scale: bool = True
) -> argparse.Namespace:
    """``--seed``, ``--repeat`` (≥ 1), ``--out`` and, where the data scales, ``--scale``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=42)
    if scale:
        parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(out))
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def console(width: int = 110) -> Console:
    """A console that keeps result tables whole when piped (rich assumes 80 columns)."""
    found = Console()
    return found if found.is_terminal else Console(width=width)

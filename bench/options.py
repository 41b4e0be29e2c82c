"""Command-line options and output console shared by the benchmarks."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def write_report(report: dict[str, Any], out: Path | None, console: Console) -> None:
    """The run's figures as JSON at ``out`` (none written without it)."""
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"written {out}")


Run = Callable[[int, float, int, Path, Console], object]


def main_of(run: Run, description: str, out: str, width: int) -> Callable[[list[str] | None], None]:
    """A benchmark's ``main``: its options parsed, then ``run(seed, scale, repeat, out,
    console)``."""

    def main(argv: list[str] | None = None) -> None:
        args = parse(description, out, argv)
        run(args.seed, args.scale, args.repeat, args.out, console(width))

    return main

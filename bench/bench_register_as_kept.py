"""Registers as communes keep them: 10,000 rows with no ID column and free type names.

The same national unit tree as ``bench_register`` (``bench.generate``, scale 1). The register
is written the way a district police office collects it: province, district and commune
by name (a tenth without accents), the village spelled as in ``bench_register``, a free
type text ("Tổ tuần tra nhân dân thôn …", "KDC an toàn PCCC", "Camera giám sát ANTT"…),
a model name, members as "1.250" or "12 người", Vietnamese dates (dd/mm/yyyy), and no
"Mã mô hình" or type code at all: models are keyed by what their rows say.

Ours: ``read_register`` on that register (parse, headers, row identities, type aliases,
unit matching, frames). Reference, measured in the same run, alternating: ``read_register``
on ``bench_register``'s register (model IDs, type codes, communes mostly by code), the
current register benchmark. Every matched row is checked against the village and type it
was generated from; any other match stops the run.

    python -m bench.bench_register_as_kept --seed 42 --repeat 5
"""

from __future__ import annotations

import csv
import gc
import json
import os
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from bench import options
from bench.bench_register import (
    ROWS,
    VILLAGE_FORMS,
    Register,
    make_register,
    ours,
    strip_accents,
    timed,
    village_spelling,
)
from bench.generate import generate
from geo_service.domain import Level
from geo_service.ingest.registers.match_report import MatchReport

TARGET_SECONDS = 2.0
HEADER = ["STT", "Tỉnh", "Huyện", "Xã/Phường", "Thôn/TDP", "Tên mô hình", "Loại mô hình",
          "Số thành viên", "Ngày ra mắt"]  # fmt: skip
# Free type texts as registers write them, and the type each must be read as.
TYPE_TEXTS = {
    "Tổ tuần tra nhân dân": "patrol_team",
    "Tổ tuần tra": "patrol_team",
    "Tổ nhân dân tự quản về ANTT": "self_managed_group",
    "Tổ tự quản liên gia": "inter_household_group",
    "Camera giám sát ANTT": "security_camera",
    "KDC an toàn PCCC": "fire_safe_area",
    "Khu dân cư không ma túy": "drug_free_area",
    "Tổ an ninh xã hội": "social_security_team",
}


def make_register_as_kept(seed: int, units: pd.DataFrame, path: Path) -> Register:
    """The register, and for each row its village code and type code (``truth`` holds
    "village|type")."""
    rng = np.random.default_rng(seed + 1)
    villages = units[units["level"] == int(Level.VILLAGE)].reset_index(drop=True)
    names = dict(zip(units["code"], units["name"], strict=False))
    parents = dict(zip(units["code"], units["parent_code"], strict=False))
    picked = villages.iloc[np.sort(rng.choice(len(villages), size=ROWS, replace=False))]
    forms = rng.choice(list(VILLAGE_FORMS), size=ROWS, p=list(VILLAGE_FORMS.values()))
    texts = rng.choice(list(TYPE_TEXTS), size=ROWS)
    plain = rng.random(ROWS) < 0.1  # place names typed without accents
    truth, rows = [], []
    for i, (code, commune, unit_type) in enumerate(
        zip(picked["code"], picked["parent_code"], picked["unit_type"], strict=True)
    ):
        district = parents[commune]
        places = [names[parents[district]], names[district], names[commune]]
        if plain[i]:
            places = [strip_accents(place) for place in places]
        village = village_spelling(str(forms[i]), unit_type, int(code.rsplit("-", 1)[1]))
        text = str(texts[i])
        members = (
            f"{rng.integers(1, 3)}.{rng.integers(0, 999):03d}"
            if i % 7 == 0
            else (f"{rng.integers(3, 30)} người")
        )
        launch = f"{rng.integers(1, 28):02d}/{rng.integers(1, 12):02d}/{rng.integers(2015, 2025)}"
        rows.append([i + 1, *places, village, f"{text} {village}", text, members, launch])
        truth.append(f"{code}|{TYPE_TEXTS[text]}")
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return Register(path, truth, [str(form) for form in forms])


def outcomes(register: Register, matches: MatchReport) -> dict[str, int]:
    """Rows matched to their own village and type, and rows reported; any other match stops."""
    counts = {"matched correctly": 0, "reported": 0, "typos reported": 0}
    rows = sorted(matches.rows, key=lambda row: row.row)
    for row, expected, form in zip(rows, register.truth, register.forms, strict=True):
        if row.status != "matched":
            counts["reported"] += 1
            counts["typos reported"] += form == "typo"
            continue
        village = row.village.lookup.code if row.village else None
        kind = row.model_type.lookup.code if row.model_type else None
        if f"{village}|{kind}" != expected:
            raise AssertionError(f"row {row.row}: matched {village}|{kind}, not {expected}")
        counts["matched correctly"] += 1
    return counts


def run(seed: int, repeat: int, out: Path, console: Console) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    data = generate(seed=seed, scale=1.0)
    units, model_types = data.units.drop(columns="geometry"), data.model_types
    del data
    gc.collect()
    as_kept = make_register_as_kept(seed, units, out.with_name(out.stem + "_as_kept.csv"))
    current = make_register(seed, units, out.with_suffix(".csv"))
    kept_times, kept_cpu, current_times, current_cpu = [], [], [], []
    matches: MatchReport | None = None
    for _ in range(repeat):
        seconds, cpu, matches = timed(lambda: ours(as_kept, units, model_types))
        kept_times.append(seconds)
        kept_cpu.append(cpu)
        seconds, cpu, _ = timed(lambda: ours(current, units, model_types))
        current_times.append(seconds)
        current_cpu.append(cpu)
    assert matches is not None
    counts = outcomes(as_kept, matches)
    result: dict[str, Any] = {
        "seed": seed,
        "rows": ROWS,
        "models": len({row.model_key for row in matches.rows}),
        "as_kept_median_s": statistics.median(kept_times),
        "as_kept_median_cpu_s": statistics.median(kept_cpu),
        "current_median_s": statistics.median(current_times),
        "current_median_cpu_s": statistics.median(current_cpu),
        "as_kept_runs_s": kept_times,
        "current_runs_s": current_times,
        "counts": counts,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    result["ratio_as_kept_over_current"] = result["as_kept_median_s"] / result["current_median_s"]
    # CPU time: what a shared machine's load does not stretch
    result["cpu_ratio_as_kept_over_current"] = (
        result["as_kept_median_cpu_s"] / result["current_median_cpu_s"]
    )
    out.write_text(json.dumps(result, indent=1, default=int) + "\n", encoding="utf-8")
    table = Table(title=f"Register as kept: {ROWS:,} rows, no ID column, free type names")
    for column in ("register", "median s", "CPU s", "matched correctly", "reported"):
        table.add_column(column)
    table.add_row("as kept (names, free types, no IDs)", f"{result['as_kept_median_s']:.2f}",
                  f"{result['as_kept_median_cpu_s']:.2f}", str(counts["matched correctly"]),
                  str(counts["reported"]))  # fmt: skip
    table.add_row("bench_register's (IDs, type codes)", f"{result['current_median_s']:.2f}",
                  f"{result['current_median_cpu_s']:.2f}", "", "")  # fmt: skip
    console.print(table)
    verdict = "met" if result["as_kept_median_s"] <= TARGET_SECONDS else "NOT met"
    console.print(
        f"as kept / current = {result['ratio_as_kept_over_current']:.2f}x (CPU "
        f"{result['cpu_ratio_as_kept_over_current']:.2f}x); target ≤ "
        f"{TARGET_SECONDS:.0f} s {verdict}; typos reported: {counts['typos reported']}"
    )
    return result


def main(argv: list[str] | None = None) -> None:
    args = options.parse(
        "Time a register as communes keep it vs bench_register's.",
        "bench/out/register_as_kept.json",
        argv,
        scale=False,
    )
    run(args.seed, args.repeat, args.out, options.console(110))


if __name__ == "__main__":
    main()

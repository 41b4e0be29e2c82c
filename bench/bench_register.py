"""Register matching benchmark: a messy 10,000-row register against the national unit tree.

The units come from ``bench.generate.generate(seed, scale=1)`` (10,000 communes, 80,000
villages named like "Thôn 3", "Tổ dân phố 12"). The register is written the way communes
type it: accents dropped, "TDP"/"KP" abbreviations, "số"/zero-padded numbers, ordinals as
words ("Thôn Mười Hai") or Roman numerals ("Ấp IV"), codes that lost their leading zero,
communes by name and district instead of code, and a few typos in the type word
("Thhôn 3"), which must be reported, never guessed.

Ours: ``geo_service.ingest.registers.read.read_register`` (parse, validate, match every row,
build the model and team frames). Baseline, the naive approach: ``pandas.read_csv`` and an
exact-name ``merge`` of (commune code, village name) with the units. Each runs
``--repeat`` times alternating, with the name caches cleared before each of ours.

Every row's outcome is checked against the village it was generated from: matched to
that village, or reported (unmatched/ambiguous). A match to any other unit stops the run.

    python -m bench.bench_register --seed 42
"""

from __future__ import annotations

import csv
import gc
import json
import os
import platform
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from bench import options
from bench.cold import forget_memoised
from bench.generate import generate
from geo_service.domain import UNIT_TYPES, Level
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.registers.read import read_register

ROWS = 10_000
TARGET_SECONDS = 2.0
HEADER = ["STT", "Mã mô hình", "Loại mô hình", "Mã xã", "Huyện", "Xã/Phường", "Thôn/TDP",
          "Ngày ra mắt", "Số thành viên"]  # fmt: skip
# Share of village spellings; "typo" rows must all be reported.
VILLAGE_FORMS = {
    "exact": 0.2,
    "no_accents": 0.2,
    "abbreviated": 0.15,
    "lower_case": 0.1,
    "number_words": 0.13,
    "roman": 0.1,
    "zero_padded": 0.1,
    "typo": 0.02,
}
COMMUNE_FORMS = {"code": 0.7, "code_as_number": 0.1, "name": 0.1, "name_no_accents": 0.1}
ABBREVIATIONS = {"to_dan_pho": "TDP", "khu_pho": "KP"}
UNITS_WORDS = ["", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
ROMAN = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


@dataclass(frozen=True)
class Register:
    path: Path
    truth: list[str]  # village code each data row was generated from
    forms: list[str]  # the village spelling used


def number_words(n: int) -> str:
    """Vietnamese number words, 1..99: 15 "mười lăm", 21 "hai mươi mốt", 24 "hai mươi tư"."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return UNITS_WORDS[ones]
    head = "mười" if tens == 1 else f"{UNITS_WORDS[tens]} mươi"
    tail = {0: "", 1: "mốt" if tens > 1 else "một", 4: "tư" if tens > 1 else "bốn", 5: "lăm"}
    return f"{head} {tail.get(ones, UNITS_WORDS[ones])}".strip()


def roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def village_spelling(form: str, unit_type: str, number: int) -> str:
    word = unicodedata.normalize("NFC", UNIT_TYPES[unit_type][0])
    spelled = {
        "exact": f"{word} {number}",
        "no_accents": strip_accents(f"{word} {number}"),
        "abbreviated": f"{ABBREVIATIONS.get(unit_type, word)} {number}",
        "lower_case": f"{word.lower()} {number}",
        "number_words": f"{word} {number_words(number).title()}",
        "roman": f"{word} {roman(number)}",
        "zero_padded": f"{word} số {number:02d}",
        "typo": f"{word[0]}{word[0].lower() if len(word) == 1 else word[1]}{word[1:]} {number}",
    }
    return spelled[form]


def make_register(seed: int, units: pd.DataFrame, path: Path) -> Register:
    rng = np.random.default_rng(seed)
    villages = units[units["level"] == int(Level.VILLAGE)].reset_index(drop=True)
    communes = units[units["level"] == int(Level.COMMUNE)].set_index("code")
    districts = units[units["level"] == int(Level.DISTRICT)].set_index("code")
    picked = villages.iloc[np.sort(rng.choice(len(villages), size=ROWS, replace=False))]
    village_forms = rng.choice(list(VILLAGE_FORMS), size=ROWS, p=list(VILLAGE_FORMS.values()))
    commune_forms = rng.choice(list(COMMUNE_FORMS), size=ROWS, p=list(COMMUNE_FORMS.values()))
    truth, forms, rows = [], [], []
    model = 0
    previous = None
    for i, (code, parent, unit_type) in enumerate(
        zip(picked["code"], picked["parent_code"], picked["unit_type"], strict=True)
    ):
        if parent != previous or i % 3 == 0:  # up to three teams per model, one commune
            model, previous = model + 1, parent
            commune_form = commune_forms[i]
        number = int(code.rsplit("-", 1)[1])
        commune_name = str(communes.at[parent, "name"])
        district_name = str(districts.at[communes.at[parent, "parent_code"], "name"])
        commune_code = str(int(parent)) if commune_form == "code_as_number" else parent
        if commune_form == "name_no_accents":
            commune_name, district_name = strip_accents(commune_name), strip_accents(district_name)
        if commune_form.startswith("name"):
            commune_code = ""
        else:
            commune_name = district_name = ""
        village = village_spelling(village_forms[i], unit_type, number)
        members = f"{rng.integers(3, 30)} người"
        rows.append(
            [i + 1, f"B{model:05d}", "patrol_team", commune_code, district_name, commune_name,
             village, "16/6/2022", members]
        )  # fmt: skip
        truth.append(code)
        forms.append(str(village_forms[i]))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return Register(path, truth, forms)


def ours(register: Register, units: pd.DataFrame, model_types: pd.DataFrame) -> MatchReport:
    forget_memoised()  # every run analyses the names afresh
    matches = MatchReport()
    read_register(register.path, units, model_types, file_name=register.path.name, matches=matches)
    return matches


def baseline(register: Register, units: pd.DataFrame) -> pd.Series:
    """Naive: exact (commune code, village name) merge; returns the code found per row."""
    frame = pd.read_csv(register.path, dtype=str, keep_default_na=False)
    villages = units.loc[units["level"] == int(Level.VILLAGE), ["code", "name", "parent_code"]]
    merged = frame.merge(
        villages,
        how="left",
        left_on=["Mã xã", "Thôn/TDP"],
        right_on=["parent_code", "name"],
    )
    return merged["code"]


def outcomes(register: Register, matches: MatchReport) -> dict[str, int]:
    """Rows matched to their own village, and rows reported; any other match is fatal."""
    counts = {"matched correctly": 0, "reported": 0, "typos reported": 0, "typos suggested": 0}
    for row, expected, form in zip(matches.rows, register.truth, register.forms, strict=True):
        found = row.village.lookup.code if row.village else None
        if row.status == "matched":
            if found != expected:
                raise AssertionError(f"row {row.row}: silently matched {found}, not {expected}")
            counts["matched correctly"] += 1
        else:
            counts["reported"] += 1
            counts["typos reported"] += form == "typo"
            suggestions = row.village.lookup.suggestions if row.village else ()
            counts["typos suggested"] += bool(suggestions) and suggestions[0][0] == expected
    counts["silent wrong matches"] = 0
    return counts


def timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one run (CPU time shows how much a shared machine slowed it)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(seed: int, repeat: int, out: Path, console: Console) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    data = generate(seed=seed, scale=1.0)
    units, model_types = data.units.drop(columns="geometry"), data.model_types
    del data  # the 1,000,000 camera points are not needed here
    gc.collect()
    register = make_register(seed, units, out.with_suffix(".csv"))
    ours_times, ours_cpu, base_times = [], [], []
    matches: MatchReport | None = None
    found = pd.Series(dtype=object)
    for _ in range(repeat):
        seconds, cpu, matches = timed(lambda: ours(register, units, model_types))
        ours_times.append(seconds)
        ours_cpu.append(cpu)
        seconds, _, found = timed(lambda: baseline(register, units))
        base_times.append(seconds)
    assert matches is not None
    counts = outcomes(register, matches)
    base_correct = int((found.to_numpy() == np.asarray(register.truth, dtype=object)).sum())
    result: dict[str, Any] = {
        "seed": seed,
        "rows": ROWS,
        "villages": int((units["level"] == int(Level.VILLAGE)).sum()),
        "ours_median_s": statistics.median(ours_times),
        "ours_median_cpu_s": statistics.median(ours_cpu),
        "baseline_median_s": statistics.median(base_times),
        "ours_runs_s": ours_times,
        "baseline_runs_s": base_times,
        "ours_counts": counts,
        "baseline_matched_correctly": base_correct,
        "village_forms": dict(zip(*np.unique(register.forms, return_counts=True), strict=True)),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    result["ratio_ours_over_baseline"] = result["ours_median_s"] / result["baseline_median_s"]
    out.write_text(json.dumps(result, indent=1, default=int) + "\n", encoding="utf-8")
    _print(result, console)
    return result


def _print(result: dict[str, Any], console: Console) -> None:
    title = f"Register matching: {result['rows']:,} rows, {result['villages']:,} villages"
    table = Table(title=title)
    columns = ("method", "median s", "CPU s", "matched correctly", "reported", "silent wrong")
    for column in columns:
        table.add_column(column)
    counts = result["ours_counts"]
    ours_row = [
        "read_register (ours)",
        f"{result['ours_median_s']:.2f}",
        f"{result['ours_median_cpu_s']:.2f}",
        str(counts["matched correctly"]),
        str(counts["reported"]),
        "0",
    ]
    table.add_row(*ours_row)
    baseline_correct = str(result["baseline_matched_correctly"])
    table.add_row("exact-name pandas merge", f"{result['baseline_median_s']:.3f}", "",
                  baseline_correct, "-", "-")  # fmt: skip
    console.print(table)
    verdict = "met" if result["ours_median_s"] <= TARGET_SECONDS else "NOT met"
    console.print(
        f"ours / baseline = {result['ratio_ours_over_baseline']:.1f}x; "
        f"target ≤ {TARGET_SECONDS:.0f} s {verdict}; typos reported: {counts['typos reported']}, "
        f"with the right village as first suggestion: {counts['typos suggested']}"
    )


def main(argv: list[str] | None = None) -> None:
    args = options.parse(
        "Time register matching vs an exact merge.", "bench/out/register.json", argv, scale=False
    )
    run(args.seed, args.repeat, args.out, options.console(110))


if __name__ == "__main__":
    main()

"""The fast paths of register name matching give the slow path's answers.

``decided_by_key`` (names decided column-wise), ``KeyEndings``/``last_word`` (names left
unanalysed) and the name caches only save time: whenever they answer, ``lookup_among``
(the reference) must answer the same, for names typed the way communes type them.
"""

from __future__ import annotations

import csv
import itertools
import random
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest

from geo_service.domain import UNIT_TYPES, Level
from geo_service.imports.pipeline import import_models
from geo_service.ingest.registers.match_report import Lookup, MatchReport
from geo_service.ingest.registers.name_index import NameMatch, decided_by_key, lookup_among
from geo_service.ingest.units.tree import ANYWHERE, UnitTree
from geo_service.store import Store, open_store
from geo_service.text import names
from geo_service.text.name_endings import KeyEndings, key_signature, last_word
from geo_service.text.names import analyse, nfc, numeral_value

SEED = 20251122
REFORM = "2025-07-01"
COLUMNS = ["code", "name", "parent_code", "unit_type"]
TYPE_WORDS = sorted({word for word, _ in UNIT_TYPES.values()}, key=len, reverse=True)
ABBREVIATED = {
    "Tổ dân phố": ["TDP ", "TDP", "T.D.P "],
    "Khu phố": ["KP", "KP.", "Kp "],
    "Xã": ["X. ", "X.", "x "],
    "Thị trấn": ["TT ", "T.T. "],
    "Phường": ["P. ", "P", "F."],
}
DIGITS = ["", "Một", "Hai", "Ba", "Bốn", "Năm", "Sáu", "Bảy", "Tám", "Chín"]
ROMAN_ONES = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]

# --- names as communes type them ----------------------------------------------------------


def without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def marks_reordered(text: str) -> str:
    """NFD, each run of marks in descending combining class: canonically equivalent."""
    runs = itertools.groupby(unicodedata.normalize("NFD", text), key=unicodedata.combining)
    marks_first = (sorted(run, key=unicodedata.combining, reverse=True) for _, run in runs)
    return "".join(itertools.chain.from_iterable(marks_first))


def spelled(number: int) -> str:
    tens, ones = divmod(number, 10)
    head = "" if not tens else "Mười" if tens == 1 else f"{DIGITS[tens]} Mươi"
    tail = DIGITS[ones] if not tens else {1: "Mốt" if tens > 1 else "Một", 5: "Lăm"}.get(ones)
    return f"{head} {tail or DIGITS[ones]}".strip()


def roman(number: int) -> str:
    return "X" * (number // 10) + ROMAN_ONES[number % 10]


def typo(text: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(text) - 1)
    head, letter, tail = text[:at], text[at], text[at + 1 :]
    left_out, swapped = head + tail, head[:-1] + letter + head[-1] + tail
    wrong_vowel, accent_lost = head + rng.choice("aăâeêioôơuưy") + tail, without_accents(letter)
    return rng.choice([left_out, swapped, wrong_vowel, head + accent_lost + tail])


def split_type(name: str) -> tuple[str, str]:
    word = next((w for w in TYPE_WORDS if name.startswith(w + " ")), "")
    return word, name[len(word) :].lstrip()


def variants(name: str, rng: random.Random) -> list[str]:
    """``name`` as typed: exact, unaccented, cased, abbreviated, ordinals respelled, typos,
    decomposed or reordered marks, odd spaces."""
    word, rest = split_type(name)
    typed = [
        *(name, without_accents(name), name.lower(), name.upper(), rest),
        *(unicodedata.normalize("NFD", name), marks_reordered(name)),
        *(name.replace(" ", "\u00a0"), name.replace(" ", "\t", 1), f" {name}  "),
        *(name.replace(" ", "\u200b ", 1), typo(name, rng), typo(name, rng)),
    ]
    typed += [abbreviation + rest for abbreviation in ABBREVIATED.get(word, ())]
    typed.append({"": "Thôn ", "Xóm": "Thôn "}.get(word, "Xóm ") + rest)  # another type
    number = numeral_value(rest)
    if number is not None and 0 < number < 40:
        prefix = f"{word} " if word else ""
        typed += [prefix + spelled(number), prefix + without_accents(spelled(number)).lower()]
        typed += [prefix + roman(number), f"{prefix}{number:02d}", f"{prefix}số {number:02d}"]
    return list(dict.fromkeys(typed))


# --- units -----------------------------------------------------------------------------------

COMMON = ["Thôn 1", "Thôn 2", "Xóm 3", "Ấp IV", "Thôn Mười Hai", "Tổ dân phố 5", "Khu phố 6"]
COMMON += ["Thôn số 07", "Tiểu khu 10", "Bản Nà Làng", "Xóm Một", "Xóm Sáu"]
PLACES = ["Đông An", "Tân Lập", "Hoà Bình", "Ba Vì", "Năm Căn", "Sóc Sơn", "Đắk R'Lấp"]
PLACES += ["Tiền Huân", "Thống Nhất", "Quyết Thắng", "Thuỷ Nguyên", "Khoẻ", "Phú Thịnh"]
VERSIONS: list[tuple[str, str, str, str | None, str | None]] = [
    ("100", "Thôn Đồng Tâm", "thon", None, REFORM),  # renamed by the reform
    ("100", "Thôn Tâm Đồng", "thon", REFORM, None),
    ("101", "Thôn Hợp Nhất", "thon", None, REFORM),  # kept, with another type
    ("101", "Khu phố Hợp Nhất", "khu_pho", REFORM, None),
    ("102", "Đồi Thông", "xom", None, None),  # its type in the type column only
    ("103", "Thôn Hoà Ấn", "thon", None, REFORM),  # renamed in its accents: the latest
    ("103", "Thôn Hoà Ẩn", "thon", REFORM, None),  # spelling tells it from Thôn Hoà An
]


def synthetic_units(parents: int = 10) -> pd.DataFrame:
    """Villages under ``parents`` communes: names every commune has (seen more often than
    the per-parent threshold of ``decided_by_key``) and place names a few have."""
    rng = random.Random(SEED)
    rows: list[tuple[object, ...]] = []
    for parent in (f"S{p:02d}" for p in range(parents)):
        local = [f"{rng.choice(['Thôn', 'Xóm', 'Ấp', 'Buôn'])} {n}" for n in rng.sample(PLACES, 4)]
        local += ["Thôn Minh Quán", "Thôn Minh Quân", "Thôn Hoà An"]  # told apart by accents
        for i, name in enumerate(COMMON + local):
            typed = None if i % 3 == 0 else split_type(name)[0]  # some from the name alone
            unit_type = next((s for s, (w, _) in UNIT_TYPES.items() if w == typed), None)
            rows.append((f"{parent}-{i:03d}", name, parent, unit_type, 4, None, None))
        rows += [(f"{parent}-{c}", n, parent, t, 4, *dates) for c, n, t, *dates in VERSIONS]
    return pd.DataFrame(rows, columns=[*COLUMNS, "level", "valid_from", "valid_to"])


@pytest.fixture(scope="module")
def demo_units(demo_gpkg: Path) -> pd.DataFrame:
    return open_store(str(demo_gpkg)).units().drop(columns="geometry")


def under(units: pd.DataFrame, level: Level, parents: Iterable[str]) -> pd.DataFrame:
    return units[(units["level"] == int(level)) & units["parent_code"].isin(list(parents))]


def asked_names(units: pd.DataFrame, level: Level, parents: Iterable[str]) -> set[tuple[str, str]]:
    """Every name of ``level`` under ``parents`` and its variants, asked under its parent."""
    rng, at = random.Random(SEED), under(units, level, parents)
    pairs = dict.fromkeys(zip(at["parent_code"], at["name"], strict=True))
    return {(parent, typed) for parent, name in pairs for typed in variants(name, rng)}


def both_paths(
    units: pd.DataFrame, level: Level, wanted: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], NameMatch], dict[tuple[str, str], NameMatch]]:
    """The fast answers (asked as ``UnitMatcher.prepare`` asks) and the slow ones."""
    rows = under(units, level, {parent for parent, _ in wanted})[COLUMNS]
    fast, tree = decided_by_key(rows, wanted, level), UnitTree(units)
    slow = {(p, n): lookup_among(tree.rows_under(level, p), n, p, level) for p, n in wanted}
    return fast, slow


# --- 1. decided_by_key decides as lookup_among ------------------------------------------------


@pytest.mark.parametrize("source", ["demo villages", "demo communes", "synthetic villages"])
def test_decided_by_key_agrees_with_lookup_among(source: str, demo_units: pd.DataFrame) -> None:
    synthetic = source.startswith("synthetic")
    units = synthetic_units() if synthetic else demo_units
    level = Level.VILLAGE if source.endswith("villages") else Level.COMMUNE
    # As UnitMatcher.prepare asks: under the level above (communes under a province are
    # left to the tree, which looks under its districts too).
    above = set(units.loc[units["level"] == int(level) - 1, "code"])
    parents = set(units.loc[units["level"] == int(level), "parent_code"].dropna()) & above
    parents = {"S00", "S01", "S07"} if synthetic else parents  # all ten communes are read
    wanted = asked_names(units, level, parents)
    # Some names under a neighbour too: mostly not there, or there with another code.
    ordered = sorted(parents)
    wanted |= {(ordered[ordered.index(p) - 1], n) for p, n in sorted(wanted)[::5]}
    fast, slow = both_paths(units, level, sorted(wanted))
    assert {pair: (fast[pair], slow[pair]) for pair in fast if fast[pair] != slow[pair]} == {}
    # Not vacuous: every stored name is decided here (but those of codes that changed name,
    # which the fast path leaves to the row-by-row one), and some names are ambiguous.
    at = under(units, level, parents)
    spellings = at[["code", "name"]].drop_duplicates()
    renamed = set(spellings.loc[spellings["code"].duplicated(), "code"])
    left_to_slow = {
        (parent, analyse(name, level).key)
        for code, parent, name in zip(at["code"], at["parent_code"], at["name"], strict=True)
        if code in renamed
    }
    stored = set(zip(at["parent_code"], at["name"], strict=True))
    steady = {(p, n) for p, n in stored if (p, analyse(n, level).key) not in left_to_slow}
    assert steady - fast.keys() == set()
    assert len(steady) > len(stored) // 2
    statuses = {slow[pair].status for pair in fast}
    assert statuses == ({"exact", "ambiguous"} if synthetic else {"exact"})


def test_a_code_renamed_and_renamed_back_is_left_to_the_slow_path() -> None:
    # X is "Thôn Hoà An", then "Thôn Hoà Ân", then "Thôn Hoà An" again; Y "Thôn Hoà Ấn".
    rows: list[tuple[str, str, str | None, str | None]] = [("X", "Thôn Hoà An", None, "2020")]
    rows += [("X", "Thôn Hoà Ân", "2020", "2022")]
    rows += [("X", "Thôn Hoà An", "2022", None), ("Y", "Thôn Hoà Ấn", None, None)]
    units = pd.DataFrame(
        [(code, name, "C", "thon", 4, start, end) for code, name, start, end in rows],
        columns=[*COLUMNS, "level", "valid_from", "valid_to"],
    )
    fast, slow = both_paths(units, Level.VILLAGE, [("C", "Thôn Hoà Ân"), ("C", "Thôn Hoà An")])
    # Each path kept a different spelling of X: the fast one declines, so the row-by-row
    # answer is the only one given.
    assert fast == {}
    assert {pair: match.status for pair, match in slow.items()} == {
        ("C", "Thôn Hoà Ân"): "exact",
        ("C", "Thôn Hoà An"): "ambiguous",
    }


# --- 2. KeyEndings never rejects a name's own keys --------------------------------------------


def test_key_endings_keep_every_name_whose_key_is_asked(demo_units: pd.DataFrame) -> None:
    rng = random.Random(SEED)
    unit_names = sorted({*demo_units["name"], *synthetic_units()["name"]})
    typed = {variant for name in unit_names for variant in variants(name, rng)}
    typed |= {"TDP04", "KP3", "Thôn 3-4", "Thôn 5.", "Xóm 5 (cũ)", "Ấp ⅳ", "Thôn ５", "Thôn"}
    rejected = []
    for name, level in itertools.product(sorted(typed), (None, Level.VILLAGE, Level.COMMUNE)):
        keys = analyse(name, level)
        for key in {keys.key, keys.literal} - {""}:
            if not KeyEndings([key]).may_end(last_word(name)):
                rejected.append((name, level, key, last_word(name)))
    assert rejected == []
    # It does reject: otherwise it would save nothing, and this test would prove nothing.
    asked = KeyEndings([analyse("Thôn Đông An").key, analyse("TDP 04").key])
    assert not asked.may_end(last_word("Thôn 3")) and not asked.may_end(last_word("Xóm Tân Lập"))
    assert asked.may_end(last_word("TDP04")) and asked.may_end(last_word("thon dong an"))


def test_names_with_one_match_key_have_one_signature(demo_units: pd.DataFrame) -> None:
    """The duplicate-name check analyses only names whose ``key_signature`` repeats in a
    commune: that is sound only if equal match keys always come with equal signatures."""
    rng = random.Random(SEED)
    unit_names = sorted({*demo_units["name"], *synthetic_units()["name"]})
    typed = {variant for name in unit_names for variant in variants(name, rng)}
    typed |= {"TDP04", "KP3", "Thôn 3-4", "Thôn 5.", "Xóm 5 (cũ)", "Ấp ⅳ", "Thôn ５", "Thôn"}
    typed |= {"Thôn Σ", "TDP.Σ", "Xóm ΑΣ", "Thôn İstanbul", "Thôn Bản Hai", "Thôn Hai"}
    typed |= {"Thôn 4a", "TDP4a", "Khu 3 Tân 2", "Thôn Ya'Ly", "Thôn Ya Ly", "Xóm số Bốn"}
    for level in (Level.VILLAGE, None):
        signatures: dict[str, set[str]] = {}
        for name in typed:
            signatures.setdefault(analyse(name, level).key, set()).add(key_signature(name))
        assert {key: sigs for key, sigs in signatures.items() if len(sigs) > 1} == {}
    # It does tell names apart: otherwise every name would still be analysed.
    assert len({key_signature(name) for name in typed}) > 50
    assert key_signature("Thôn Đông An") != key_signature("Xóm Tân Lập")


def test_nfc_each_gives_nfc_of_every_name(demo_units: pd.DataFrame) -> None:
    """Names are normalised all at once (``nfc_each``): exactly ``nfc`` of each one."""
    rng = random.Random(SEED)
    unit_names = sorted({*demo_units["name"], *synthetic_units()["name"]})
    typed = sorted({variant for name in unit_names for variant in variants(name, rng)})
    typed += ["Hòa", "hoá ", " Thủy\u00a0Nguyên", "ÐỒNG", "a\u00ad b", "\u0301x", "", " ", "Khoẻ"]
    assert names.nfc_each(typed) == [nfc(text) for text in typed]
    assert names.nfc_each(["Thôn 1", "KP3"]) == ["Thôn 1", "KP3"]  # ASCII and not
    edges_only = [" Thôn 1", "Xóm Hòa Bình ", "Ấp  3", " ", "Bản Mòa"]
    for texts in (edges_only, edges_only[:2], edges_only[1:2], edges_only[2:3]):
        assert names.nfc_each(texts) == [nfc(text) for text in texts]
    with_joiner = ["Thôn\ue000Một", "Hòa"]  # the joining character itself: one by one
    assert names.nfc_each(with_joiner) == [nfc(text) for text in with_joiner]
    assert names.nfc_each([]) == []


# --- 3. caches do not change answers ----------------------------------------------------------


def test_nfc_composes_decomposed_input_and_caches_the_composed_answer() -> None:
    for stored in ["Thôn Đông An", "Xã Thiệu Hoà", "Tổ dân phố 4 Tiền Huân", "Ấp Thuỷ Nguyên"]:
        for typed in (unicodedata.normalize("NFD", stored), marks_reordered(stored)):
            assert typed != stored
            assert nfc(typed) == stored and nfc(typed) == stored  # the second from the cache
            assert unicodedata.is_normalized("NFC", nfc(typed))
        assert analyse(unicodedata.normalize("NFD", stored)) == analyse(stored)


def test_answers_are_the_same_twice_and_after_the_caches_are_cleared(
    demo_store: Store, tmp_path: Path
) -> None:
    units = synthetic_units()
    wanted = sorted(asked_names(units, Level.VILLAGE, ["S02", "S03"]))
    first = both_paths(units, Level.VILLAGE, wanted)
    typed = [name for _, name in wanted]
    for level in (None, Level.VILLAGE, Level.COMMUNE):  # cached == worked out afresh
        assert [analyse(n, level) for n in typed] == [analyse.__wrapped__(n, level) for n in typed]
    assert [nfc(n) for n in typed] == [nfc.__wrapped__(n) for n in typed]
    whole = {n: (analyse(n).whole_key, analyse(n).whole_spelled) for n in typed}
    assert both_paths(units, Level.VILLAGE, wanted) == first
    names.clear_caches()  # and filled again in another order
    assert both_paths(units, Level.VILLAGE, wanted[::-1]) == first
    assert {n: (analyse(n).whole_key, analyse(n).whole_spelled) for n in whole} == whole
    register, reports = write_register(tmp_path, demo_store.units()), []
    for clear in (False, False, True):
        if clear:
            names.clear_caches()
        reports.append([row.as_dict() for row in dry_run(demo_store, register).rows])
    assert reports[0] == reports[1] == reports[2]


# --- 4. a register, end to end ----------------------------------------------------------------

# (district, commune) as typed; "Thieu Hoa" is Thị trấn Thiệu Hoá or Xã Thiệu Hoà.
COMMUNES_TYPED = [("Thiệu Hoá", "Thieu Hoa"), ("Thiệu Hoá", "X. Thiệu Long"), ("Thieu Hoa", "xa")]
COMMUNES_TYPED += [("Lương Tài", "TT Thứa"), ("Sơn Tây", "P.Viên Sơn"), ("Quảng Trị", "P1")]


def write_register(tmp_path: Path, units: pd.DataFrame, only: set[int] | None = None) -> Path:
    """One model per row: villages of each demo commune as typed (commune by code), and
    communes of each district as typed (by name, with a village that may be theirs)."""
    rng = random.Random(SEED)
    villages = units[units["level"] == 4].drop_duplicates(["parent_code", "name"])
    rows = []
    for commune, name in zip(villages["parent_code"], villages["name"], strict=True):
        rows += [["", commune, "", typed] for typed in rng.sample(variants(name, rng), 5)]
    districts = units[units["level"] == 2].drop_duplicates("code")
    for district, district_name in zip(districts["code"], districts["name"], strict=True):
        communes = sorted(set(under(units, Level.COMMUNE, [district])["name"]))
        for name in rng.sample(communes, 3):
            typed_names = rng.sample(variants(name, rng), 4)
            rows += [[split_type(district_name)[1], "", typed, "Thôn 1"] for typed in typed_names]
    rows += [[district, "", commune, "Khu phố 1"] for district, commune in COMMUNES_TYPED]
    path = tmp_path / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["Mã mô hình", "Loại mô hình", "Huyện", "Mã xã", "Xã/Phường", "Thôn/TDP"])
        for i, (district, code, commune, village) in enumerate(rows):
            if only is None or i in only:
                writer.writerow([f"FP-{i:04d}", "patrol_team", district, code, commune, village])
    return path


def dry_run(store: Store, register: Path) -> MatchReport:
    matches = MatchReport()
    import_models(store, register, dry_run=True, matches=matches)
    return matches


def same_answer(lookup: Lookup, typed: str, slow: NameMatch) -> bool:
    """The register's lookup of the name ``typed`` is the slow path's answer."""
    status = "matched" if slow.status == "exact" else slow.status
    candidates = tuple(code for code, _ in lookup.candidates)
    answer = (lookup.status, lookup.code, candidates)
    return nfc(lookup.given_name) == nfc(typed) and answer == (status, slow.code, slow.candidates)


def test_a_register_matches_row_for_row_like_the_slow_path(
    demo_store: Store, tmp_path: Path
) -> None:
    units = demo_store.units()
    tree = UnitTree(units)
    register = write_register(tmp_path, units)
    with register.open(encoding="utf-8") as file:
        written = list(csv.DictReader(file))
    report = dry_run(demo_store, register)
    assert len(report.rows) == len(written)
    matched: dict[str, str] = {}
    for row, given in zip(report.rows, written, strict=True):
        commune, village = given["Mã xã"], given["Thôn/TDP"]
        assert row.commune is not None and row.village is not None
        if not commune:  # by name: the district has no fast path, the commune has
            district = tree.lookup(Level.DISTRICT, ANYWHERE, given["Huyện"])
            assert district.status == "exact", given
            rows = tree.rows_under(Level.COMMUNE, str(district.code))
            slow = lookup_among(rows, given["Xã/Phường"], str(district.code), Level.COMMUNE)
            assert same_answer(row.commune.lookup, given["Xã/Phường"], slow), given
            if slow.status != "exact":
                continue
            commune = str(slow.code)
        rows = tree.rows_under(Level.VILLAGE, commune)
        slow = lookup_among(rows, village, commune, Level.VILLAGE)
        assert same_answer(row.village.lookup, village, slow), given
        if slow.status == "exact":
            matched[given["Mã mô hình"]] = str(slow.code)
    assert {row.status for row in report.rows} == {"matched", "unmatched", "ambiguous"}
    # The rows the slow path matches, imported for real: each team lands in its village.
    import_models(demo_store, write_register(tmp_path, units, {int(m[3:]) for m in matched}))
    teams = demo_store.teams(model_ids=sorted(matched))
    assert dict(zip(teams["model_id"], teams["unit_code"], strict=True)) == matched

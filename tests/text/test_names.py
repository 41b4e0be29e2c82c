"""Vietnamese name normalisation and matching (shared/DOMAIN.md §6)."""

from __future__ import annotations

import unicodedata

import pytest

from geo_service.domain import UNIT_TYPES, Level
from geo_service.ingest.registers.name_index import NameIndex, NameMatch, lookup_among
from geo_service.text.names import fold, match_key, nfc, numeral_value, split_unit_type

# --- nfc -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "stored"),
    [
        (["hòa", "hoà", "ho\u0300a", "hoa\u0300"], "hoà"),
        (["thủy", "thuỷ", "thu\u0309y"], "thuỷ"),
        (["Hóa", "Hoá"], "Hoá"),
        (["HÓA", "HOÁ"], "HOÁ"),
        (["Khỏe", "Khoẻ"], "Khoẻ"),
        (["Thúy", "Thuý"], "Thuý"),
        (["Thanh Hóa", "Thanh Hoá", "Thanh  Hoá "], "Thanh Hoá"),
    ],
)
def test_nfc_puts_tones_old_style_so_spellings_agree(variants: list[str], stored: str) -> None:
    assert {nfc(v) for v in variants} == {stored}
    assert unicodedata.is_normalized("NFC", stored)


@pytest.mark.parametrize("word", ["Hoàng", "Hoạt", "Quỳnh", "Huỳnh", "Toàn", "Khoét", "Quý"])
def test_nfc_leaves_closed_syllables_and_qu_alone(word: str) -> None:
    assert nfc(word) == word


def test_nfc_decomposed_input_becomes_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Thị trấn Thứa")
    assert decomposed != "Thị trấn Thứa"
    assert nfc(decomposed) == "Thị trấn Thứa"


def test_nfc_cleans_whitespace_invisible_characters_and_eth() -> None:
    assert nfc("  Thôn\u00a0 Tân\tPhong\u200b ") == "Thôn Tân Phong"
    assert nfc("\ufeffXã Bằng Cả") == "Xã Bằng Cả"
    # U+00D0 (Icelandic eth) is often typed for Đ (U+0110); they look the same.
    assert nfc("\u00d0à Nẵng") == "Đà Nẵng"


# --- fold -------------------------------------------------------------------------------------


def test_fold_removes_accents_case_and_maps_d_bar() -> None:
    assert fold("Đường Lâm") == fold("duong lam") == "duong lam"
    assert fold("ĐÀ NẴNG") == "da nang"
    assert fold("Thừa Thiên Huế") == "thua thien hue"
    assert fold("hòa") == fold("hoà") == fold("HOA") == "hoa"


def test_fold_collapses_punctuation_and_drops_apostrophes() -> None:
    assert fold("Tổ dân phố số 4 - Tiền Huân") == "to dan pho so 4 tien huan"
    assert fold("Tp.HCM") == "tp hcm"
    assert fold("Ia H'Drai") == fold("Ia HDrai") == "ia hdrai"


# --- split_unit_type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit_type", "rest"),
    [
        ("Thị trấn Thứa", "thi_tran", "Thứa"),
        ("Thi tran Thua", "thi_tran", "Thua"),
        ("THỊ TRẤN THỨA", "thi_tran", "THỨA"),
        ("Tổ dân phố 4 Tiền Huân", "to_dan_pho", "4 Tiền Huân"),
        ("Khu phố 3", "khu_pho", "3"),
        ("Thôn Tân Phong", "thon", "Tân Phong"),
        ("Xóm 1", "xom", "1"),
        ("Ấp Bắc", "ap", "Bắc"),
        ("Bản Lầu", "ban", "Lầu"),
        ("Phường 1", "phuong", "1"),
        ("Xã Bằng Cả", "xa", "Bằng Cả"),
        ("Huyện Lương Tài", "huyen", "Lương Tài"),
        ("Quận 1", "quan", "1"),
        ("Thị xã Sơn Tây", "thi_xa", "Sơn Tây"),
        ("Thành phố Hạ Long", "thanh_pho", "Hạ Long"),
        ("Tỉnh Quảng Trị", "tinh", "Quảng Trị"),
        ("Đặc khu Phú Quốc", "dac_khu", "Phú Quốc"),
        ("Phường Phường Đúc", "phuong", "Phường Đúc"),  # only one type word is split off
        ("Tổ 4", "to_dan_pho", "4"),
        ("Tổ số 4", "to_dan_pho", "số 4"),
    ],
)
def test_split_full_type_words(name: str, unit_type: str, rest: str) -> None:
    assert split_unit_type(name) == (unit_type, rest)
    assert unit_type in UNIT_TYPES


@pytest.mark.parametrize(
    ("name", "unit_type", "rest"),
    [
        ("TDP 4 Tiền Huân", "to_dan_pho", "4 Tiền Huân"),
        ("TDP. 4", "to_dan_pho", "4"),
        ("T.D.P 4", "to_dan_pho", "4"),
        ("tdp4", "to_dan_pho", "4"),
        ("KDC Tân Lập", "khu_dan_cu", "Tân Lập"),
        ("KP3", "khu_pho", "3"),
        ("KP 3", "khu_pho", "3"),
        ("TT Thứa", "thi_tran", "Thứa"),
        ("TT. Thứa", "thi_tran", "Thứa"),
        ("P.1", "phuong", "1"),
        ("p.1", "phuong", "1"),
        ("P1", "phuong", "1"),
        ("F.1", "phuong", "1"),
        ("P. Viên Sơn", "phuong", "Viên Sơn"),
        ("X. Bằng Cả", "xa", "Bằng Cả"),
        ("Q.1", "quan", "1"),
        ("H. Lương Tài", "huyen", "Lương Tài"),
        ("TX Sơn Tây", "thi_xa", "Sơn Tây"),
        ("TP Hạ Long", "thanh_pho", "Hạ Long"),
        ("Tp. Hạ Long", "thanh_pho", "Hạ Long"),
        ("Tp.HCM", "thanh_pho", "HCM"),
    ],
)
def test_split_abbreviations(name: str, unit_type: str, rest: str) -> None:
    assert split_unit_type(name) == (unit_type, rest)


@pytest.mark.parametrize(
    "name",
    [
        "Tân Lập",
        "Phương Mai",
        "Quan Hóa",
        "Tĩnh Gia",
        "Lạng Sơn",
        "Tô Hiệu",
        "Lang Chánh",
        "Phường",
        "Hoàng Mai",
        "Pleiku",
        "Xuân Trường",
        "Tổ Hiệu",
    ],
)
def test_split_leaves_names_that_only_look_like_type_words(name: str) -> None:
    assert split_unit_type(name) == (None, nfc(name))


def test_split_with_level_keeps_proper_names_that_start_with_a_village_type() -> None:
    # "Sóc", "Buôn", "Bản" are village types but also the start of real unit names.
    assert split_unit_type("Sóc Sơn") == ("soc", "Sơn")
    assert split_unit_type("Sóc Sơn", Level.DISTRICT) == (None, "Sóc Sơn")
    assert split_unit_type("Buôn Ma Thuột", Level.DISTRICT) == (None, "Buôn Ma Thuột")
    assert split_unit_type("Bản Lầu", Level.COMMUNE) == (None, "Bản Lầu")
    assert split_unit_type("Xã Bản Lầu", Level.COMMUNE) == ("xa", "Bản Lầu")


def test_split_thanh_pho_is_province_level_only_when_asked() -> None:
    assert split_unit_type("Thành phố Hà Nội", Level.PROVINCE) == ("thanh_pho_tw", "Hà Nội")
    assert split_unit_type("Thành phố Hà Nội", Level.DISTRICT) == ("thanh_pho", "Hà Nội")
    assert split_unit_type("Thành phố Hà Nội") == ("thanh_pho", "Hà Nội")


# --- ordinals and match keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Thôn 1", "Thôn Một", "Thôn I", "thon mot", "Thôn 01", "THÔN MỘT", "Thôn số 1"]
)
def test_village_number_spellings_share_a_key(name: str) -> None:
    assert match_key(name) == "1"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4", 4),
        ("004", 4),
        ("IV", 4),
        ("XXX", 30),
        ("XXIX", 29),
        ("Tư", 4),
        ("bốn", 4),
        ("Năm", 5),
        ("bảy", 7),
        ("bẩy", 7),
        ("Mười", 10),
        ("mười một", 11),
        ("mười lăm", 15),
        ("hai mươi", 20),
        ("hai mươi mốt", 21),
        ("hai mươi tư", 24),
        ("ba mươi", 30),
        ("muoi lam", 15),
        ("hai muoi mot", 21),
        ("ba", 3),
    ],
)
def test_numeral_value_reads_digits_roman_and_number_words(text: str, value: int) -> None:
    assert numeral_value(text) == value


@pytest.mark.parametrize(
    "text",
    ["Ba Vì", "Tân Lập", "Nam", "nam", "Tâm", "tam", "Bá", "Vi", "vi", "IIII", "mốt", "", "1A"],
)
def test_numeral_value_refuses_names(text: str) -> None:
    assert numeral_value(text) is None


def test_names_with_number_words_inside_stay_names() -> None:
    assert match_key("Xã Ba Vì") == "ba vi"
    assert match_key("Thôn Năm Căn") == "nam can"
    assert match_key("Thôn Nam") == "nam"  # "South village", not 5
    assert match_key("Thôn Năm") == "5"


def test_tdp_with_and_without_so_match() -> None:
    key = match_key("Tổ dân phố số 4 Tiền Huân")
    assert key == "4 tien huan"
    assert match_key("TDP 4 Tiền Huân") == key
    assert match_key("Tổ dân phố 04 Tiền Huân") == key
    assert match_key("Sở Dầu") == "so dau"  # "số" is only noise before a number


def test_abbreviated_and_full_types_share_keys() -> None:
    assert match_key("KP3") == match_key("Khu phố 3") == "3"
    assert match_key("P.1") == match_key("Phường 1") == match_key("F1") == "1"
    assert match_key("TT Thứa") == match_key("Thị trấn Thứa") == "thua"
    assert match_key("Xóm 01A") == match_key("xom 1a") == "1a"


def test_hoa_variants_match() -> None:
    assert match_key("Thị trấn Thiệu Hóa") == match_key("TT Thiệu Hoá") == "thieu hoa"
    assert match_key("Xã Thủy An") == match_key("xa thuy an")


# --- NameIndex ------------------------------------------------------------------------------

VIEN_SON = "09595"
COMMUNE_A, COMMUNE_B = "C1", "C2"
VILLAGES = [
    ("V1", "Tổ dân phố 4 Tiền Huân", VIEN_SON),
    ("V2", "Tổ dân phố 5 Tiền Huân", VIEN_SON),
    ("V3", "Tổ dân phố Phú Nhi", VIEN_SON),
    ("V10", "Thôn 1", COMMUNE_A),
    ("V11", "Xóm 1", COMMUNE_A),
    ("V12", "Thôn Tân Phong", COMMUNE_A),
    ("V13", "Thôn Đông", COMMUNE_A),
    ("V14", "Thôn Tân Lập", COMMUNE_A),
    ("V15", "Xóm Tân Lập", COMMUNE_A),
    ("V20", "Thôn 1", COMMUNE_B),
    ("V21", "Thôn Hòa Bình", COMMUNE_B),
]


@pytest.fixture(scope="module")
def villages() -> NameIndex:
    return NameIndex(VILLAGES)


def test_index_counts_rows(villages: NameIndex) -> None:
    assert len(villages) == len(VILLAGES)


@pytest.mark.parametrize(
    ("query", "parent", "code"),
    [
        ("TDP 4 Tiền Huân", VIEN_SON, "V1"),
        ("Tổ dân phố số 4 Tiền Huân", VIEN_SON, "V1"),
        ("tdp 5 tien huan", VIEN_SON, "V2"),
        ("Phú Nhi", VIEN_SON, "V3"),
        ("Thôn Một", COMMUNE_A, "V10"),
        ("thon I", COMMUNE_A, "V10"),
        ("Xóm 01", COMMUNE_A, "V11"),
        ("Tân Phong", COMMUNE_A, "V12"),
        ("thon dong", COMMUNE_A, "V13"),
        ("1", COMMUNE_B, "V20"),
        ("Thôn Hoà Bình", COMMUNE_B, "V21"),
        ("hoa binh", COMMUNE_B, "V21"),
    ],
)
def test_lookup_exact(villages: NameIndex, query: str, parent: str, code: str) -> None:
    assert villages.lookup(query, parent) == NameMatch("exact", code=code)


def test_lookup_explicit_type_picks_between_same_names(villages: NameIndex) -> None:
    assert villages.lookup("Thôn 1", COMMUNE_A).code == "V10"
    assert villages.lookup("Xóm 1", COMMUNE_A).code == "V11"
    assert villages.lookup("Xóm Tân Lập", COMMUNE_A).code == "V15"


def test_lookup_same_name_without_type_is_ambiguous(villages: NameIndex) -> None:
    match = villages.lookup("Tân Lập", COMMUNE_A)
    assert match.status == "ambiguous"
    assert match.code is None
    assert set(match.candidates) == {"V14", "V15"}
    assert {code for code, _, _ in match.suggestions} == {"V14", "V15"}


def test_lookup_different_explicit_type_never_matches_silently(villages: NameIndex) -> None:
    match = villages.lookup("Làng Tân Phong", COMMUNE_A)
    assert match.status == "unmatched"
    assert match.suggestions == (("V12", "Thôn Tân Phong", 100.0),)
    assert "lang" in match.reason and "thon" in match.reason


def test_lookup_is_scoped_to_the_parent(villages: NameIndex) -> None:
    assert villages.lookup("Thôn Tân Phong", COMMUNE_B).status == "unmatched"
    assert villages.lookup("Thôn Tân Phong", "no such commune") == NameMatch(
        "unmatched", reason="no unit named 'Thôn Tân Phong' under 'no such commune'"
    )


def test_lookup_unmatched_offers_fuzzy_suggestions_but_never_applies_them(
    villages: NameIndex,
) -> None:
    match = villages.lookup("Thôn Tân Phongg", COMMUNE_A)
    assert match.status == "unmatched"
    assert match.code is None
    assert match.suggestions[0][:2] == ("V12", "Thôn Tân Phong")
    assert match.suggestions[0][2] >= 70
    assert len(match.suggestions) <= 3
    assert all(score >= 70 for _, _, score in match.suggestions)


def test_lookup_unmatched_without_close_names_has_no_suggestions(villages: NameIndex) -> None:
    match = villages.lookup("Khu công nghiệp Quế Võ", COMMUNE_A)
    assert match.status == "unmatched"
    assert match.suggestions == ()


def test_duplicate_names_in_source_are_ambiguous() -> None:
    index = NameIndex([("A", "Thôn Đông", "P"), ("B", "Thôn Đông", "P")])
    assert index.lookup("Thôn Đông", "P").candidates == ("A", "B")


def test_same_code_listed_twice_is_still_exact() -> None:
    index = NameIndex([("A", "Thôn Đông", "P"), ("A", "Thôn Đông", "P")])
    assert index.lookup("thon dong", "P") == NameMatch("exact", code="A")


def test_bare_name_finds_unit_whose_name_starts_with_a_type_word() -> None:
    districts = NameIndex([("016", "Huyện Sóc Sơn", "01"), ("250", "Huyện Sơn Tây", "01")])
    assert districts.lookup("Sóc Sơn", "01").code == "016"
    assert districts.lookup("Huyện Sóc Sơn", "01").code == "016"
    wards = NameIndex([("19810", "Phường Phường Đúc", "474")])
    assert wards.lookup("Phường Đúc", "474").code == "19810"


def test_unaccented_name_that_looks_typed_falls_back_to_the_whole_name() -> None:
    districts = NameIndex([("384", "Huyện Quan Hóa", "38"), ("385", "Huyện Quan Sơn", "38")])
    assert districts.lookup("Quan Hoa", "38").code == "384"
    assert districts.lookup("quan son", "38").code == "385"


def test_accents_pick_between_names_that_fold_alike() -> None:
    communes = NameIndex([("04516", "Xã Minh Quán", "138"), ("04567", "Xã Minh Quân", "138")])
    assert communes.lookup("Xã Minh Quán", "138").code == "04516"
    assert communes.lookup("Minh Quân", "138").code == "04567"
    # Without accents the two cannot be told apart, even if one were written that way.
    assert communes.lookup("xa minh quan", "138").candidates == ("04516", "04567")
    plain = NameIndex([("1", "Xã Nga Thanh", "P"), ("2", "Xã Nga Thành", "P")])
    assert plain.lookup("nga thanh", "P").status == "ambiguous"
    assert plain.lookup("Nga Thành", "P").code == "2"


def test_number_word_names_are_found_from_unaccented_spelling() -> None:
    communes = NameIndex([("20500", "Xã Tư", "505"), ("03394", "Xã Nậm Mười", "300")])
    assert communes.lookup("Xã Tư", "505").code == "20500"
    assert communes.lookup("xa tu", "505").code == "20500"  # "tu" alone is not read as 4
    assert communes.lookup("xa nam muoi", "300").code == "03394"  # not 50
    assert match_key("xa nam muoi") == "nam muoi"


def test_roman_numerals_in_lower_case_except_those_that_are_syllables() -> None:
    numerals = [(1, "I"), (3, "III"), (6, "VI")]
    wards = NameIndex([(f"W{n}", f"Phường {roman}", "930") for n, roman in numerals])
    assert wards.lookup("phuong iii", "930").code == "W3"
    assert wards.lookup("Phường 1", "930").code == "W1"
    assert wards.lookup("PHƯỜNG VI", "930").code == "W6"
    assert match_key("Thôn Vi") == "vi"


def test_explicit_unit_type_column_overrides_the_name() -> None:
    index = NameIndex([("A", "Tân Phong", "P", "thon"), ("B", "Tân Phong", "P", "xom")])
    assert index.lookup("Xóm Tân Phong", "P").code == "B"
    assert index.lookup("Tân Phong", "P").status == "ambiguous"


def test_empty_name_is_unmatched(villages: NameIndex) -> None:
    assert villages.lookup("   ", COMMUNE_A).status == "unmatched"


def test_large_index_matches_every_spelling_variant() -> None:
    rows = [(f"{c:05d}-{n}", f"Thôn {n}", f"{c:05d}") for c in range(2000) for n in range(1, 21)]
    index = NameIndex(rows)
    assert len(index) == 40_000
    for commune in range(0, 2000, 97):
        parent = f"{commune:05d}"
        assert index.lookup("thon muoi lam", parent).code == f"{parent}-15"
        assert index.lookup("Thôn XX", parent).code == f"{parent}-20"
        assert index.lookup("Thôn 07", parent).code == f"{parent}-7"


# --- codes reused across a reform, misspelt type words, scanning ------------------------------


def test_a_code_kept_under_another_type_matches_under_either_name() -> None:
    # The 2025 reform kept 15772 for "Xã Thiệu Hóa" (was "Thị trấn Thiệu Hóa"); 15823 is
    # "Xã Thiệu Hòa", which folds alike.
    index = NameIndex(
        [
            ("15772", "Thị trấn Thiệu Hóa", "38", "thi_tran"),
            ("15772", "Xã Thiệu Hóa", "38", "xa"),
            ("15823", "Xã Thiệu Hòa", "38", "xa"),
        ],
        Level.COMMUNE,
    )
    assert index.lookup("Thị trấn Thiệu Hóa", "38") == NameMatch("exact", code="15772")
    assert index.lookup("Xã Thiệu Hóa", "38") == NameMatch("exact", code="15772")
    assert index.lookup("Xã Thiệu Hoà", "38") == NameMatch("exact", code="15823")
    unaccented = index.lookup("Xa Thieu Hoa", "38")
    assert unaccented.status == "ambiguous"
    assert unaccented.candidates == ("15772", "15823")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Thhôn 3", "T3"),
        ("Thôm 3", "T3"),
        ("Thônn 11", "T11"),
        ("Xóom 2", "X2"),
        ("Tổổ dân phố 2", "P2"),
        ("Khhu phố 2", "K2"),
    ],
)
def test_a_misspelt_type_word_is_suggested_never_matched(query: str, code: str) -> None:
    rows = [(f"T{n}", f"Thôn {n}", "C") for n in range(1, 12)]
    rows += [("X2", "Xóm 2", "C"), ("P2", "Tổ dân phố 2", "C"), ("K2", "Khu phố 2", "C")]
    match = NameIndex(rows, Level.VILLAGE).lookup(query, "C")
    assert match.status == "unmatched"
    assert match.suggestions[0][0] == code
    assert all(found == code for found, _, _ in match.suggestions)  # not "Thôn 8" for "Thôm 3"


def test_scanning_a_few_units_answers_exactly_like_the_index() -> None:
    rows = [*VILLAGES, ("V16", "Thôn Tư", COMMUNE_A), ("V17", "Thôn 01", COMMUNE_B)]
    queries = [
        "TDP 4 Tiền Huân", "tdp 5 tien huan", "Phú Nhi", "Thôn Một", "thon I", "Xóm 01",
        "Tân Phong", "thon dong", "1", "Thôn Hoà Bình", "Tân Lập", "Xóm 1", "Thôn 9",
        "Thôn Tân Phongg", "Thhôn 1", "xa tu", "Thôn Tư", "Thôn 4", "", "Khu phố 1",
    ]  # fmt: skip
    index = NameIndex(rows, Level.VILLAGE)
    for parent in (VIEN_SON, COMMUNE_A, COMMUNE_B, "elsewhere"):
        for query in queries:
            expected = index.lookup(query, parent)
            assert lookup_among(rows, query, parent, Level.VILLAGE) == expected, (query, parent)

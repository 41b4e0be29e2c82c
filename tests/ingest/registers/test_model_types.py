"""Model types as registers write them (issue 13, item 2): free text → one catalogue code,
or unmatched / ambiguous with suggestions, by the aliases in the catalogue data file."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo_service.domain import MODEL_TYPE_COLUMNS
from geo_service.imports.model_catalogue import CATALOGUE, bundled_catalogue
from geo_service.ingest.registers.model_types import (
    ModelTypeMatcher,
    alias_words,
    read_catalogue,
    split_aliases,
    type_aliases,
)


@pytest.fixture(scope="module")
def matcher() -> ModelTypeMatcher:
    return ModelTypeMatcher.from_csv(CATALOGUE)


# Type cells as district and commune registers write them.
REGISTER_TEXTS = [
    # official names, with and without "về an ninh, trật tự" / "về ANTT", with diacritics or not
    ("Tổ tuần tra nhân dân", "patrol_team"),
    ("Tổ tuần tra nhân dân thị trấn Thứa", "patrol_team"),
    ("TO TUAN TRA NHAN DAN", "patrol_team"),
    ("Đội tuần tra nhân dân xã Bằng Cả", "patrol_team"),
    ("Tổ nhân dân tự quản về an ninh, trật tự", "self_managed_group"),
    ("Tổ nhân dân tự quản về ANTT", "self_managed_group"),
    ("to nhan dan tu quan ve an ninh trat tu", "self_managed_group"),
    ("Tổ  nhân dân   tự quản", "self_managed_group"),
    ("Tổ tự quản thôn 1", "self_managed_group"),
    ("Tổ liên gia tự quản về ANTT", "inter_household_group"),
    ("Tổ liên gia tự quản TDP 4 Tiền Huân", "inter_household_group"),
    ("tổ tự quản liên gia", "inter_household_group"),
    ("Liên gia tự quản", "inter_household_group"),
    # head words of descriptions
    ("Camera an ninh", "security_camera"),
    ("Mô hình camera giám sát với ANTT", "security_camera"),
    ("Lắp đặt hệ thống camera tại các ngã ba", "security_camera"),
    ("Mô hình 'Mắt thần' khu phố", "security_camera"),
    ("camera", "security_camera"),
    # initialisms and short forms
    ("Khu dân cư an toàn về PCCC", "fire_safe_area"),
    ("KDC an toan ve P.C.C.C", "fire_safe_area"),
    ("Khu dân cư an toàn về phòng cháy, chữa cháy", "fire_safe_area"),
    ("Tổ ANXH", "social_security_team"),
    ("Tổ an ninh xã hội", "social_security_team"),
    ("Tổ BVDP", "street_protection_team"),
    ("Tổ bảo vệ dân phố", "street_protection_team"),
    ("Tổ bảo vệ ANTT ở cơ sở", "street_protection_team"),
    ("Phong trào toàn dân bảo vệ ANTQ", "security_movement"),
    ("TDBVANTQ", "security_movement"),
    # other official names and their common wordings
    ("Người có uy tín tham gia bảo đảm ANTT", "reputable_persons"),
    ("Người có uy tín", "reputable_persons"),
    ("An ninh cơ sở", "grassroots_security"),
    ("Giúp đỡ người chấp hành xong án phạt tù tái hoà nhập cộng đồng", "reintegration_support"),
    ("Giúp đỡ người lầm lỡ", "reintegration_support"),
    ("Khu phố không ma tuý", "drug_free_area"),
    ("Thôn không có ma túy", "drug_free_area"),
    ("Quản lý, giáo dục trẻ em làm trái pháp luật", "juvenile_education"),
    ("Tiếng kẻng an ninh", "security_gong"),
    ("Đèn an ninh", "security_light"),
    ("Cổng rào an ninh", "security_gate"),
    # English and catalogue codes
    ("People's patrol team", "patrol_team"),
    ("Security camera", "security_camera"),
    ("Drug-free neighbourhood", "drug_free_area"),
    ("CCTV", "security_camera"),
    ("patrol_team", "patrol_team"),
    ("FIRE_SAFE_AREA", "fire_safe_area"),
]


@pytest.mark.parametrize(("text", "code"), REGISTER_TEXTS)
def test_register_texts_name_their_type(matcher: ModelTypeMatcher, text: str, code: str) -> None:
    found = matcher.match(text)
    assert (found.status, found.code) == ("matched", code)
    assert found.alias and found.suggestions == ()


def test_the_longer_alias_decides_within_the_same_words(matcher: ModelTypeMatcher) -> None:
    found = matcher.match("Mô hình camera giám sát với ANTT")
    assert found.alias == "Camera giám sát với ANTT"
    # "tổ tự quản" (self-managed group) lies inside "tổ tự quản liên gia"
    assert matcher.match("Tổ tự quản liên gia").alias == "Tổ tự quản liên gia"


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("Tổ tuần tra và camera an ninh", {"patrol_team", "security_camera"}),
        ("Tổ liên gia an toàn PCCC", {"inter_household_group", "fire_safe_area"}),
        ("Cổng rào, tiếng kẻng an ninh", {"security_gate", "security_gong"}),
    ],
)
def test_a_text_naming_two_types_is_ambiguous(
    matcher: ModelTypeMatcher, text: str, candidates: set[str]
) -> None:
    found = matcher.match(text)
    assert found.status == "ambiguous" and found.code is None
    assert set(found.candidates) == candidates
    assert [s.code for s in found.suggestions] == list(found.candidates)


@pytest.mark.parametrize(
    ("text", "first_suggestion"),
    [
        ("Tổ tuần tre nhân dân", "patrol_team"),
        ("Tổ tuần tre nhân dân thị trấn Thứa huyện Lương Tài", "patrol_team"),
        ("Camara an ninh", "security_camera"),
        ("Nguoi co uy tn", "reputable_persons"),
        ("Mô hình tự quản", "self_managed_group"),
        ("Tổ lien gja tự quản", "inter_household_group"),
    ],
)
def test_a_near_miss_is_unmatched_with_suggestions(
    matcher: ModelTypeMatcher, text: str, first_suggestion: str
) -> None:
    found = matcher.match(text)
    assert found.status == "unmatched" and found.code is None
    assert found.suggestions[0].code == first_suggestion
    scores = [s.score for s in found.suggestions]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 3


def test_suggestions_say_which_type_and_alias(matcher: ModelTypeMatcher) -> None:
    best = matcher.match("Tổ tuần tre nhân dân").suggestions[0]
    assert best.name_vi == "Tổ tuần tra nhân dân"
    assert best.alias == "Tổ tuần tra nhân dân" and 90 < best.score < 100


@pytest.mark.parametrize("text", ["", "   ", "Mô hình dân vận khéo", "xyz", "an ninh"])
def test_text_far_from_every_type_is_unmatched(matcher: ModelTypeMatcher, text: str) -> None:
    found = matcher.match(text)
    assert found.status == "unmatched" and found.code is None and not found.candidates


def test_every_alias_of_the_bundled_catalogue_names_its_own_type(
    matcher: ModelTypeMatcher,
) -> None:
    catalogue = read_catalogue(CATALOGUE)
    assert matcher.conflicts() == {}
    for code, aliases in type_aliases(catalogue).items():
        assert len(aliases) >= 5, code
        for alias in aliases:
            assert matcher.match(alias).code == code, alias


def test_a_province_adds_its_own_alias_in_a_copy_of_the_catalogue(tmp_path: Path) -> None:
    catalogue = read_catalogue(CATALOGUE)
    assert ModelTypeMatcher(catalogue).match("Mô hình Dân phòng tuần đêm").status == "unmatched"
    row = catalogue["code"] == "patrol_team"
    catalogue.loc[row, "aliases"] += " | Dân phòng tuần đêm"
    copy = tmp_path / "model_types.csv"
    catalogue.to_csv(copy, index=False, quoting=csv.QUOTE_MINIMAL)
    found = ModelTypeMatcher.from_csv(copy).match("Mô hình dân phòng tuần đêm thôn Đông")
    assert (found.code, found.alias) == ("patrol_team", "Dân phòng tuần đêm")


def test_an_alias_given_to_two_types_makes_its_texts_ambiguous() -> None:
    catalogue = read_catalogue(CATALOGUE)
    for code in ("patrol_team", "street_protection_team"):
        catalogue.loc[catalogue["code"] == code, "aliases"] += "\nTổ canh gác"
    matcher = ModelTypeMatcher(catalogue)
    assert matcher.conflicts() == {"Tổ canh gác": ["patrol_team", "street_protection_team"]}
    assert matcher.match("tổ canh gác thôn 2").status == "ambiguous"


def test_a_catalogue_without_aliases_still_matches_codes_and_names() -> None:
    """A store made before the catalogue had aliases reads them as empty."""
    matcher = ModelTypeMatcher(bundled_catalogue().drop(columns="aliases"))
    assert matcher.match("Tổ tuần tra nhân dân thôn 3").code == "patrol_team"
    assert matcher.match("security_camera").code == "security_camera"
    assert matcher.match("PCCC").status == "unmatched"


def test_the_stored_catalogue_keeps_the_aliases_column() -> None:
    stored = bundled_catalogue()
    assert list(stored.columns) == MODEL_TYPE_COLUMNS
    assert MODEL_TYPE_COLUMNS[-1] == "aliases"
    assert len(stored) == 16 and stored["counts_as_model"].dtype == bool
    assert list(pd.read_csv(CATALOGUE, nrows=0).columns) == MODEL_TYPE_COLUMNS


def test_aliases_are_split_on_bars_and_line_breaks() -> None:
    assert split_aliases("PCCC | phòng cháy\nchữa cháy ||") == ["PCCC", "phòng cháy", "chữa cháy"]
    assert split_aliases(float("nan")) == []


def test_words_fold_accents_case_spacing_and_spelled_initialisms() -> None:
    assert alias_words("  Tổ  ĐỘI  ") == ("to", "doi")
    assert alias_words("A.N.T.T") == ("antt",)
    assert alias_words("tổ A.N.X.H số 3") == ("to", "anxh", "so", "3")
    assert alias_words("Thủy lợi") == alias_words("Thuỷ lợi")

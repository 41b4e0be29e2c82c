"""Legacy Vietnamese encodings: TCVN3 (ABC), VNI-Windows, cp1258."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from geo_service.text.legacy_encodings import (
    decode_bytes,
    decode_legacy,
    decode_tcvn3,
    decode_vni,
    looks_legacy,
    unreadable_words,
)

# (TCVN3 as seen through cp1252/Latin-1, VNI as seen through cp1252, Unicode)
PLACES = [
    ("Hµ Néi", "Haø Noäi", "Hà Nội"),
    ("§µ N½ng", "Ñaø Naüng", "Đà Nẵng"),
    ("Thõa Thiªn HuÕ", "Thöøa Thieân Hueá", "Thừa Thiên Huế"),
    ("B¾c Ninh", "Baéc Ninh", "Bắc Ninh"),
    ("L\xad¬ng Tµi", "Löông Taøi", "Lương Tài"),
    ("ThÞ trÊn Thøa", "Thò traán Thöùa", "Thị trấn Thứa"),
    ("X· B»ng C¶", "Xaõ Baèng Caû", "Xã Bằng Cả"),
    ("Ph\xadêng Viªn S¬n", "Phöôøng Vieân Sôn", "Phường Viên Sơn"),
    ("Tæ d©n phè 4 TiÒn Hu©n", "Toå daân phoá 4 Tieàn Huaân", "Tổ dân phố 4 Tiền Huân"),
    ("ThiÖu Ho¸", "Thieäu Hoaù", "Thiệu Hoá"),
    ("Qu¶ng TrÞ", "Quaûng Trò", "Quảng Trị"),
    ("Th«n Tr\xad¬ng Hoµng", "Thoân Tröông Hoaøng", "Thôn Trương Hoàng"),
    ("NguyÔn Thóy Kú", "Nguyeãn Thuùy Kyø", "Nguyễn Thúy Kỳ"),
    ("Tæ tuÇn tra nh©n d©n", "Toå tuaàn tra nhaân daân", "Tổ tuần tra nhân dân"),
]


@pytest.mark.parametrize(("tcvn3", "vni", "unicode"), PLACES)
def test_decoders_map_known_place_names(tcvn3: str, vni: str, unicode: str) -> None:
    assert decode_tcvn3(tcvn3) == unicode
    assert decode_vni(vni) == unicode


@pytest.mark.parametrize(("tcvn3", "vni", "unicode"), PLACES)
def test_detection_picks_the_right_encoding(tcvn3: str, vni: str, unicode: str) -> None:
    assert looks_legacy(tcvn3) == "tcvn3"
    assert decode_legacy(tcvn3) == (unicode, "tcvn3")
    assert looks_legacy(vni) == "vni"
    assert decode_legacy(vni) == (unicode, "vni")


def test_tcvn3_covers_every_lower_case_letter_and_the_seven_capitals() -> None:
    legacy = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢£¤¥¦§"
    letters = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂÊÔƠƯĐ"
    assert decode_tcvn3(legacy) == letters
    assert len(set(decode_tcvn3(legacy))) == 74


def test_vni_upper_case_and_every_shape() -> None:
    assert decode_vni("HAØ NOÄI") == "HÀ NỘI"
    assert decode_vni("ÑAØ NAÜNG") == "ĐÀ NẴNG"
    assert decode_vni("TRÖÔØNG") == "TRƯỜNG"
    assert decode_vni("aâ aê eâ oâ ô ö ñ") == "â ă ê ô ơ ư đ"
    assert decode_vni("aø aù aû aõ aï") == "à á ả ã ạ"
    assert decode_vni("aà aá aå aã aä") == "ầ ấ ẩ ẫ ậ"
    assert decode_vni("aè aé aú aü aë") == "ằ ắ ẳ ẵ ặ"
    assert decode_vni("ì í æ ó ò") == "ì í ỉ ĩ ị"
    assert decode_vni("yø yù yû yõ î") == "ỳ ý ỷ ỹ ỵ"
    assert decode_vni("ôø öù") == "ờ ứ"


def test_decoded_text_is_nfc() -> None:
    for _, vni, _ in PLACES:
        assert unicodedata.is_normalized("NFC", decode_vni(vni))


@pytest.mark.parametrize(
    "text", ["Hà Nội", "Thị trấn Thứa", "Hà Tây", "Hòa Bình", "Café", "Thôn 1", "", "µg/l"]
)
def test_unicode_and_plain_text_is_not_legacy(text: str) -> None:
    assert looks_legacy(text) is None
    assert decode_legacy(text) == (text, None)


def test_ambiguous_short_text_is_not_guessed() -> None:
    # "Thuû" reads as "Thuỷ" in TCVN3 and as "Thủ" in VNI: say so instead of guessing.
    assert looks_legacy("Thuû") is None
    assert decode_legacy("Thuû", encoding="tcvn3") == ("Thuỷ", "tcvn3")
    assert decode_legacy("Thuû", encoding="vni") == ("Thủ", "vni")


def test_whole_column_detection_resolves_short_values() -> None:
    column = ["Thuû", "Th«n 1", "Hµ Néi"]
    encoding = looks_legacy(" ".join(column))
    assert encoding == "tcvn3"
    assert [decode_legacy(v, encoding)[0] for v in column] == ["Thuỷ", "Thôn 1", "Hà Nội"]


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        decode_legacy("Hµ Néi", encoding="viscii")


def test_unreadable_words_counts_non_syllables() -> None:
    assert unreadable_words("Hà Nội, Đắk Lắk") == 0
    assert unreadable_words("Hµ Néi") == 2
    assert unreadable_words("Haø Noäi") == 2


# --- bytes ------------------------------------------------------------------------------------

CSV = (
    "Tỉnh,Huyện,Xã,Thôn,Mô hình\n"
    "Bắc Ninh,Lương Tài,Thị trấn Thứa,Thôn 1,Tổ tuần tra nhân dân\n"
    "Hà Nội,Sơn Tây,Phường Viên Sơn,Tổ dân phố 4 Tiền Huân,Tổ liên gia tự quản\n"
    "Thanh Hoá,Thiệu Hoá,Thị trấn Thiệu Hoá,Khu phố 3,Camera an ninh\n"
)
CSV_TCVN3 = (
    "TØnh,HuyÖn,X·,Th«n,M« h×nh\n"
    "B¾c Ninh,L\xad¬ng Tµi,ThÞ trÊn Thøa,Th«n 1,Tæ tuÇn tra nh©n d©n\n"
    "Hµ Néi,S¬n T©y,Ph\xadêng Viªn S¬n,Tæ d©n phè 4 TiÒn Hu©n,Tæ liªn gia tù qu¶n\n"
    "Thanh Ho¸,ThiÖu Ho¸,ThÞ trÊn ThiÖu Ho¸,Khu phè 3,Camera an ninh\n"
)
CSV_VNI = (
    "Tænh,Huyeän,Xaõ,Thoân,Moâ hình\n"
    "Baéc Ninh,Löông Taøi,Thò traán Thöùa,Thoân 1,Toå tuaàn tra nhaân daân\n"
    "Haø Noäi,Sôn Taây,Phöôøng Vieân Sôn,Toå daân phoá 4 Tieàn Huaân,Toå lieân gia töï quaûn\n"
    "Thanh Hoaù,Thieäu Hoaù,Thò traán Thieäu Hoaù,Khu phoá 3,Camera an ninh\n"
)


def _cp1258(text: str) -> bytes:
    """Encode like Windows does for cp1258: base letter, then a combining tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in tones)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append((base + tone).encode("cp1258"))
    return b"".join(out)


def test_decode_bytes_utf8_with_and_without_bom() -> None:
    assert decode_bytes(CSV.encode("utf-8")) == (CSV, "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + CSV.encode("utf-8")) == (CSV, "utf-8-sig")


def test_decode_bytes_nfd_utf8_becomes_nfc() -> None:
    text, label = decode_bytes(unicodedata.normalize("NFD", CSV).encode("utf-8"))
    assert (text, label) == (CSV, "utf-8")


def test_decode_bytes_cp1258() -> None:
    data = _cp1258(CSV)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_bytes(data) == (CSV, "cp1258")


def test_decode_bytes_tcvn3_and_vni_files() -> None:
    assert decode_bytes(CSV_TCVN3.encode("latin-1")) == (CSV, "tcvn3")
    assert decode_bytes(CSV_VNI.encode("cp1252")) == (CSV, "vni")


def test_decode_bytes_legacy_text_saved_as_utf8() -> None:
    # Excel with a .VnTime font, saved as "CSV UTF-8": the legacy characters survive.
    assert decode_bytes(CSV_TCVN3.encode("utf-8")) == (CSV, "utf-8+tcvn3")
    assert decode_bytes(CSV_VNI.encode("utf-8-sig")) == (CSV, "utf-8-sig+vni")


def test_decode_bytes_from_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "thon_tcvn3.csv"
    path.write_bytes(CSV_TCVN3.encode("latin-1"))
    text, label = decode_bytes(path.read_bytes())
    assert label == "tcvn3"
    assert "Tổ dân phố 4 Tiền Huân" in text.splitlines()[2]

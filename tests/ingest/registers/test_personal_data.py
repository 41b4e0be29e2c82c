"""Finding personal data typed into free text (issue 10, item 15): what must be found, what
must not be (dates, counts, decision numbers, GSO codes, years, amounts), and masking."""

from __future__ import annotations

import pytest

from geo_service.ingest.registers.personal_data import find_personal_data, personal_key

PHONES = [
    "Tổ trưởng Nguyễn Văn An, SĐT 0912 345 678",
    "0912.345.678",
    "0912-345-678",
    "091 234 5678",
    "0912345678",
    "Zalo 0386123456",  # 03x
    "0562 123 456",  # 05x
    "0778 123 456",  # 07x
    "0856 123 456",  # 08x
    "+84 912 345 678",
    "+84912345678",
    "(+84) 912.345.678",
    "0084 912 345 678",
    "SĐT 912345678",  # the leading 0 left out
    "sđt0912345678",  # glued to the word
    "ĐT: 024 3825 1234",  # a Hà Nội landline
    "(024) 38251234",
    "0243.825.1234",
    "+84 24 3825 1234",
    "Ngày 16-06-2022 0912 345 678",  # a date just before it
    "0912345678/0987654321",
]
ID_NUMBERS = [
    ("Tổ trưởng CCCD 001089012345", "CCCD"),
    ("001 089 012 345", "CCCD"),
    ("0010.8901.2345", "CCCD"),
    ("Căn cước: 125089012345", "CCCD"),  # after the word, any 12 digits
    ("CMND 125456789", "CMND"),
    ("CMND số 125 456 789", "CMND"),
    ("Số 125456789 cấp ngày 01/01/2010", "CMND"),
]
EMAILS = ["Liên hệ an.nguyen@example.com", "x@y.vn", "to_truong+tdp4@congan.gov.vn"]
NOT_PERSONAL = [
    "Tổ trưởng",
    "Trưởng thôn",
    "1.250",
    "1.250 người",
    "30 hộ, 120 người",
    "Quyết định số 123/QĐ-UBND ngày 16/06/2022",
    "Quyết định số 1520/QĐ-UBND ngày 12/3/2021 của UBND huyện",
    "Quyết định số 0912/QĐ-UBND",
    "Quyết định 1234/QĐ-UBND, 2022-06-16",
    "03.05.2023 08.09.2024",  # two dates
    "Sơ kết 10 năm 29/9",
    "năm 2024",
    "2019 2020 2021",
    "Năm 2023: 12 tin, 2024: 15 tin",
    "09496",
    "07057 07054",  # two GSO commune codes
    "MH-09496-01",
    "Tổ dân phố 4 Tiền Huân",
    "Tổ 12, thôn 3",
    "150.000.000 đồng",
    "1.500.000.000 đồng",
    "350000000 đồng",
    "Kinh phí 150.000.000 đ",
    "12.345.678.901",
    "1, 2, 3, 4, 5, 6, 7, 8, 9",
    "Đường dây nóng 1800 1234",  # a toll-free service number
    "Gọi 113",
    "@SUM",
]


@pytest.mark.parametrize("text", PHONES)
def test_phone_numbers_are_found(text: str) -> None:
    found = find_personal_data(text)
    assert found is not None and found.kind == "a phone number", found


@pytest.mark.parametrize(("text", "kind"), ID_NUMBERS)
def test_id_card_numbers_are_found(text: str, kind: str) -> None:
    found = find_personal_data(text)
    assert found is not None and kind in found.kind, found


@pytest.mark.parametrize("text", EMAILS)
def test_email_addresses_are_found(text: str) -> None:
    found = find_personal_data(text)
    assert found is not None and found.kind == "an e-mail address", found


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_dates_counts_codes_years_and_amounts_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("SĐT 0912 345 678", "091* *** *78"),
        ("0912345678", "091*****78"),
        ("CCCD 001089012345", "001*******45"),
        ("an.nguyen@example.com", "a***@example.com"),
    ],
)
def test_what_is_found_is_masked_in_the_message(text: str, shown: str) -> None:
    found = find_personal_data(text)
    assert found is not None and found.masked == shown
    assert shown in found.message()
    assert "345 678" not in found.message() and "089012" not in found.message()
    assert "nguyen" not in found.message()


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("sdt_to_truong", "a phone number"),
        ("so_dien_thoai", "a phone number"),
        ("Số điện thoại", "a phone number"),
        ("phone", "a phone number"),
        ("email", "an e-mail address"),
        ("cccd", "an ID number"),
        ("cmnd_to_truong", "an ID number"),
        ("ho_ten", "a person's name"),
        ("ten_thanh_vien", "a person's name"),
        ("dia_chi", "an address"),
        ("ngay_sinh", "a birth date"),
    ],
)
def test_figure_names_of_personal_fields(key: str, kind: str) -> None:
    assert personal_key(key) == kind


@pytest.mark.parametrize(
    "key", ["nguoi_duoc_giup_do", "so_ho", "tin_bao", "dien_tich", "hotel", "so_camera", "ten"]
)
def test_figure_names_of_counts_are_not_personal(key: str) -> None:
    assert personal_key(key) is None

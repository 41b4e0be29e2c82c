"""A register of camera sites with points, over the demo store (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

# Points in villages of Xã Bằng Cả (07057; Xã Quảng La, 07054, since the 2025 reform), near
# (not on: those are public label points) the villages' own points.
THON_1 = (106.8531234, 21.1012345)
THON_4 = (106.8681234, 21.0451234)
HEADER = "Mã mô hình,Loại mô hình,Tên mô hình,Mã xã,Thôn/TDP,Tên tổ,Kinh độ,Vĩ độ"


def camera_register(folder: Path) -> Path:
    """Three camera points in Thôn 1 (two) and Thôn 4, and a site without a point."""
    path = folder / "cameras.csv"
    model = "CAM-1,Camera an ninh,Camera Bằng Cả,07057"
    rows = [
        f"{model},,Camera chợ,{THON_1[0]},{THON_1[1]}",
        f"{model},,Camera đình,{THON_1[0] + 0.001},{THON_1[1] - 0.001}",
        f"{model},Thôn 4,Camera cổng,{THON_4[0]},{THON_4[1]}",
        f"{model},Thôn 2,Camera trường,,",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path

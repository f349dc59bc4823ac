"""Vietnamese alphabetical order, as official lists sort names."""

from __future__ import annotations

from phancap.engine.collation import vi_key


def test_names_sort_in_the_vietnamese_alphabet() -> None:
    names = ["Sở Y tế", "Sở Du lịch", "Sở Đào tạo", "Sở Dân tộc và Tôn giáo", "Ủy ban nhân dân", "Sở Y",
             "Sở Ngoại vụ", "Sở Nội vụ", "Sở Công Thương", "Ấp Bắc", "An Giang"]
    assert sorted(names, key=vi_key) == ["An Giang", "Ấp Bắc", "Sở Công Thương", "Sở Dân tộc và Tôn giáo", "Sở Du lịch",
                                         "Sở Đào tạo", "Sở Ngoại vụ", "Sở Nội vụ", "Sở Y", "Sở Y tế", "Ủy ban nhân dân"]
    assert sorted(["mai", "mạ", "mà", "ma", "má", "mả", "mã"], key=vi_key) == ["ma", "mà", "má", "mả", "mã", "mạ", "mai"]
    assert sorted(["Xã 10", "Xã 2", "Xã A"], key=vi_key)[-1] == "Xã A" and vi_key("Sở  Y") == vi_key("sở y")

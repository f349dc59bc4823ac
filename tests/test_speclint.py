"""The specification lint (tests/bdd/speclint.py): the shipped features pass it, and it catches
what Gherkin lets through silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bdd import speclint

pytestmark = pytest.mark.bdd

MARKERS = {"bdd", "postgres"}


def test_the_shipped_specification_passes_the_lint() -> None:
    problems = speclint.lint()
    assert not problems, "\n".join(map(str, problems))


def test_every_numbered_task_of_both_seed_plans_has_a_scenario() -> None:
    problems = speclint.uncovered_seed_tasks()
    assert not problems, "\n".join(map(str, problems))


PLANTED = """\
# language: vi
Tính năng: Một tính năng có lỗi
  Mô tả của tính năng được viết tự do.

  Bối cảnh:
    Cho các kế hoạch đã được giao

  Kịch bản: Một bước bị Gherkin nuốt mất
    Giả sử người dùng "cv.sct" đã đăng nhập
    Khi "cv.sct" thực hiện "Gửi đầu mối xem xét"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét"
"""


def test_a_planted_gia_su_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "trong.feature"
    path.write_text(PLANTED, encoding="utf-8")
    problems = speclint.lint_feature(path, MARKERS)
    assert [(p.path, p.line, p.rule) for p in problems] == [(str(path), 9, "keyword")]
    assert "Giả sử" in problems[0].message
    assert str(problems[0]).startswith(f"{path}:9: [keyword]")


@pytest.mark.parametrize("line", ["Given a user", "Va nhiệm vụ đã được giao", "Thi kết quả hiện ra", "nhiệm vụ đã giao"])
def test_other_lines_that_are_not_steps_are_reported(tmp_path: Path, line: str) -> None:
    path = tmp_path / "sai.feature"
    path.write_text(PLANTED.replace('Giả sử người dùng "cv.sct" đã đăng nhập', line), encoding="utf-8")
    assert [(p.line, p.rule) for p in speclint.lint_feature(path, MARKERS)] == [(9, "keyword")]


def test_tables_docstrings_comments_and_tags_are_not_steps(tmp_path: Path) -> None:
    path = tmp_path / "dung.feature"
    path.write_text("""\
# language: vi
@bdd
Tính năng: Đúng cú pháp
  Mô tả tự do ở đây thì được.

  @postgres
  Khung kịch bản: Có bảng, chuỗi văn bản và chú thích
    # một chú thích
    Cho những người dùng sau:
      | người dùng |
      | <tên>      |
    Khi có văn bản:
      \"\"\"
      Giả sử dòng này nằm trong chuỗi văn bản
      \"\"\"
    Thì mọi thứ đúng

    Dữ liệu:
      | tên    |
      | cv.sct |
""", encoding="utf-8")
    assert speclint.lint_feature(path, MARKERS) == []


def test_parse_errors_language_missing_then_and_unregistered_tags(tmp_path: Path) -> None:
    broken = tmp_path / "hong.feature"
    broken.write_text("# language: vi\nTính năng: Hỏng\n  Kịch bản: A\n    Cho a\n  | lạc |\n  Kịch bản A\n",
                      encoding="utf-8")
    assert {p.rule for p in speclint.lint_feature(broken, MARKERS)} == {"parse"}
    english = tmp_path / "english.feature"
    english.write_text("Feature: English\n  Scenario: A\n    Given a\n    Then b\n", encoding="utf-8")
    assert [(p.line, p.rule) for p in speclint.lint_feature(english, MARKERS)] == [(1, "parse")]
    no_then = tmp_path / "khong_thi.feature"
    no_then.write_text("# language: vi\n@chua_dang_ky\nTính năng: A\n  Kịch bản: Không kiểm tra gì\n"
                       "    Cho a\n    Khi b\n", encoding="utf-8")
    found = sorted((p.line, p.rule) for p in speclint.lint_feature(no_then, MARKERS))
    assert found == [(2, "tag"), (4, "then")]


def test_unused_and_undefined_steps(tmp_path: Path) -> None:
    features, steps = tmp_path / "features", tmp_path / "steps"
    features.mkdir()
    steps.mkdir()
    (features / "a.feature").write_text(
        "# language: vi\nTính năng: A\n  Khung kịch bản: B\n    Cho có <số> nhiệm vụ\n    Thì xong\n"
        "    Và chưa định nghĩa\n\n    Dữ liệu:\n      | số |\n      | 3  |\n", encoding="utf-8")
    (steps / "conftest.py").write_text(
        "from pytest_bdd import given, parsers, then\n\n\n"
        "@given(parsers.parse('có {n:d} nhiệm vụ'))\ndef used(n):\n    pass\n\n\n"
        "@then('xong')\ndef also_used():\n    pass\n\n\n"
        "@then('không ai dùng')\ndef never_used():\n    pass\n", encoding="utf-8")
    (steps / "test_a.py").write_text("from pytest_bdd import scenarios\n\nscenarios('a.feature')\n", encoding="utf-8")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.pytest.ini_options]\nmarkers = ["bdd: x"]\n', encoding="utf-8")
    problems = speclint.lint(features, steps, pyproject)
    assert [(Path(p.path).name, p.line, p.rule) for p in problems] == [
        ("a.feature", 6, "undefined"), ("conftest.py", 14, "unused")]

"""/dac-ta and GET /api/v1/spec: the feature files rendered in Vietnamese with the last BDD run's result,
joined from a Cucumber JSON report on the feature's path and the scenario's line, per backend."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gherkin.parser import Parser

from phancap.api.routes.spec import parse_feature
from phancap.api.security import SESSION_COOKIE
from tests.api.conftest import bearer

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """# language: vi
Tính năng: Giao nhiệm vụ của kế hoạch
  Mỗi đơn vị chủ trì nhận một bản riêng của nhiệm vụ.
  Đoạn mô tả thứ hai <script>alert(1)</script>

  Bối cảnh:
    Cho các kế hoạch đã được giao

  Kịch bản: Sở Công Thương gửi đầu mối xem xét
    Khi "cv.sct" thực hiện "Gửi đầu mối xem xét"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét"
    Và lịch sử gồm:
      | lần | thao tác            |
      | 1   | Giao nhiệm vụ       |
      | 2   | Gửi đầu mối xem xét |

  @bdd
  Khung kịch bản: Nhiệm vụ <nhiệm vụ> có <số bản> bản
    Khi giao nhiệm vụ <nhiệm vụ>
    Thì có <số bản> bản

    Dữ liệu: Hà Nội
      | nhiệm vụ | số bản |
      | 1.1      | 15     |
      | 1.2      | 15     |

  Kịch bản: Chưa từng chạy
    Khi không ai chạy
    Thì không có kết quả
"""


def element(name: str, line: int, backend: str, status: str, error: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "duration": 1000}
    if error:
        result["error_message"] = error
    return {"keyword": "Kịch bản", "id": f"test_x[{backend}-a-b]", "name": name, "line": line, "type": "scenario",
            "steps": [{"keyword": "Khi", "name": "một bước", "line": line + 1, "result": {"status": "passed"}},
                      {"keyword": "Thì", "name": "bước kiểm tra", "line": line + 2, "result": result}]}


REPORT = [{
    "keyword": "Tính năng", "uri": "features/giao_nhiem_vu.feature", "name": "Giao nhiệm vụ của kế hoạch",
    "elements": [
        element("Sở Công Thương gửi đầu mối xem xét", 9, "sqlite", "passed"),
        element("Sở Công Thương gửi đầu mối xem xét", 9, "postgres", "failed", "AssertionError: sai trạng thái"),
        element("Nhiệm vụ 1.1 có 15 bản", 18, "sqlite", "passed"),
        element("Nhiệm vụ 1.2 có 15 bản", 18, "sqlite", "passed"),
        element("Nhiệm vụ 1.1 có 15 bản", 18, "postgres", "passed"),
        element("Nhiệm vụ 1.2 có 15 bản", 18, "postgres", "skipped"),
    ],
}, {"keyword": "Tính năng", "uri": "features/khac.feature", "name": "Khác", "elements": [
    element("Sở Công Thương gửi đầu mối xem xét", 9, "sqlite", "failed", "không thuộc tệp này")]}]


def point_spec(app: FastAPI, **paths: Path | None) -> None:
    """Settings are read once at start: what PHANCAP_FEATURES_DIR / PHANCAP_CUCUMBER_JSON would set."""
    services = app.state.services
    services.settings = replace(services.settings, **paths)


@pytest.fixture
def spec_env(tmp_path: Path, app: FastAPI) -> Path:
    features = tmp_path / "features"
    features.mkdir()
    (features / "giao_nhiem_vu.feature").write_text(FEATURE, encoding="utf-8")
    report = tmp_path / "cucumber.json"
    report.write_text(json.dumps(REPORT, ensure_ascii=False), encoding="utf-8")
    point_spec(app, features_dir=features, cucumber_json=report)
    return tmp_path


def page_login(client: TestClient, app: FastAPI, user: str) -> str:
    cookie, session = app.state.services.signer.session(user)
    client.cookies.set(SESSION_COOKIE, cookie)
    return session.csrf


def test_api_spec_joins_the_last_run_per_scenario_and_backend(client: TestClient, app: FastAPI,
                                                              spec_env: Path) -> None:
    body = client.get("/api/v1/spec", headers=bearer(app, "cv.sct")).json()
    assert body["available"] and body["run"]["available"] and body["run"]["at"]
    assert body["run"]["backends"] == ["postgres", "sqlite"]
    [feature] = body["features"]
    assert feature["title"] == "Giao nhiệm vụ của kế hoạch" and feature["uri"] == "giao_nhiem_vu.feature"
    assert feature["description"].startswith("Mỗi đơn vị chủ trì")
    assert [s["text"] for s in feature["background"]["steps"]] == ["các kế hoạch đã được giao"]
    first, outline, never = feature["scenarios"]
    assert (first["line"], first["status"]) == (9, "failed")
    assert first["results"]["sqlite"]["passed"] == 1 and first["results"]["postgres"]["failed"] == 1
    assert "sai trạng thái" in first["results"]["postgres"]["errors"][0]
    assert first["steps"][2]["table"] == [["lần", "thao tác"], ["1", "Giao nhiệm vụ"], ["2", "Gửi đầu mối xem xét"]]
    assert outline["outline"] and outline["tags"] == ["@bdd"] and outline["status"] == "passed"
    assert outline["results"]["postgres"] == {"passed": 1, "failed": 0, "skipped": 1, "errors": []}
    rows = outline["examples"][0]["rows"]
    assert outline["examples"][0]["name"] == "Hà Nội" and outline["examples"][0]["header"] == ["nhiệm vụ", "số bản"]
    assert [r["results"] for r in rows] == [{"sqlite": "passed", "postgres": "passed"},
                                            {"sqlite": "passed", "postgres": "skipped"}]
    assert never["status"] is None and never["results"] == {}
    assert body["totals"] == {"scenarios": 3, "passed": 1, "failed": 1, "skipped": 0, "not_run": 1}
    assert feature["status"] == "failed"  # any failure shows on the feature, before "not run"


def test_spec_page_reads_in_vietnamese_and_escapes(client: TestClient, app: FastAPI, spec_env: Path) -> None:
    page_login(client, app, "cv.phtp")  # any role
    page = client.get("/dac-ta")
    assert page.status_code == 200
    html = page.text
    assert "Tính năng: Giao nhiệm vụ của kế hoạch" in html and "Bối cảnh" in html
    assert "Khung kịch bản: Nhiệm vụ &lt;nhiệm vụ&gt; có &lt;số bản&gt; bản" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'data-line="9" data-status="failed"' in html and 'data-backend="postgres" data-status="failed"' in html
    assert "không đạt" in html and "chưa chạy" in html and "Dữ liệu: Hà Nội" in html
    assert "Kết quả lần chạy lúc" in html
    assert 'href="/dac-ta" aria-current="page"' in html


def test_no_report_says_so(client: TestClient, app: FastAPI, spec_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    point_spec(app, cucumber_json=spec_env / "missing.json")
    page_login(client, app, "cv.sct")
    assert "chưa có kết quả chạy" in client.get("/dac-ta").text.lower()
    body = client.get("/api/v1/spec", headers=bearer(app, "cv.sct")).json()
    assert body["run"]["available"] is False and body["totals"]["not_run"] == 3
    assert all(s["status"] is None for s in body["features"][0]["scenarios"])


def test_a_broken_report_is_named_not_fatal(client: TestClient, app: FastAPI, spec_env: Path) -> None:
    (spec_env / "cucumber.json").write_text("{not json", encoding="utf-8")
    page_login(client, app, "cv.sct")
    page = client.get("/dac-ta")
    assert page.status_code == 200 and "Không đọc được báo cáo kết quả" in page.text


def test_features_missing_are_said_plainly(client: TestClient, app: FastAPI, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    point_spec(app, features_dir=tmp_path / "nowhere")
    page_login(client, app, "cv.sct")
    page = client.get("/dac-ta")
    assert page.status_code == 200 and 'id="spec-missing"' in page.text and "Không có các tệp đặc tả" in page.text
    body = client.get("/api/v1/spec", headers=bearer(app, "cv.sct")).json()
    assert body["available"] is False and body["features"] == [] and body["message"]


def test_spec_needs_a_user(client: TestClient) -> None:
    assert client.get("/api/v1/spec").status_code == 401
    response = client.get("/dac-ta", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_every_shipped_feature_reads_as_gherkin_reads_it(client: TestClient, app: FastAPI,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    point_spec(app, features_dir=None)
    body = client.get("/api/v1/spec", headers=bearer(app, "kiemtoan")).json()
    paths = sorted((ROOT / "features").glob("*.feature"))
    assert [f["uri"] for f in body["features"]] == [p.name for p in paths]
    for path, feature in zip(paths, body["features"], strict=True):
        document = Parser().parse(path.read_text(encoding="utf-8"))["feature"]
        scenarios = [c["scenario"] for c in document["children"] if "scenario" in c]
        assert feature["title"] == document["name"]
        assert [(s["name"], s["line"], len(s["steps"])) for s in feature["scenarios"]] == \
               [(s["name"], s["location"]["line"], len(s["steps"])) for s in scenarios]
        for mine, theirs in zip(feature["scenarios"], scenarios, strict=True):
            assert [s["text"] for s in mine["steps"]] == [s["text"] for s in theirs["steps"]]
            assert [len(e["rows"]) for e in mine["examples"]] == [len(e.get("tableBody", [])) for e in theirs["examples"]]


def test_reader_handles_docstrings_and_rules() -> None:
    text = ('# language: vi\nTính năng: F\n  Quy tắc: R\n  Kịch bản: S\n    Cho một văn bản:\n      """\n'
            '      dòng 1\n      | không phải bảng |\n      """\n    Thì xong\n')
    feature = parse_feature(text, "f.feature")
    assert feature is not None
    [scenario] = feature.scenarios
    assert scenario.steps[0].docstring == "dòng 1\n| không phải bảng |" and scenario.steps[0].table is None
    assert [s.keyword for s in scenario.steps] == ["Cho", "Thì"]
    assert parse_feature("# chỉ có chú thích\n", "x.feature") is None

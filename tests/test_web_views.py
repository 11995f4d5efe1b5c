"""What the web page shows, computed without a browser: SQL and prompt highlighting, spec diffs,
the step timeline, the overview figures, the violating-rows query, the login and CSRF helpers."""

from __future__ import annotations

import json

from datamorph.web import views
from datamorph.web.auth import safe_next
from datamorph.web.data import _rows_query


def test_highlight_sql_marks_tokens_and_escapes_everything() -> None:
    html = str(views.highlight_sql("SELECT \"a<b>\" , 'x</code>' , sum(n) FROM t -- <script>\nWHERE n > 10"))
    assert '<span class="sql-kw">SELECT</span>' in html and '<span class="sql-kw">WHERE</span>' in html
    assert '<span class="sql-fn">sum</span>' in html and '<span class="sql-number">10</span>' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<span class="sql-string">&#x27;x&lt;/code&gt;&#x27;</span>' in html
    assert '<span class="sql-ident">&quot;a&lt;b&gt;&quot;</span>' in html
    assert "</code>" not in html and "<b>" not in html


def test_prompt_marks_follow_each_elements_provenance_without_overlaps() -> None:
    prompt = "Join customers and orders, total amount per customer, with total > 1000"
    spec = {"source_tables": [{"table_name": "customers", "provenance": "customers"},
                              {"table_name": "orders", "provenance": "orders"}],
            "aggregations": [{"function": "sum", "column": "amount", "alias": "total", "provenance": "total amount"}],
            "having": [{"column": "total", "operator": ">", "value": 1000, "provenance": "with total > 1000"}],
            "filters": [{"column": "x", "operator": "=", "value": 1, "provenance": "words not in the prompt"}]}  # fmt: skip
    marks = views.provenance_marks(prompt, spec)
    assert [prompt[m.start:m.end] for m in marks] == ["customers", "orders", "total amount", "with total > 1000"]
    assert [m.element for m in marks] == ["source: customers", "source: orders", "aggregation: sum(amount)",
                                          "having: total > 1000"]  # fmt: skip
    html = str(views.highlight_prompt("a <b> customers", {"source_tables": [{"table_name": "c", "provenance": "customers"}]}))
    assert html.startswith("a &lt;b&gt; <mark") and "customers<small>source: c</small></mark>" in html


def test_spec_diff_shows_the_changed_lines() -> None:
    before = json.dumps({"filters": [{"column": "satus", "value": "x"}]})
    after = json.dumps({"filters": [{"column": "status", "value": "x"}]})
    diff = views.spec_diff(before, after, "spec.json", "spec.v2.json")
    assert ("del", '-      "column": "satus",') in diff and ("add", '+      "column": "status",') in diff
    assert diff[0] == ("hunk", "--- spec.json") and diff[1] == ("hunk", "+++ spec.v2.json")
    assert views.spec_diff(before, before, "a", "b") == []


def test_artifact_versions() -> None:
    names = ["spec.v3.json", "spec.json", "pipeline.v2.sql", "spec.v2.json", "validation.json", "spec.vx.json"]
    assert views.versions(names, "spec") == [(1, "spec.json"), (2, "spec.v2.json"), (3, "spec.v3.json")]
    assert views.versions(names, "pipeline", "sql") == [(2, "pipeline.v2.sql")]


def test_timeline_places_each_step_on_the_runs_span() -> None:
    steps = [
        {"step": "plan", "attempt": 1, "status": "ok", "started_at": "2026-01-01T00:00:00.000Z",
         "ended_at": "2026-01-01T00:00:01.000Z", "duration_ms": 1000},
        {"step": "validate", "attempt": 1, "status": "failed", "started_at": "2026-01-01T00:00:01.000Z",
         "ended_at": "2026-01-01T00:00:04.000Z", "duration_ms": 3000},
    ]  # fmt: skip
    bars = views.timeline(steps)
    assert [(b["name"], b["left"], b["width"], b["status"]) for b in bars] == [("plan", 0.0, 25.0, "ok"),
                                                                              ("validate", 25.0, 75.0, "failed")]  # fmt: skip
    assert views.timeline([]) == []
    assert [views.duration_text(x) for x in (None, 12.4, 1500, 90_000)] == ["…", "12 ms", "1.50 s", "1.5 min"]


def test_overview_rates_and_medians() -> None:
    def run(i: int, status: str, remediations: int = 0) -> dict:
        return {"run_id": f"r{i}", "status": status, "created_at": f"2026-01-0{1 + i % 2}T10:00:00Z",
                "result": {"body": {"remediation_iterations": remediations}}}  # fmt: skip

    runs = [run(0, "completed"), run(1, "completed", 2), run(2, "failed", 1), run(3, "running")]
    steps = {"r0": [{"step": "plan", "status": "ok", "duration_ms": 10}, {"step": "stage", "status": "ok", "duration_ms": 5}],
             "r1": [{"step": "plan", "status": "ok", "duration_ms": 30}, {"step": "stage", "status": "failed", "duration_ms": 99}],
             "r2": [{"step": "plan", "status": "ok", "duration_ms": 20}]}  # fmt: skip
    o = views.overview(runs, steps)
    assert o["ended"] == 3 and round(o["success_rate"], 1) == 66.7 and round(o["remediation_rate"], 1) == 66.7
    assert o["medians"] == [("plan", 20.0, 3), ("stage", 5.0, 1)]
    assert o["per_day"] == [("2026-01-01", {"completed": 1, "failed": 1}), ("2026-01-02", {"completed": 1, "running": 1})]
    svg = str(views.stacked_day_chart(o["per_day"]))
    assert svg.count('class="bar completed"') == 2 and svg.count('class="bar failed"') == 1
    assert views.overview([], {})["success_rate"] is None


def test_violating_rows_query_runs_the_runs_sql_in_place_of_the_staging_table() -> None:
    count = ('SELECT COUNT(*) FROM "datamorph_staging"."t__20260101_000000_abcdef" AS "_dm_s" '
             'WHERE "_dm_s"."k" IS NULL')  # fmt: skip
    sql = _rows_query(count, "duckdb", "-- header\nSELECT k, n FROM src;")
    assert sql is not None
    assert sql.startswith("SELECT * FROM (SELECT k, n FROM src) AS \"_dm_s\"") and sql.endswith("LIMIT 5")
    assert _rows_query(count, "duckdb", None) is None
    assert _rows_query("SELECT SUM(x) FROM datamorph_staging.t", "duckdb", "SELECT 1") is None


def test_login_redirects_stay_on_this_site() -> None:
    assert safe_next("/ui/tables?x=1") == "/ui/tables?x=1"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", None, ""):
        assert safe_next(bad) == "/"

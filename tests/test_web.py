"""The web page in a real browser: headless Chromium against `datamorph serve` on 127.0.0.1.

Every test logs in with the server's token, works the page as a user does, fails on any browser
console error, and saves a screenshot of its page under tests/artifacts/web/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api_support import ApiServer, start_api
from tests.web_support import TOKEN, WAIT_MS, WebPage, start_browser

pytestmark = pytest.mark.xdist_group("browser")

DEMO_PROMPT = ("Join customers and orders on customer_id, calculate total order amount per customer, "
               "filter customers with total > 1000")  # fmt: skip
TARGET = "customer_totals"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from datamorph.demo.warehouse import build_demo_warehouse

    path = tmp_path_factory.mktemp("web") / "demo.duckdb"
    build_demo_warehouse(path, scale=0.1)
    return path


@pytest.fixture(scope="module")
def server(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_api(demo_warehouse, tmp_path_factory.mktemp("web-home"), env={"DATAMORPH_API_TOKEN": TOKEN})
    yield srv
    assert srv.stop() == 0, srv.log()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pw, b = start_browser()
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def web(browser: Any, server: ApiServer, request: pytest.FixtureRequest) -> Iterator[WebPage]:
    """A logged-in page; after the test, its screenshot is saved and console errors fail the test."""
    wp = WebPage.open(browser, server.url)
    wp.login()
    yield wp
    shot = wp.screenshot(request.node.name)
    errors = wp.unexpected_errors()
    wp.close()
    assert shot.stat().st_size > 0
    assert not errors, errors


def wait_ended(status: Any) -> None:
    """Wait until the run's status (updated live by the page) says it has ended."""
    from playwright.sync_api import expect

    expect(status).to_have_text(re.compile(r"^(completed|failed|abandoned)$"), timeout=WAIT_MS)


def _api(server: ApiServer) -> Any:
    return server.client(token=TOKEN)


def _completed_run(server: ApiServer) -> dict[str, Any]:
    """A completed run of the demo request (started through the API when the page tests made none)."""
    with _api(server) as c:
        runs = c.get("/api/runs", params={"status": "completed", "target": TARGET}).json()["runs"]
        if runs:
            return c.get(f"/api/runs/{runs[0]['run_id']}").json()  # type: ignore[no-any-return]
        from tests.api_support import wait_run

        run_id = c.post("/api/runs", json={"prompt": DEMO_PROMPT, "target_table": TARGET}).json()["run_id"]
        run = wait_run(c, run_id)
        assert run["status"] == "completed", run
        return run


# -- ask, plan, run, watch -------------------------------------------------------------------------


def test_plan_then_run_the_demo_request(web: WebPage, server: ApiServer) -> None:
    page = web.page
    page.get_by_label("Your request").fill(DEMO_PROMPT)
    web.testid("target").fill(TARGET)
    web.testid("plan").click()
    restatement = web.testid("restatement")
    restatement.wait_for()
    text = restatement.inner_text()
    assert "customers joined to orders" in text and "above 1,000" in text, text
    assert "SUM(" in web.testid("sql").inner_text()
    assert page.locator("pre.sql .sql-kw").count() > 3  # the SQL is highlighted
    marks = page.locator("[data-testid=prompt-marks] mark")
    assert marks.count() >= 3 and "with total > 1000" in marks.all_inner_texts()[-1]
    # the form keeps what was asked; Run starts it and opens the run's page
    assert web.testid("prompt").input_value() == DEMO_PROMPT
    web.testid("run").click()
    page.wait_for_url(re.compile(r"/ui/runs/\d{8}_\d{6}_[0-9a-f]{6}$"))
    status = web.testid("run-status")
    wait_ended(status)
    assert status.inner_text() == "completed"
    assert web.testid("validation-status").inner_text() == "pass"
    run_id = page.url.rsplit("/", 1)[1]
    with _api(server) as c:
        rows = c.get(f"/api/tables/{TARGET}").json()["rows"]
        run = c.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "completed" and run["target_table"] == TARGET
    assert web.testid("row-count").inner_text() == str(rows) and rows > 0
    steps = page.locator("[data-testid=timeline] .step")
    assert steps.count() == len(run["steps"]) >= 6
    # the preview of the published rows arrives once the run has ended
    web.testid("preview").wait_for()
    assert page.locator("[data-testid=preview] tbody tr").count() == min(rows, 20)


def test_run_page_timeline_tests_preview_and_artifacts(web: WebPage, server: ApiServer) -> None:
    from playwright.sync_api import expect

    run = _completed_run(server)
    page = web.page
    page.goto(f"/ui/runs/{run['run_id']}")
    assert web.testid("run-status").inner_text() == "completed"
    bars = page.locator("[data-testid=timeline] .step")
    names = [n.strip() for n in page.locator("[data-testid=timeline] .step-name").all_inner_texts()]
    assert names == [s["step"] for s in run["steps"]]
    assert ["plan", "read_sources", "compile", "stage", "validate", "publish"] == [n for n in names if n != "remediate"]
    for i in range(bars.count()):
        assert re.fullmatch(r"\d+ ms|\d+\.\d\d s|\d+\.\d min", bars.nth(i).locator(".step-time").inner_text())
        assert float(bars.nth(i).locator(".bar").evaluate("e => e.getBoundingClientRect().width")) > 0
    # the test table has one row per test of the report, with its status
    with _api(server) as c:
        report = json.loads(c.get(f"/api/runs/{run['run_id']}/artifacts/validation.json").text)
    rows = page.locator("[data-testid=tests] tbody > tr")
    assert rows.count() == len(report["tests"]) > 3
    ids = page.locator("[data-testid=tests] .test-id").all_inner_texts()
    assert ids == [t["test_id"] for t in report["tests"]]
    statuses = page.locator("[data-testid=tests] tbody > tr > td:nth-child(4)").all_inner_texts()
    assert statuses == [t["status"] for t in report["tests"]]
    assert "differential_polars_matches_sql" in ids and "model" in rows.nth(ids.index("differential_polars_matches_sql")).inner_text()
    # sort the preview by total_amount, descending: the first row holds the largest total
    web.testid("preview").wait_for()
    page.locator("[data-testid=preview] th a", has_text="total_amount").click()
    page.wait_for_selector("[data-testid=preview] th[aria-sort=ascending]")
    page.locator("[data-testid=preview] th a", has_text="total_amount").click()
    page.wait_for_selector("[data-testid=preview] th[aria-sort=descending]")
    shown = [float(x) for x in page.locator("[data-testid=preview] tbody td:nth-child(2)").all_inner_texts()]
    assert shown == sorted(shown, reverse=True) and len(shown) > 1
    with _api(server) as c:
        top = c.post("/execute/query", json={"query": f"SELECT max(total_amount) AS m FROM {TARGET}"}).json()
    assert shown[0] == pytest.approx(float(top["data"][0]["m"]))
    # the next page goes on in the same order
    rows_total = int(web.testid("row-count").inner_text())
    if rows_total > len(shown):
        page.locator("#preview nav.pager a", has_text="Next").click()
        expect(page.locator("#preview nav.pager span")).to_have_text(re.compile(r"^page 2 of \d+$"))
        more = [float(x) for x in page.locator("[data-testid=preview] tbody td:nth-child(2)").all_inner_texts()]
        assert more and max(more) <= min(shown) and more == sorted(more, reverse=True)
    # artifacts download with the run's content
    links = page.locator("[data-testid=artifacts] a")
    assert "spec.json" in links.all_inner_texts()
    with page.expect_download() as dl:
        page.locator("[data-testid=artifacts] a", has_text="spec.json").click()
    saved = Path(dl.value.path())
    assert json.loads(saved.read_text())["target_table"]["name"] == TARGET


def test_an_unplannable_request_shows_a_clear_error(web: WebPage) -> None:
    page = web.page
    web.testid("prompt").fill("Join customers and qwertyzz on customer_id")
    web.testid("plan").click()
    error = web.testid("error")
    error.wait_for()
    assert "qwertyzz" in error.inner_text()
    assert web.testid("restatement").count() == 0
    assert web.testid("prompt").input_value() == "Join customers and qwertyzz on customer_id"  # kept, to fix it
    # a request refused before it runs (a target that is a source table) is an error too
    web.testid("prompt").fill(DEMO_PROMPT)
    web.testid("target").fill("orders")
    web.testid("run").click()
    page.wait_for_url(re.compile(r"/ui/runs/\d{8}_\d{6}_[0-9a-f]{6}$"))
    wait_ended(web.testid("run-status"))
    assert web.testid("run-status").inner_text() == "failed"
    error = web.testid("error").inner_text()
    assert "orders" in error and "TargetConflict" in error, error
    assert web.testid("row-count").count() == 0


def test_an_ambiguous_request_offers_its_readings(web: WebPage) -> None:
    page = web.page
    web.testid("prompt").fill("average amount above 100 per customer")
    web.testid("plan").click()
    web.testid("reading-2").wait_for()
    readings = page.locator("ol.readings > li")
    assert readings.count() == 2
    assert "average" in readings.nth(0).inner_text() and "each row" in readings.nth(1).inner_text()
    web.testid("reading-2").click()
    text = web.testid("restatement").inner_text()
    assert "amount is above 100" in text or "above 100" in text, text
    assert "per customer" in text or "customer_id" in text, text
    spec = json.loads(web.testid("spec").text_content() or "")
    assert spec["filters"] and not spec.get("having"), spec  # the row condition, not the condition on the average
    web.testid("run").click()
    wait_ended(web.testid("run-status"))
    assert web.testid("run-status").inner_text() == "completed"
    assert web.testid("validation-status").inner_text() == "pass"


# -- browse, overview ---------------------------------------------------------------------------------


def test_tables_page_and_the_lineage_of_the_demo_target(web: WebPage, server: ApiServer) -> None:
    run = _completed_run(server)
    page = web.page
    page.get_by_role("link", name="Tables").click()
    table = web.testid("tables")
    table.wait_for()
    with _api(server) as c:
        listed = {t["name"]: t["rows"] for t in c.get("/api/tables").json()["tables"]}
    for name in ("customers", "orders", TARGET):
        row = table.locator("tr", has=page.get_by_role("link", name=name, exact=True))
        assert row.locator("td").nth(2).inner_text().replace(",", "") == str(listed[name])
    assert "yes" in table.locator("tr", has=page.get_by_role("link", name=TARGET, exact=True)).inner_text()
    page.get_by_role("link", name=TARGET, exact=True).click()
    web.testid("lineage").wait_for()
    assert sorted(web.testid("source").all_inner_texts()) == ["customers", "orders"]
    assert run["run_id"] in web.testid("runs").inner_text()
    assert web.testid("publisher").inner_text() == run["run_id"]  # the run whose rows the table holds
    assert web.testid("table-rows").inner_text().replace(",", "") == str(listed[TARGET])
    assert [c.strip() for c in web.testid("schema").locator("tbody td:first-child").all_inner_texts()] == \
        ["customer_id", "total_amount"]
    assert web.testid("sample").locator("tbody tr").count() == min(10, listed[TARGET])
    # a source's link leads to its own page with its keys
    web.testid("source").filter(has_text="orders").click()
    assert "customer_id → customers(customer_id)" in page.locator("dl.facts").inner_text()


def test_unknown_table_and_unknown_run_are_clear_errors(web: WebPage) -> None:
    page = web.page
    resp = page.goto("/ui/tables/custmers")
    assert resp is not None and resp.headers["x-datamorph-status"] == "404"
    assert "custmers" in web.testid("error").inner_text() and "customers" in web.testid("error").inner_text()
    resp = page.goto("/ui/runs/20250101_000000_abcdef")
    assert resp is not None and resp.headers["x-datamorph-status"] == "404"
    assert "20250101_000000_abcdef" in web.testid("error").inner_text()
    page.goto("/ui")
    assert page.url == web.base + "/"
    resp = page.goto("/ui/no-such-page")
    assert resp is not None and resp.headers["x-datamorph-status"] == "404" and web.testid("error").count() == 1


def test_runs_list_and_overview(web: WebPage, server: ApiServer) -> None:
    run = _completed_run(server)
    page = web.page
    page.get_by_role("link", name="Runs").click()
    runs = web.testid("runs")
    with _api(server) as c:
        total = c.get("/api/runs").json()["total"]
    assert runs.locator("tbody tr").count() == min(total, 25)
    assert run["run_id"] in runs.inner_text()
    page.get_by_role("link", name="Overview").click()
    with _api(server) as c:
        every = c.get("/api/runs", params={"limit": 500}).json()["runs"]
    ended = [r for r in every if r["status"] != "running"]
    done = [r for r in ended if r["status"] == "completed"]
    assert web.testid("success-rate").inner_text() == f"{100 * len(done) / len(ended):.0f}%"
    bars = page.locator("[data-testid=runs-chart] rect.bar")
    assert bars.count() >= 1
    assert page.locator("[data-testid=steps-chart] rect.bar").count() >= 6


# -- login, usability ---------------------------------------------------------------------------------


def test_token_login(browser: Any, server: ApiServer, request: pytest.FixtureRequest) -> None:
    wp = WebPage.open(browser, server.url)
    page = wp.page
    try:
        resp = page.goto("/ui/tables")
        assert resp is not None and page.url == server.url + "/ui/login?next=/ui/tables"
        page.get_by_label("API token").fill("not-the-token")
        page.get_by_test_id("login").click()
        assert "wrong token" in wp.testid("error").inner_text()
        assert not [c for c in page.context.cookies() if c["name"] == "datamorph_token"]
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_test_id("login").click()
        page.wait_for_url(server.url + "/ui/tables")  # back where the login started
        cookie = next(c for c in page.context.cookies() if c["name"] == "datamorph_token")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert "datamorph_token" not in page.evaluate("document.cookie")  # scripts cannot read it
        # the API itself still wants the bearer token; the cookie is for the page only
        assert page.request.get("/api/tables").status == 401
        with _api(server) as c:
            before = c.get("/api/runs").json()["total"]
        # a form post without the CSRF token is refused, even with the login cookie
        refused = page.request.post("/ui/runs", form={"prompt": DEMO_PROMPT})
        assert refused.headers["x-datamorph-status"] == "403" and "security token" in refused.text()
        # with the right CSRF token, but sent from another site: refused too
        page.goto("/")
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        assert csrf
        foreign = page.request.post("/ui/runs", form={"prompt": DEMO_PROMPT, "csrf_token": csrf},
                                    headers={"Origin": "http://evil.example"})  # fmt: skip
        assert foreign.headers["x-datamorph-status"] == "403" and "another site" in foreign.text()
        # logging out forgets the token
        page.goto("/")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(server.url + "/ui/login")
        assert page.goto("/ui/runs") is not None and page.url.startswith(server.url + "/ui/login")
        with _api(server) as c:
            assert c.get("/api/runs").json()["total"] == before  # the refused posts started nothing
    finally:
        shot = wp.screenshot(request.node.name)
        errors = wp.unexpected_errors()
        wp.close()
    assert shot.stat().st_size > 0 and not errors, errors


def test_keyboard_only_plan(web: WebPage) -> None:
    page = web.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    web.testid("prompt").focus()
    page.keyboard.type(DEMO_PROMPT)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sources"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "target"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "plan"
    page.keyboard.press("Enter")
    web.testid("restatement").wait_for()
    # every form field on the page has a label
    unlabelled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
        .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)""")
    assert unlabelled == []


@pytest.mark.parametrize("width", [390, 1280])
def test_readable_at_phone_and_laptop_widths(browser: Any, server: ApiServer, width: int,
                                             request: pytest.FixtureRequest) -> None:  # fmt: skip
    run = _completed_run(server)
    wp = WebPage.open(browser, server.url, width=width, height=800)
    try:
        wp.login()
        for path in ("/", f"/ui/runs/{run['run_id']}", "/ui/tables", "/ui/overview"):
            wp.page.goto(path)
            overflow = wp.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)  # wide tables scroll inside their box, not the page
        wp.page.goto(f"/ui/runs/{run['run_id']}")
        wp.testid("preview").wait_for()
    finally:
        shot = wp.screenshot(request.node.name)
        errors = wp.unexpected_errors()
        wp.close()
    assert shot.stat().st_size > 0 and not errors, errors


def test_server_down_is_said_on_the_page(browser: Any, demo_warehouse: Path, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:  # fmt: skip
    import shutil

    copy = tmp_path / "down.duckdb"
    shutil.copy(demo_warehouse, copy)
    srv = start_api(copy, tmp_path / "home", env={"DATAMORPH_API_TOKEN": TOKEN})
    wp = WebPage.open(browser, srv.url)
    try:
        wp.login()
        wp.testid("prompt").fill(DEMO_PROMPT)
        assert srv.stop() == 0
        wp.allow_errors(r"ERR_CONNECTION_REFUSED|Failed to fetch")
        wp.testid("plan").click()
        banner = wp.page.locator("#offline")
        banner.wait_for(state="visible")
        assert "not answering" in banner.inner_text()
        assert wp.testid("prompt").input_value() == DEMO_PROMPT  # what was typed is kept
    finally:
        shot = wp.screenshot(request.node.name)
        errors = wp.unexpected_errors()
        wp.close()
        srv.stop()
    assert shot.stat().st_size > 0 and not errors, errors


def test_rollback_from_the_run_page(web: WebPage, server: ApiServer) -> None:
    page = web.page
    target = "rollback_demo"
    with _api(server) as c:
        from tests.api_support import wait_run

        runs = []
        for limit in (1000, 2000):
            prompt = DEMO_PROMPT.replace("1000", str(limit))
            runs.append(wait_run(c, c.post("/api/runs", json={"prompt": prompt, "target_table": target}).json()["run_id"]))
        assert [r["status"] for r in runs] == ["completed", "completed"], runs
        first_rows, second_rows = (r["result"]["body"]["rows"] for r in runs)
        assert first_rows > second_rows
    page.goto(f"/ui/runs/{runs[1]['run_id']}")
    assert web.testid("row-count").inner_text() == str(second_rows)
    page.once("dialog", lambda d: d.accept())  # "Restore the previous version of rollback_demo?"
    web.testid("rollback").click()
    page.wait_for_url(re.compile(r"notice="))
    assert "rollback_demo rolled back to its previous version" in page.locator(".banner.ok").inner_text()
    with _api(server) as c:
        assert c.get(f"/api/tables/{target}").json()["rows"] == first_rows
    # the preview shows the table as it is now, and says whose rows it holds
    web.testid("preview").wait_for()
    assert "rolled back since" in page.locator("#preview").inner_text()
    page.goto(f"/ui/tables/{target}")
    assert web.testid("table-rows").inner_text().replace(",", "") == str(first_rows)
    assert "restored from" in web.testid("restored").inner_text()  # lineage says the rollback
    assert web.testid("publisher").count() == 0
    assert sorted(web.testid("source").all_inner_texts()) == ["customers", "orders"]


def test_failed_tests_violating_rows_remediation_diff_and_resume(browser: Any, demo_warehouse: Path, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Runs of specs (through the API) that fail a test, and that are repaired, shown on their pages."""
    import shutil

    from tests.api_support import wait_run

    copy = tmp_path / "rem.duckdb"
    shutil.copy(demo_warehouse, copy)
    srv = start_api(copy, tmp_path / "home", env={"DATAMORPH_API_TOKEN": TOKEN, "DATAMORPH_MAX_REMEDIATION_ITERATIONS": "1"})
    # grouping by the right side of a left join: customers without orders make a NULL group key
    null_key = {"source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
                "target_table": "orders_per_customer",
                "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "left", "on_columns": ["customer_id"]}],
                "aggregations": [{"function": "count", "column": "o.order_id", "alias": "n_orders", "group_by": ["o.customer_id"]}]}  # fmt: skip
    misspelled = {"source_tables": ["orders"], "target_table": "completed_orders", "columns": ["order_id", "amount"],
                  "filters": [{"column": "satus", "operator": "=", "value": "completed"}]}  # fmt: skip
    wp = WebPage.open(browser, srv.url)
    try:
        with srv.client(token=TOKEN) as c:
            failed = wait_run(c, c.post("/api/runs", json={"spec": null_key}).json()["run_id"])
            repaired = wait_run(c, c.post("/api/runs", json={"spec": misspelled}).json()["run_id"])
            null_groups = c.post("/execute/query", json={"query": "SELECT count(*) AS n FROM customers c WHERE NOT EXISTS "
                                 "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)"}).json()["data"][0]["n"]  # fmt: skip
        assert failed["status"] == "failed" and repaired["status"] == "completed"
        assert null_groups > 0
        wp.login()
        page = wp.page
        page.goto(f"/ui/runs/{failed['run_id']}")
        assert wp.testid("run-status").inner_text() == "failed"
        assert wp.testid("validation-status").inner_text() == "fail"
        assert "data_quality_group_key_not_null_customer_id" in wp.testid("error").inner_text()
        row = wp.testid("tests").locator("tbody > tr", has_text="data_quality_group_key_not_null_customer_id")
        assert row.locator("td").nth(3).inner_text() == "fail" and row.locator("td").nth(4).inner_text() == "1"
        listed = row.locator("table.mini tbody tr")
        assert listed.count() == 1 and listed.locator("td").first.inner_text() == "NULL"
        assert int(listed.locator("td").nth(1).inner_text()) == 0  # the NULL group counts no order
        # Resume: the run continues under the same id (and fails the same way: the spec is unchanged)
        before = len(page.locator("#log li").all())
        wp.testid("resume").click()
        page.wait_for_url(re.compile(r"notice="))
        wait_ended(wp.testid("run-status"))
        assert wp.testid("run-status").inner_text() == "failed"
        with srv.client(token=TOKEN) as c:
            logs = c.get(f"/get/logs/{failed['run_id']}").json()
        assert logs["log_count"] > before and any("resum" in (e["title"] + e["description"]).lower() for e in logs["logs"])
        # the repaired run: its remediation iteration and the diff of the spec
        page.goto(f"/ui/runs/{repaired['run_id']}")
        assert wp.testid("validation-status").inner_text() == "pass"
        diff = wp.testid("spec-diff").inner_text()
        assert '-      "column": "satus",' in diff and '+      "column": "status",' in diff
        assert "unknown_column" in wp.testid("remediation").inner_text()
    finally:
        shot = wp.screenshot(request.node.name)
        errors = wp.unexpected_errors()
        wp.close()
        code = srv.stop()
    assert shot.stat().st_size > 0 and not errors, errors
    assert code == 0, srv.log()


def test_watch_a_run_live(browser: Any, demo_warehouse: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A run held at the start of its validate step (the test hook) is watched as it goes: the page,
    loaded while the run is running, updates itself from the event stream until the run ends."""
    import shutil

    copy = tmp_path / "live.duckdb"
    shutil.copy(demo_warehouse, copy)
    srv = start_api(copy, tmp_path / "home", env={"DATAMORPH_API_TOKEN": TOKEN, "DATAMORPH_TEST_PAUSE_AT": "validate:start",
                                                  "DATAMORPH_TEST_PAUSE_FILE": str(tmp_path / "paused.json"),
                                                  "DATAMORPH_TEST_PAUSE_SECONDS": "4"})  # fmt: skip
    wp = WebPage.open(browser, srv.url)
    try:
        from playwright.sync_api import expect

        wp.login()
        page = wp.page
        wp.testid("prompt").fill(DEMO_PROMPT)
        wp.testid("run").click()
        page.wait_for_url(re.compile(r"/ui/runs/\d{8}_\d{6}_[0-9a-f]{6}$"))
        page.evaluate("window.__notReloaded = true")
        validate = page.locator("[data-testid=timeline] .step[data-step=validate]")
        expect(validate).to_have_class(re.compile(r"\bst-running\b"), timeout=WAIT_MS)  # held there
        assert wp.testid("run-status").inner_text() == "running"
        assert (tmp_path / "paused.json").exists()
        assert page.locator("[data-testid=timeline] .step.st-ok").count() == 4  # plan … stage done
        assert "Test the staged result" in page.locator("#log").inner_text()  # the log arrived live
        wait_ended(wp.testid("run-status"))
        assert wp.testid("run-status").inner_text() == "completed"
        assert page.evaluate("window.__notReloaded === true")  # updated in place, not by reloading
        expect(validate).to_have_class(re.compile(r"\bst-ok\b"))
        assert wp.testid("validation-status").inner_text() == "pass"
        assert int(wp.testid("row-count").inner_text()) > 0
        assert wp.testid("tests").locator("tbody > tr").count() > 3
    finally:
        shot = wp.screenshot(request.node.name)
        errors = wp.unexpected_errors()
        wp.close()
        code = srv.stop()
    assert shot.stat().st_size > 0 and not errors, errors
    assert code == 0, srv.log()


def test_plan_lists_the_words_set_aside(web: WebPage) -> None:
    web.testid("prompt").fill(DEMO_PROMPT + ", for the board deck")
    web.testid("plan").click()
    web.testid("restatement").wait_for()
    assert web.testid("ignored-words").inner_text() == "board, deck"
    marked = web.page.locator("[data-testid=prompt-marks] mark").all_inner_texts()
    assert not any("board" in m or "deck" in m for m in marked)

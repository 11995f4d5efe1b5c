"""Your own data in two commands: `datamorph load` / `register` create the warehouse, CSV files whose
header or delimiter is broken are refused with the reason (or read with an explicit option) on DuckDB
and PostgreSQL, and registered tables work through a real `datamorph serve`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api_support import start_api, wait_run
from tests.helpers import result_json, run_cli

from datamorph.engines import Engine, connect
from datamorph.errors import DataMorphError


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


COMPANIES = "company,industry,revenue\nAcme,tech,100\nBeta,retail,50\nGamma,tech,70\n"
DEALS = "deal_id,company,amount\n1,Acme,10\n2,Beta,20\n3,Acme,30\n"


# -- a warehouse from nothing ------------------------------------------------------------


def test_load_creates_the_warehouse_and_run_uses_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "my_csvs", {"companies.csv": COMPANIES, "deals.csv": DEALS})
    warehouse = tmp_path / "mine.duckdb"
    home = tmp_path / "home"
    proc = run_cli("load", str(folder), "--warehouse", str(warehouse), home=home)
    assert proc.returncode == 0, proc.stderr
    assert f"created warehouse {warehouse}" in proc.stdout
    assert "companies: 3 columns, 3 rows" in proc.stdout and "deals: 3 columns, 3 rows" in proc.stdout

    again = run_cli("load", str(folder / "deals.csv"), "-w", str(warehouse), "--table", "deals2", "--json", home=home)
    assert result_json(again) == {"tables": [{"table": "deals2", "rows": 3, "columns": 3}]}  # not created twice

    run = run_cli("run", "total revenue per industry from companies", "-w", str(warehouse), "--target",
                  "industry_revenue", "--json", home=home)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert result_json(run)["body"]["status"] == "completed"
    with connect(str(warehouse), read_only=True) as eng:
        assert sorted(eng.fetch("SELECT * FROM industry_revenue").rows) == [("retail", 50), ("tech", 170)]


def test_load_json_and_register_say_they_created_the_warehouse(tmp_path: Path) -> None:
    csv = _folder(tmp_path / "in", {"companies.csv": COMPANIES}) / "companies.csv"
    proc = run_cli("load", str(csv), "-w", str(tmp_path / "a.duckdb"), "--json", home=tmp_path / "h")
    assert result_json(proc) == {"tables": [{"table": "companies", "rows": 3, "columns": 3}],
                                 "created_warehouse": str(tmp_path / "a.duckdb")}  # fmt: skip
    reg = run_cli("register", "firms", str(csv), "-w", str(tmp_path / "b.duckdb"), home=tmp_path / "h")
    assert reg.returncode == 0, reg.stderr
    assert f"created warehouse {tmp_path / 'b.duckdb'}" in reg.stdout
    with connect(str(tmp_path / "b.duckdb"), read_only=True) as eng:
        assert eng.scalar("SELECT sum(revenue) FROM firms") == 220


def test_a_failed_first_load_leaves_no_warehouse(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "in", {"good.csv": COMPANIES, "ragged.csv": "a,b\n1,2\n3,4,5\n"})
    warehouse = tmp_path / "new.duckdb"
    proc = run_cli("load", str(folder), "-w", str(warehouse), home=tmp_path / "h")
    assert proc.returncode == 1 and "ragged.csv" in proc.stderr
    assert "created warehouse" not in proc.stdout
    assert not warehouse.exists() and not Path(f"{warehouse}.wal").exists()


def test_other_commands_on_a_missing_warehouse_point_at_load(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    for args in (("tables",), ("run", "total revenue per industry from companies")):
        proc = run_cli(*args, "-w", str(missing), home=tmp_path / "h")
        said = proc.stdout + proc.stderr  # `run` reports its failure as the run's result
        assert proc.returncode == 1
        assert "does not exist" in said and "datamorph load FILE_OR_FOLDER --warehouse PATH" in said
        assert "datamorph demo" not in said and "Traceback" not in said
        assert not missing.exists()


@pytest.mark.parametrize(
    ("label", "content", "needle"),
    [
        ("empty", b"", "is an empty file (0 bytes)"),
        ("text", b"company,industry\nAcme,tech\n", "is a text file starting 'company,industry'"),
        ("sqlite", b"SQLite format 3\x00" + b"\x00" * 200, "is a SQLite database"),
        ("binary", b"\x00\x01\x02garbage" * 40, "has no DuckDB header"),
    ],
)
def test_a_file_that_is_not_a_warehouse_is_refused_and_left_untouched(label: str, content: bytes, needle: str,
                                                                       tmp_path: Path) -> None:  # fmt: skip
    warehouse = tmp_path / f"{label}.duckdb"
    warehouse.write_bytes(content)
    before = _sha(warehouse)
    csv = _folder(tmp_path / "in", {"companies.csv": COMPANIES}) / "companies.csv"
    for args in (("load", str(csv)), ("register", "firms", str(csv)), ("tables",)):
        proc = run_cli(*args, "-w", str(warehouse), home=tmp_path / "h")
        assert proc.returncode == 1, proc.stdout
        line = proc.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        assert f"'{warehouse}' is not a DuckDB database: it {needle}" in line, line
        assert "datamorph demo" not in line and "--warehouse" in line
        assert _sha(warehouse) == before
        assert not Path(f"{warehouse}.wal").exists()


# -- malformed CSV files, on both engines ----------------------------------------------------


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "duckdb":
        eng = connect(str(tmp_path / "w.duckdb"), create=True)
    else:
        _server, _name, url = request.getfixturevalue("pg_database")
        eng = connect(url)
    try:
        yield eng
    finally:
        eng.close()


# (file name, content, words the refusal must contain, explicit options that read it right or None,
#  the columns and rows read with them)
MALFORMED: list[tuple[str, str, list[str], dict[str, Any] | None, list[str] | None, int]] = [
    ("ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n", ["one column named 'a,b'", "line 3 has 3 ','-separated fields",
                                              "header has 2"], None, None, 0),
    ("short_rows.csv", "a,b,c\n1,2\n3,4\n", ["one column named 'a,b,c'", "line 2 has 2"], None, None, 0),
    ("header_delim.csv", "a,b\n1;2\n3;4\n", ["first line of 'header_delim.csv' ('a,b')",
                                              "line 2 has 2 ';'-separated fields where the first line has 1",
                                              "would skip the first 1 line(s)"], None, None, 0),
    ("long_rows.csv", "a,b\n1,2,3\n4,5,6\n", ["first line of 'long_rows.csv'", "line 2 has 3 ','-separated"],
     None, None, 0),
    # DuckDB itself would read this as an EMPTY table with columns south, Bob, extra
    ("odd_row.csv", "region,manager\nnorth,Ann\nsouth,Bob,extra\n", ["line 3 has 3 ','-separated fields where "
                                                                     "the first line has 2"], None, None, 0),
    ("colon.csv", "a:b\n1:2\n3:4\n", ["one column named 'a:b'", "--delimiter ':'"], {"delimiter": ":"},
     ["a", "b"], 2),
    ("dup.csv", "id,name,Name\n1,x,y\n", ["names column 'Name' twice (columns 2 and 3)"], {"header": False},
     ["column0", "column1", "column2"], 2),
    ("blank_name.csv", "id,,v\n1,2,3\n", ["column 2 of the header of 'blank_name.csv' has no name"],
     {"header": False}, ["column0", "column1", "column2"], 2),
    ("quote.csv", '"id,v\n1,2\n3,4\n', ["unbalanced quote in '\"id'"], {"quote": ""}, ['"id', "v"], 2),
    ("latin.csv", "nom,ville\nZo\xe9,Paris\n", ["'latin.csv' is not UTF-8 text", "--encoding latin-1"],
     {"encoding": "latin-1"}, ["nom", "ville"], 1),
    ("zero.csv", "", ["'zero.csv' is empty (0 bytes)"], None, None, 0),
]


def _write_malformed(path: Path, content: str) -> Path:
    path.write_bytes(content.encode("latin-1"))
    return path


def _tables(eng: Engine) -> set[str]:
    return {t.lower() for t in eng.catalog(row_counts=False).tables}


@pytest.mark.parametrize(("name", "content", "needles", "fix", "columns", "rows"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])  # fmt: skip
def test_malformed_csv_is_refused_with_the_reason(engine: Engine, tmp_path: Path, name: str, content: str,
                                                  needles: list[str], fix: dict[str, Any] | None,
                                                  columns: list[str] | None, rows: int) -> None:  # fmt: skip
    from datamorph.engines.loader import load_path

    path = _write_malformed(tmp_path / name, content)
    table = name.split(".")[0]
    for attempt in ("load", "register"):
        with pytest.raises(DataMorphError) as err:
            if attempt == "load":
                load_path(engine, str(path))
            else:
                engine.register_file(table, str(path), persist=True)
        for needle in needles:
            assert needle in str(err.value), (attempt, str(err.value))
        assert err.value.hint and "\n" not in str(err.value)
        assert table not in _tables(engine)
    if fix is None:
        return
    from datamorph.engines.files import CsvOptions

    loaded = load_path(engine, str(path), options=CsvOptions.of(**fix))
    assert [(t.table, t.rows, [c for c, _ in t.columns]) for t in loaded] == [(table, rows, columns)]
    info = engine.register_file(f"{table}_reg", str(path), persist=True, options=CsvOptions.of(**fix))
    assert (info.row_count, info.column_names()) == (rows, columns)


def test_a_bad_line_past_the_sniffer_sample_is_refused_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    from datamorph.engines.loader import load_path

    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(40_000)) + "7,8,9\n1,2\n")
    with pytest.raises(DataMorphError) as err:
        load_path(engine, str(path))
    assert "line 40002 of 'big.csv' has 3 fields where the file has 2: '7,8,9'" in str(err.value)
    with pytest.raises(DataMorphError) as err:
        engine.register_file("big", str(path), persist=True)
    assert "line 40002" in str(err.value)
    assert "big" not in _tables(engine)


def test_one_bad_file_in_a_folder_stops_the_whole_load(engine: Engine, tmp_path: Path) -> None:
    from datamorph.engines.loader import load_path

    folder = _folder(tmp_path / "in", {"a_good.csv": COMPANIES, "b_bad.csv": "x,y,z\n1,2\n"})
    with pytest.raises(DataMorphError) as err:
        load_path(engine, str(folder))
    assert "b_bad.csv" in str(err.value)
    assert not {"a_good", "b_bad"} & _tables(engine)  # checked before the first table was written


def test_well_formed_files_still_load_as_detected(engine: Engine, tmp_path: Path) -> None:
    """The checks refuse nothing DuckDB reads right: other delimiters, no header, quoted commas, a BOM."""
    from datamorph.engines.loader import load_path

    folder = _folder(tmp_path / "in", {
        "semi.csv": "name;city\nBob, Jr;Paris\nAl;Rome\n",
        "tabs.tsv": "a\tb\n1\t2\n",
        "noheader.csv": "1,2\n3,4\n",
        "quoted.csv": 'id,"full, name"\n1,"Smith, J"\n',
        "bom.csv": "\ufeffid,v\n1,2\n",
        "one_col.csv": "note\nhello, world\nbye\n",
    })  # fmt: skip
    loaded = {t.table: (t.rows, [c for c, _ in t.columns]) for t in load_path(engine, str(folder))}
    assert loaded == {
        "bom": (1, ["id", "v"]),
        "noheader": (2, ["column0", "column1"]),
        "one_col": (2, ["note"]),
        "quoted": (1, ["id", "full, name"]),
        "semi": (2, ["name", "city"]),
        "tabs": (1, ["a", "b"]),
    }


def test_cli_options_reach_the_reader(tmp_path: Path) -> None:
    path = _write_malformed(tmp_path / "colon.csv", "a:b\n1:2\n")
    warehouse = tmp_path / "w.duckdb"
    bad = run_cli("load", str(path), "-w", str(warehouse), home=tmp_path / "h")
    assert bad.returncode == 1 and "--delimiter ':'" in bad.stderr and not warehouse.exists()
    good = run_cli("load", str(path), "-w", str(warehouse), "--delimiter", ":", "--no-header", "--json",
                   home=tmp_path / "h")  # fmt: skip
    assert result_json(good)["tables"] == [{"table": "colon", "rows": 2, "columns": 2}]
    wrong = run_cli("load", str(path), "-w", str(warehouse), "--encoding", "cp1252", home=tmp_path / "h")
    assert wrong.returncode == 1 and "unsupported --encoding 'cp1252'" in wrong.stderr


# -- registered tables through `datamorph serve` -------------------------------------------------


def test_registered_tables_work_through_serve(tmp_path: Path) -> None:
    import duckdb

    data = _folder(tmp_path / "data", {"companies.csv": COMPANIES})
    parts = _folder(tmp_path / "parts", {"p1.csv": DEALS, "p2.csv": "deal_id,company,amount\n4,Gamma,40\n"})
    secret = _folder(tmp_path / "private", {"secret.csv": "k,v\npassword,hunter2\n"}) / "secret.csv"
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()  # an existing warehouse: this test is about serving, not creating
    home = tmp_path / "home"
    for name, path in (("firms", data / "companies.csv"), ("deals", parts)):
        proc = run_cli("register", name, str(path), "-w", str(warehouse), home=home)
        assert proc.returncode == 0, proc.stderr

    srv = start_api(warehouse, home)
    try:
        with srv.client() as c:
            plan = c.post("/api/plan", json={"prompt": "total revenue per industry from firms"})
            assert plan.status_code == 200, plan.text
            assert plan.json()["spec"]["group_by"] == ["firms.industry"]
            start = c.post("/start", json={"prompt": "total revenue per industry from firms",
                                           "target_table": "industry_revenue"})  # fmt: skip
            assert start.status_code == 200, start.text
            run = wait_run(c, start.json()["run_id"])
            assert run["status"] == "completed", run
            got = c.post("/execute/query", json={"query": "SELECT * FROM industry_revenue ORDER BY industry"})
            assert got.json()["data"] == [{"industry": "retail", "total_revenue": 50},
                                          {"industry": "tech", "total_revenue": 170}]  # fmt: skip
            deals = c.post("/get/data", json={"table_names": ["deals"], "limit": 10})
            assert deals.status_code == 200, deals.text
            assert sorted(r["deal_id"] for r in deals.json()["data"]["deals"]) == [1, 2, 3, 4]
    finally:
        assert srv.stop() == 0, srv.log()
    assert "Traceback" not in srv.log()

    # the server's DuckDB may read exactly those files: not others, even without the query endpoint's checks
    with connect(str(warehouse), external_access=False) as eng:
        assert eng.scalar("SELECT count(*) FROM firms") == 3
        with pytest.raises(DataMorphError) as err:
            eng.fetch(f"SELECT * FROM read_csv('{secret}')")
        assert "disabled by configuration" in str(err.value)
        with pytest.raises(DataMorphError):
            eng.fetch(f"COPY (SELECT 1) TO '{data / 'out.csv'}'")
        assert not (data / "out.csv").exists()


def test_a_view_over_other_files_fails_through_serve_with_the_real_reason(tmp_path: Path) -> None:
    import duckdb

    data = _folder(tmp_path / "data", {"companies.csv": COMPANIES})
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))  # a view made by hand, not by `datamorph register`
    con.execute(f"CREATE VIEW firms AS SELECT * FROM read_csv('{data / 'companies.csv'}')")
    con.close()
    srv = start_api(warehouse, tmp_path / "home")
    try:
        with srv.client() as c:
            resp = c.post("/api/plan", json={"prompt": "total revenue per industry from firms"})
            assert resp.status_code == 400, resp.text
            message = resp.json()["message"]
            assert f"table 'firms' reads files ({data / 'companies.csv'}) and external file access is off" in message
            assert "datamorph register firms PATH" in message
    finally:
        assert srv.stop() == 0, srv.log()

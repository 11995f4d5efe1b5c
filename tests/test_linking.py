"""Schema linking: the lexicon, ValueIndex and SchemaLinker, on a hand-made catalog and on the demo warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.errors import CatalogError, PlanError
from datamorph.planner.lexicon import (
    NON_SCHEMA_WORDS,
    NUMBER_WORDS,
    OPERATOR_WORDS,
    STOPWORDS,
    SYNONYMS,
    normalize,
    parse_number,
    phrase_tokens,
    split_identifier,
    synonym_targets,
)
from datamorph.planner.linking import (
    ColumnMatch,
    JoinEdge,
    SchemaLinker,
    TableMatch,
    ValueIndex,
    ValueMatch,
)

NONSENSE = ["xyzzy", "blorf", "frobnicate", "zanzibarian", "qwertyuiop", "the", "a", "of"]


# -- lexicon -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("categories", "category"),
        ("statuses", "status"),
        ("addresses", "address"),
        ("employees", "employee"),
        ("Customers", "customer"),
        ("customer's", "customer"),
        ("customers'", "customer"),
        ("Orders,", "order"),
        ("boxes", "box"),
        ("batches", "batch"),
        ("houses", "house"),
        ("people", "person"),
        ("analyses", "analysis"),
        ("skus", "sku"),
        ("kpis", "kpi"),
        ("status", "status"),
        ("address", "address"),
        ("analysis", "analysis"),
        ("bus", "bus"),
        ("sales", "sales"),  # the department / revenue sense is kept
        ("cancelled", "canceled"),
        ("Colours", "color"),
        ("shoes", "shoe"),
        ("hoodies", "hoodie"),
        ("ids", "id"),
        ("2024", "2024"),
        ("", ""),
    ],
)
def test_normalize(word: str, expected: str) -> None:
    assert normalize(word) == expected


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("order_items", ["order", "items"]),
        ("customerId", ["customer", "id"]),
        ("CustomerID", ["customer", "id"]),
        ("HTTPStatusCode", ["http", "status", "code"]),
        ("signupDate", ["signup", "date"]),
        ("address2", ["address", "2"]),
        ("sales.orders", ["sales", "orders"]),
        ("Full-time", ["full", "time"]),
        ("", []),
    ],
)
def test_split_identifier(name: str, words: list[str]) -> None:
    assert split_identifier(name) == words


def test_phrase_tokens_normalize_every_word() -> None:
    assert phrase_tokens("the Customer's signupDate") == ("the", "customer", "signup", "date")
    assert phrase_tokens("Order Items") == ("order", "item")


@pytest.mark.parametrize(
    ("word", "target"),
    [
        ("clients", "customer"),
        ("client", "customer"),
        ("buyers", "customer"),
        ("shoppers", "customer"),
        ("staff", "employee"),
        ("workers", "employee"),
        ("people", "employee"),
        ("headcount", "employee"),
        ("purchases", "order"),
        ("sales", "order"),
        ("items", "orderitem"),
        ("lines", "orderitem"),
        ("order lines", "orderitem"),
        ("spend", "amount"),
        ("revenue", "amount"),
        ("sales", "amount"),
        ("value", "amount"),
        ("total", "amount"),
        ("price", "unitprice"),
        ("cost", "price"),
        ("hired", "hiredate"),
        ("hire", "hiredate"),
        ("joined", "hiredate"),
        ("joined", "signupdate"),
        ("signed up", "signupdate"),
        ("signed up", "createdat"),
        ("fired", "terminationdate"),
        ("terminated", "terminationdate"),
        ("left", "terminationdate"),
        ("pay", "salary"),
        ("wage", "salary"),
        ("compensation", "salary"),
        ("dept", "department"),
        ("qty", "quantity"),
        ("email address", "email"),
        ("phone number", "phone"),
        ("surname", "lastname"),
        ("name", "firstname"),
    ],
)
def test_synonyms(word: str, target: str) -> None:
    assert target in synonym_targets(word)


def test_synonyms_are_general_and_well_formed() -> None:
    assert len(SYNONYMS) > 150
    for key, targets in SYNONYMS.items():
        assert key == key.lower() and targets, key
        assert all(t == t.lower() and " " not in t for t in targets), key


def test_stopwords_never_hide_meaning() -> None:
    # the planner may ignore unused stopwords: nothing that changes a result may be one
    for w in ["not", "no", "without", "or", "total", "count", "average", "top", "first", "last", "each", "per",
              "more", "less", "than", "between", "after", "before", "only", "except", "distinct", "sorted"]:  # fmt: skip
        assert w not in STOPWORDS, w
        assert w in OPERATOR_WORDS, w
    for w in ["the", "a", "show", "me", "please", "of", "in", "with", "list", "rows", "records", "which"]:
        assert w in STOPWORDS, w
    assert NON_SCHEMA_WORDS == STOPWORDS | OPERATOR_WORDS
    for w in ["customer", "order", "name", "date", "id", "sales", "status", "price", "amount", "hired"]:
        assert w not in NON_SCHEMA_WORDS, w


def test_number_words_and_parse_number() -> None:
    assert NUMBER_WORDS["one"] == 1 and NUMBER_WORDS["twenty"] == 20 and NUMBER_WORDS["dozen"] == 12
    assert NUMBER_WORDS["hundred"] == 100 and NUMBER_WORDS["thousand"] == 1000
    assert all(w in NUMBER_WORDS for w in "one two three four five six seven eight nine ten eleven twelve thirteen "
               "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())  # fmt: skip
    assert parse_number("1,000") == 1000
    assert parse_number("2.5k") == 2500
    assert parse_number("1.5") == 1.5
    assert parse_number("twenty five") == 25
    assert parse_number("a dozen") == 12
    assert parse_number("3 thousand") == 3000
    assert parse_number("two hundred and fifty") == 250
    assert parse_number("customers") is None
    assert parse_number("") is None


# -- a small hand-made catalog -------------------------------------------------------------------


def _table(
    name: str, cols: list[tuple[str, str]], pk: list[str], fks: tuple[ForeignKey, ...] = ()
) -> TableInfo:
    return TableInfo(name, [ColumnInfo(c, t) for c, t in cols], primary_key=pk, foreign_keys=list(fks))


@pytest.fixture(scope="module")
def hand_catalog() -> Catalog:
    return Catalog.of([
        _table("accounts", [("account_id", "INTEGER"), ("accountName", "VARCHAR"), ("createdAt", "TIMESTAMP"),
                            ("isActive", "BOOLEAN"), ("plan_tier", "VARCHAR")], ["account_id"]),
        _table("dim_customer", [("customer_id", "INTEGER"), ("firstName", "VARCHAR"), ("lastName", "VARCHAR"),
                                ("emailAddress", "VARCHAR"), ("signupDate", "DATE"), ("account_id", "INTEGER")],
               ["customer_id"], (ForeignKey(("account_id",), "accounts", ("account_id",)),)),
        _table("invoices", [("invoice_id", "INTEGER"), ("customer_id", "INTEGER"), ("invoice_total", "DECIMAL(12,2)"),
                            ("issued_at", "TIMESTAMP"), ("payment_status", "VARCHAR")],
               ["invoice_id"], (ForeignKey(("customer_id",), "dim_customer", ("customer_id",)),)),
        # invoice_id -> invoices and sku_id -> skus are inferred from the names
        _table("invoice_lines", [("invoice_id", "INTEGER"), ("line_no", "INTEGER"), ("sku_id", "INTEGER"),
                                 ("qty", "INTEGER"), ("unit_cost", "DECIMAL(10,2)")], ["invoice_id", "line_no"]),
        _table("skus", [("sku_id", "INTEGER"), ("sku_name", "VARCHAR"), ("list_price", "DECIMAL(10,2)")], ["sku_id"]),
        _table("line_notes", [("note_id", "INTEGER"), ("invoice_id", "INTEGER"), ("line_no", "INTEGER"),
                              ("note", "VARCHAR")], ["note_id"],
               (ForeignKey(("invoice_id", "line_no"), "invoice_lines", ("invoice_id", "line_no")),)),
        _table("audit_log", [("log_id", "INTEGER"), ("message", "VARCHAR"), ("logged_at", "TIMESTAMP")], ["log_id"]),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def hand_values() -> ValueIndex:
    return ValueIndex({
        ("invoices", "payment_status"): ["Paid", "Overdue", "Written-Off"],
        ("accounts", "plan_tier"): ["Free", "Pro", "Enterprise"],
        ("accounts", "isActive"): [True, False],
    })  # fmt: skip


@pytest.fixture(scope="module")
def hand(hand_catalog: Catalog, hand_values: ValueIndex) -> SchemaLinker:
    return SchemaLinker(hand_catalog, hand_values)


def _tables(linker: SchemaLinker, phrase: str) -> list[str]:
    return [m.table for m in linker.tables(phrase)]


def _cols(linker: SchemaLinker, phrase: str, tables: list[str] | None = None) -> list[tuple[str, str]]:
    return [(m.table, m.column) for m in linker.columns(phrase, tables)]


@pytest.mark.parametrize(
    ("phrase", "table"),
    [
        ("accounts", "accounts"),
        ("Accounts", "accounts"),
        ("account", "accounts"),
        ("customers", "dim_customer"),  # warehouse prefix dropped
        ("the customer", "dim_customer"),
        ("clients", "dim_customer"),
        ("invoice lines", "invoice_lines"),
        ("Invoice_Lines", "invoice_lines"),
        ("invoiceLines", "invoice_lines"),
        ("bills", "invoices"),
        ("products", "skus"),
        ("invocies", "invoices"),  # typo
    ],
)
def test_tables_hand(hand: SchemaLinker, phrase: str, table: str) -> None:
    matches = hand.tables(phrase)
    assert matches and matches[0].table == table
    assert matches[0].text == phrase
    assert all(0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_table_scores_rank_exact_over_synonym_over_typo(hand: SchemaLinker) -> None:
    exact, plural, synonym, typo = (
        hand.tables(p)[0].score for p in ("accounts", "account", "clients", "invocies")
    )
    assert exact == 1.0 and exact > plural > synonym > typo >= 0.7


@pytest.mark.parametrize(
    ("phrase", "tables", "expected"),
    [
        ("customerId", None, ("dim_customer", "customer_id")),  # the owning table first
        ("customer id", None, ("dim_customer", "customer_id")),
        ("first name", None, ("dim_customer", "firstName")),  # stored camelCase name returned
        ("email", None, ("dim_customer", "emailAddress")),
        ("email address", None, ("dim_customer", "emailAddress")),
        ("customer email", None, ("dim_customer", "emailAddress")),
        ("email of the customer", None, ("dim_customer", "emailAddress")),
        ("qty", None, ("invoice_lines", "qty")),
        ("quantity", None, ("invoice_lines", "qty")),
        ("cost", None, ("invoice_lines", "unit_cost")),
        ("price", None, ("skus", "list_price")),
        ("total", ["invoices"], ("invoices", "invoice_total")),
        ("invoce total", None, ("invoices", "invoice_total")),  # typo
        ("signed up", None, ("dim_customer", "signupDate")),
        ("is active", None, ("accounts", "isActive")),
        ("name", ["skus"], ("skus", "sku_name")),
        ("id", ["skus"], ("skus", "sku_id")),
        ("invoices.customer_id", None, ("invoices", "customer_id")),
        # a quantifier before a name that starts with an ordering word: the whole name, not "name" alone
        ("unique last names", ["dim_customer"], ("dim_customer", "lastName")),
        ("the distinct first names", ["dim_customer"], ("dim_customer", "firstName")),
    ],
)
def test_columns_hand(
    hand: SchemaLinker, phrase: str, tables: list[str] | None, expected: tuple[str, str]
) -> None:
    matches = hand.columns(phrase, tables)
    assert matches and (matches[0].table, matches[0].column) == expected
    assert all(0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_columns_respect_tables(hand: SchemaLinker) -> None:
    assert _cols(hand, "customer_id", ["invoices"]) == [("invoices", "customer_id")]
    assert set(_cols(hand, "customer_id")) >= {("dim_customer", "customer_id"), ("invoices", "customer_id")}
    assert hand.columns("qty", ["skus"]) == []
    assert hand.columns("qty", ["no_such_table"]) == []
    assert _cols(hand, "customer_id", ["INVOICES"]) == [("invoices", "customer_id")]


def test_generic_words_need_a_table(hand: SchemaLinker) -> None:
    assert hand.columns("id") == []
    assert hand.columns("date") == []
    assert ("skus", "sku_name") not in _cols(hand, "name")
    assert _cols(hand, "name", ["skus"])[0] == ("skus", "sku_name")


@pytest.mark.parametrize("phrase", [*NONSENSE, "tax", "month", "", "   ", "42"])
def test_nonsense_matches_nothing_hand(hand: SchemaLinker, phrase: str) -> None:
    assert hand.tables(phrase) == []
    assert hand.columns(phrase) == []
    assert hand.values(phrase) == []
    assert hand.find_mentions(phrase) == []


def test_values_hand(hand: SchemaLinker) -> None:
    assert [(m.column, m.value) for m in hand.values("paid")] == [("payment_status", "Paid")]
    assert hand.values("written off")[0].value == "Written-Off"
    assert hand.values("overdue invoices")[0].value == "Overdue"
    assert hand.values("active")[0].value is True
    assert hand.values("inactive")[0].value is False
    assert hand.values("not active")[0].value is False
    assert hand.values("pro", tables=["invoices"]) == []


def test_value_index_from_mapping_and_roundtrip(hand_values: ValueIndex) -> None:
    again = ValueIndex.from_dict(json.loads(json.dumps(hand_values.to_dict())))
    assert again.columns() == hand_values.columns()
    assert len(again) == len(hand_values)
    for phrase in ("paid", "written off", "active", "inactive", "enterprise"):
        assert again.lookup(phrase) == hand_values.lookup(phrase)
    assert hand_values.values_of("INVOICES", "payment_status") == ["Paid", "Overdue", "Written-Off"]
    assert hand_values.values_of("invoices", "nope") == []


def test_join_path_direct(hand: SchemaLinker) -> None:
    assert hand.join_path(["invoices", "dim_customer"]) == [
        JoinEdge("invoices", "customer_id", "dim_customer", "customer_id")
    ]
    assert hand.join_path(["dim_customer", "invoices"]) == [
        JoinEdge("dim_customer", "customer_id", "invoices", "customer_id")
    ]


def test_join_path_through_bridges(hand: SchemaLinker) -> None:
    edges = hand.join_path(["dim_customer", "skus"])
    assert edges == [
        JoinEdge("dim_customer", "customer_id", "invoices", "customer_id"),
        JoinEdge("invoices", "invoice_id", "invoice_lines", "invoice_id"),  # inferred key
        JoinEdge("invoice_lines", "sku_id", "skus", "sku_id"),
    ]
    joined = {"dim_customer"}
    for e in edges:  # every edge adds one new table to those already joined
        assert e.left_table in joined and e.right_table not in joined
        joined.add(e.right_table)


def test_join_path_tree_of_several_tables(hand: SchemaLinker) -> None:
    edges = hand.join_path(
        ["ACCOUNTS", "skus", "accounts", "invoices"]
    )  # case-insensitive, duplicates dropped
    tables = {"accounts"} | {e.right_table for e in edges}
    assert tables == {"accounts", "dim_customer", "invoices", "invoice_lines", "skus"}
    assert len(edges) == 4


def test_join_path_composite_key(hand: SchemaLinker) -> None:
    assert hand.join_path(["line_notes", "invoice_lines"]) == [
        JoinEdge("line_notes", "invoice_id", "invoice_lines", "invoice_id"),
        JoinEdge("line_notes", "line_no", "invoice_lines", "line_no"),
    ]


def test_join_path_trivial(hand: SchemaLinker) -> None:
    assert hand.join_path([]) == []
    assert hand.join_path(["skus"]) == []
    assert hand.join_path(["skus", "SKUS"]) == []


def test_join_path_none(hand: SchemaLinker) -> None:
    with pytest.raises(PlanError) as err:
        hand.join_path(["skus", "audit_log"])
    msg = str(err.value)
    assert "skus" in msg and "audit_log" in msg and "\n" not in msg


def test_join_path_unknown_table(hand: SchemaLinker) -> None:
    with pytest.raises(CatalogError):
        hand.join_path(["skus", "nope"])


def test_find_mentions_hand(hand: SchemaLinker) -> None:
    text = "overdue invoices of enterprise clients with their email and invoice total"
    got = [(type(m).__name__, m.table, getattr(m, "column", None), getattr(m, "value", None), m.text)
           for m in hand.find_mentions(text)]  # fmt: skip
    assert got == [
        ("ValueMatch", "invoices", "payment_status", "Overdue", "overdue"),
        ("TableMatch", "invoices", None, None, "invoices"),
        ("ValueMatch", "accounts", "plan_tier", "Enterprise", "enterprise"),
        ("TableMatch", "dim_customer", None, None, "clients"),
        ("ColumnMatch", "dim_customer", "emailAddress", None, "email"),
        ("ColumnMatch", "invoices", "invoice_total", None, "invoice total"),
    ]


def test_linker_without_values(hand_catalog: Catalog) -> None:
    linker = SchemaLinker(hand_catalog)
    assert linker.values("paid") == []
    assert [type(m) for m in linker.find_mentions("paid invoices")] == [TableMatch]


# -- the demo warehouse ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines import connect

    path: Path = tmp_path_factory.mktemp("linking") / "demo.duckdb"
    build_demo_warehouse(path, scale=0.05)
    engine = connect(str(path), read_only=True)
    try:
        catalog = engine.catalog()
        values = ValueIndex.build(engine, catalog)
        yield engine, catalog, values, SchemaLinker(catalog, values)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def linker(demo) -> SchemaLinker:  # type: ignore[no-untyped-def]
    return demo[3]


def test_demo_data_holds_the_values_the_tests_ground(demo) -> None:  # type: ignore[no-untyped-def]
    engine = demo[0]

    def distinct(table: str, column: str) -> set[str]:
        return {r[0] for r in engine.fetch(f"SELECT DISTINCT {column} FROM {table}").rows}

    assert {"cancelled", "completed", "shipped"} <= distinct("orders", "status")
    assert {"mobile_app", "web", "store", "phone"} <= distinct("orders", "channel")
    assert {"Full-time", "Part-time", "Contractor"} <= distinct("employees", "employment_type")
    assert "Sales" in distinct("departments", "department_name")


def test_value_index_build(demo) -> None:  # type: ignore[no-untyped-def]
    values: ValueIndex = demo[2]
    cols = set(values.columns())
    assert {("orders", "status"), ("orders", "channel"), ("employees", "employment_type"),
            ("departments", "department_name"), ("products", "is_active")} <= cols  # fmt: skip
    # identifiers, contact details and person names are never indexed
    for skipped in [("customers", "email"), ("customers", "phone"), ("customers", "first_name"),
                    ("employees", "last_name"), ("employees", "email")]:  # fmt: skip
        assert skipped not in cols
    assert sorted(values.values_of("orders", "status")) == [
        "cancelled",
        "completed",
        "pending",
        "returned",
        "shipped",
    ]


def test_value_index_build_skips_high_cardinality(demo) -> None:  # type: ignore[no-untyped-def]
    engine, catalog = demo[0], demo[1]
    small = ValueIndex.build(engine, catalog, max_distinct=4)
    cols = set(small.columns())
    assert ("orders", "status") not in cols  # 5 distinct values
    assert ("orders", "channel") in cols and ("customers", "segment") in cols
    short = ValueIndex.build(engine, catalog, max_len=10)
    assert {"Full-time", "Contractor"} <= set(short.values_of("employees", "employment_type"))
    assert "Chief Executive Officer" not in short.values_of("employees", "job_title")
    assert all(len(v) <= 10 for v in short.values_of("employees", "job_title"))


@pytest.mark.parametrize(
    ("phrase", "table", "column", "value"),
    [
        ("cancelled", "orders", "status", "cancelled"),
        ("CANCELLED", "orders", "status", "cancelled"),  # stored case preserved
        ("canceled", "orders", "status", "cancelled"),  # US spelling
        ("cancelled orders", "orders", "status", "cancelled"),
        ("status cancelled", "orders", "status", "cancelled"),
        ("mobile app", "orders", "channel", "mobile_app"),
        ("Mobile-App", "orders", "channel", "mobile_app"),
        ("contractors", "employees", "employment_type", "Contractor"),
        ("contractor", "employees", "employment_type", "Contractor"),
        ("Full time", "employees", "employment_type", "Full-time"),
        ("full-time", "employees", "employment_type", "Full-time"),
        ("part time", "employees", "employment_type", "Part-time"),
        ("sales", "departments", "department_name", "Sales"),
        ("human resources", "departments", "department_name", "Human Resources"),
        ("phones and accessories", "categories", "category_name", "Phones & Accessories"),
        ("new hire", "salaries", "change_reason", "New hire"),
        ("shiped", "orders", "status", "shipped"),  # typo
        ("active", "products", "is_active", True),
        ("inactive", "products", "is_active", False),
    ],
)
def test_values_demo(linker: SchemaLinker, phrase: str, table: str, column: str, value: object) -> None:
    matches = linker.values(phrase)
    assert matches, phrase
    top = matches[0]
    assert (top.table, top.column, top.value) == (table, column, value)
    assert type(top.value) is type(value)
    assert top.text == phrase and 0 < top.score <= 1


def test_values_scores_and_tables(linker: SchemaLinker) -> None:
    exact, same_words, typo = (linker.values(p)[0].score for p in ("cancelled", "canceled", "shiped"))
    assert exact > same_words > typo
    seattle = linker.values("Seattle", tables=["departments"])
    assert [(m.table, m.column, m.value) for m in seattle] == [("departments", "location", "Seattle")]
    assert {m.table for m in linker.values("Seattle")} == {"customers", "departments"}


@pytest.mark.parametrize("phrase", [*NONSENSE, "shore", "month", "tax", "john"])
def test_values_nonsense(linker: SchemaLinker, phrase: str) -> None:
    assert linker.values(phrase) == []


def test_value_index_json_roundtrip_demo(demo) -> None:  # type: ignore[no-untyped-def]
    values: ValueIndex = demo[2]
    data = json.loads(json.dumps(values.to_dict()))
    again = ValueIndex.from_dict(data)
    for phrase in ("cancelled", "mobile app", "contractors", "inactive"):
        assert again.lookup(phrase) == values.lookup(phrase)


@pytest.mark.parametrize(
    ("phrase", "table"),
    [
        ("customers", "customers"),
        ("Customers", "customers"),
        ("customer", "customers"),
        ("clients", "customers"),
        ("buyers", "customers"),
        ("custmers", "customers"),
        ("order lines", "order_items"),
        ("Order Items", "order_items"),
        ("items", "order_items"),
        ("staff", "employees"),
        ("headcount", "employees"),
        ("emplyees", "employees"),
        ("purchases", "orders"),
        ("ordrs", "orders"),
        ("categories", "categories"),
        ("category", "categories"),
        ("dept", "departments"),
        ("salary", "salaries"),
    ],
)
def test_tables_demo(linker: SchemaLinker, phrase: str, table: str) -> None:
    matches = linker.tables(phrase)
    assert matches and matches[0].table == table


@pytest.mark.parametrize(
    ("phrase", "tables", "expected"),
    [
        ("hire date", None, ("employees", "hire_date")),
        ("hired", None, ("employees", "hire_date")),
        ("joined", ["employees"], ("employees", "hire_date")),
        ("joined", ["customers"], ("customers", "signup_date")),
        ("signed up", None, ("customers", "signup_date")),
        ("fired", None, ("employees", "termination_date")),
        ("first name", None, ("customers", "first_name")),
        ("surname", ["employees"], ("employees", "last_name")),
        ("customerId", None, ("customers", "customer_id")),
        ("the customer id", None, ("customers", "customer_id")),
        ("order date", None, ("orders", "order_date")),
        ("revenue", None, ("orders", "amount")),
        ("spend", None, ("orders", "amount")),
        ("amout", None, ("orders", "amount")),
        ("pay", None, ("salaries", "salary")),
        ("wage", None, ("salaries", "salary")),
        ("qty", None, ("order_items", "quantity")),
        ("price", ["products"], ("products", "unit_price")),
        ("email address", ["customers"], ("customers", "email")),
        ("phone number", None, ("customers", "phone")),
        ("name", ["departments"], ("departments", "department_name")),
        ("name", ["categories"], ("categories", "category_name")),
        ("id", ["orders"], ("orders", "order_id")),
        ("date", ["orders"], ("orders", "order_date")),
        ("customer email", None, ("customers", "email")),
        ("employee email", None, ("employees", "email")),
        ("orders.status", None, ("orders", "status")),
        ("emplyee hire date", None, ("employees", "hire_date")),
        ("title", None, ("employees", "job_title")),
        ("manager", None, ("employees", "manager_id")),
    ],
)
def test_columns_demo(
    linker: SchemaLinker, phrase: str, tables: list[str] | None, expected: tuple[str, str]
) -> None:
    matches = linker.columns(phrase, tables)
    assert matches, phrase
    assert (matches[0].table, matches[0].column) == expected
    if tables:
        assert {m.table for m in matches} <= set(tables)


def test_columns_demo_ambiguity_is_reported(linker: SchemaLinker) -> None:
    got = _cols(linker, "customer id")
    assert got[:2] == [("customers", "customer_id"), ("orders", "customer_id")]
    assert {("customers", "first_name"), ("employees", "first_name")} <= set(_cols(linker, "first name"))
    assert _cols(linker, "name") and all("name" in c for _, c in _cols(linker, "name"))


def test_id_alone_matches_nothing_in_particular(linker: SchemaLinker) -> None:
    assert linker.columns("id") == []
    assert linker.columns("date") == []


@pytest.mark.parametrize("phrase", [*NONSENSE, "tax", "month", "year", "quarter", "growth"])
def test_nonsense_demo(linker: SchemaLinker, phrase: str) -> None:
    assert linker.tables(phrase) == []
    assert linker.columns(phrase) == []
    assert linker.find_mentions(phrase) == []


def _mentions(linker: SchemaLinker, text: str) -> list[tuple[str, ...]]:
    out = []
    pos = 0
    for m in linker.find_mentions(text):
        at = text.find(m.text, pos)
        assert at >= 0, f"{m.text!r} is not a substring of the request after position {pos}"
        pos = at + len(m.text)
        if isinstance(m, TableMatch):
            out.append((m.text, m.table))
        elif isinstance(m, ColumnMatch):
            out.append((m.text, f"{m.table}.{m.column}"))
        else:
            assert isinstance(m, ValueMatch)
            out.append((m.text, f"{m.table}.{m.column}={m.value}"))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Employees hired in 2023 who are contractors", [
            ("Employees", "employees"), ("hired", "employees.hire_date"),
            ("contractors", "employees.employment_type=Contractor")]),
        ("Show completed web orders over 1,000", [
            ("completed", "orders.status=completed"), ("web", "orders.channel=web"), ("orders", "orders")]),
        ("cancelled orders placed through the mobile app in 2024", [
            ("cancelled", "orders.status=cancelled"), ("orders", "orders"), ("placed", "orders.order_date"),
            ("mobile app", "orders.channel=mobile_app")]),
        ("List the customers without an email address", [
            ("customers", "customers"), ("email address", "customers.email")]),
        ("Average unit price per category name, rounded to 2 decimals", [
            ("unit price", "products.unit_price"), ("category name", "categories.category_name")]),
        ("Orders placed between 2024-01-01 and 2024-03-31: order_id, customer_id, amount", [
            ("Orders", "orders"), ("placed", "orders.order_date"), ("order_id", "orders.order_id"),
            ("customer_id", "orders.customer_id"), ("amount", "orders.amount")]),
        ("employees in sales", [("employees", "employees"), ("sales", "departments.department_name=Sales")]),
        ("total sales by channel", [("sales", "orders.amount"), ("channel", "orders.channel")]),
        ("departments and their names", [("departments", "departments"), ("names", "departments.department_name")]),
        ("orders by date", [("orders", "orders"), ("date", "orders.order_date")]),
        ("show me clients who signed up last year with their email address and phone number", [
            ("clients", "customers"), ("signed up", "customers.signup_date"),
            ("email address", "customers.email"), ("phone number", "customers.phone")]),
        ("average pay per dept", [("pay", "salaries.salary"), ("dept", "departments")]),
        ("custmers with more than 5 ordrs", [("custmers", "customers"), ("ordrs", "orders")]),
        ("active products that are not active", [
            ("active", "products.is_active=True"), ("products", "products"),
            ("not active", "products.is_active=False")]),
        ("full time employees in the Human Resources department", [
            ("full time", "employees.employment_type=Full-time"), ("employees", "employees"),
            ("Human Resources", "departments.department_name=Human Resources"), ("department", "departments")]),
    ],
)  # fmt: skip
def test_find_mentions_demo(linker: SchemaLinker, text: str, expected: list[tuple[str, str]]) -> None:
    assert _mentions(linker, text) == expected


def test_find_mentions_skips_stopwords_numbers_and_nonsense(linker: SchemaLinker) -> None:
    assert linker.find_mentions("show me the top 10 of them please") == []
    assert linker.find_mentions("blorf zanzibarian frobnicate the quux 42") == []
    assert linker.find_mentions("a b c d e") == []
    texts = [m.text.lower() for m in linker.find_mentions("how many orders are there in each status?")]
    assert texts == ["orders", "status"]


def test_find_mentions_do_not_overlap(linker: SchemaLinker) -> None:
    text = ("Show each customer's first name, last name, city and the total amount they spent on completed "
            "orders placed via the web channel during 2024, sorted by the amount descending, top 20")  # fmt: skip
    spans = []
    pos = 0
    for m in linker.find_mentions(text):
        at = text.find(m.text, pos)
        spans.append((at, at + len(m.text)))
        pos = at + len(m.text)
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    got = _mentions(linker, text)
    assert ("customer's first name", "customers.first_name") in got and ("city", "customers.city") in got
    assert ("completed", "orders.status=completed") in got and ("web", "orders.channel=web") in got


def test_join_path_demo(linker: SchemaLinker) -> None:
    assert linker.join_path(["orders", "customers"]) == [
        JoinEdge("orders", "customer_id", "customers", "customer_id")
    ]
    assert linker.join_path(["orders", "products"]) == [
        JoinEdge("orders", "order_id", "order_items", "order_id"),
        JoinEdge("order_items", "product_id", "products", "product_id"),
    ]
    edges = linker.join_path(["customers", "categories"])
    assert [e.right_table for e in edges] == ["orders", "order_items", "products", "categories"]
    assert linker.join_path(["salaries", "departments"]) == [
        JoinEdge("salaries", "employee_id", "employees", "employee_id"),
        JoinEdge("employees", "department_id", "departments", "department_id"),
    ]
    with pytest.raises(PlanError, match="employees") as err:
        linker.join_path(["orders", "employees"])
    assert "orders" in str(err.value)


# -- round 2: offsets, measure names, row nouns, inflected verbs ---------------------------------


def test_mentions_carry_offsets(linker) -> None:  # type: ignore[no-untyped-def]
    text = "customer_id, email and phone for the customers"
    for m in linker.find_mentions(text):
        assert text[m.start : m.end] == m.text
    tables = [m for m in linker.find_mentions(text) if isinstance(m, TableMatch)]
    assert tables and tables[0].start == text.rindex("customers")


@pytest.mark.parametrize("phrase", ["order lines", "order line", "each order line"])
def test_multiword_table_synonym_wins(linker, phrase: str) -> None:  # type: ignore[no-untyped-def]
    found = linker.find_mentions(phrase)
    assert [(type(m).__name__, m.table) for m in found] == [("TableMatch", "order_items")]


@pytest.mark.parametrize("phrase, table", [("salary records", "salaries"), ("order rows", "orders"),
                                           ("employee entries", "employees")])
def test_row_nouns_name_the_table(linker, phrase: str, table: str) -> None:  # type: ignore[no-untyped-def]
    assert [m.table for m in linker.find_mentions(phrase) if isinstance(m, TableMatch)] == [table]
    assert linker.tables(phrase)[0].table == table


@pytest.mark.parametrize("name", ["order_count", "total_amount", "avg_salary", "customerCount", "pct_orders"])
def test_measure_names_match_nothing(linker, name: str) -> None:  # type: ignore[no-untyped-def]
    assert linker.find_mentions(f"{name} per channel")[0].text != name
    assert linker.tables(name) == []
    assert linker.columns(name) == []


@pytest.mark.parametrize("word", ["computed", "computing", "ordered"])
def test_inflected_verbs_are_no_value_typos(linker, word: str) -> None:  # type: ignore[no-untyped-def]
    assert not any(isinstance(m, ValueMatch) for m in linker.find_mentions(f"rows {word} today"))


def test_derived_forms_still_match(linker) -> None:  # type: ignore[no-untyped-def]
    assert linker.columns("priced")[0].column == "unit_price"


@pytest.mark.parametrize(
    ("phrase", "table"),
    [("accts", None), ("acc", "accounts"), ("invs", None), ("custs", "dim_customer"),
     ("cust", "dim_customer"), ("skus", "skus"), ("audit", "audit_log")],
)
def test_clipped_forms_name_one_table(hand: SchemaLinker, phrase: str, table: str | None) -> None:
    """The start of one table's name (three letters kept, three dropped) names it; a start two tables share
    ("inv": invoices, invoice_lines) or an English word does not."""
    got = _tables(hand, phrase)
    assert (got[0] if got else None) == table, got


def test_an_english_word_is_never_a_clipped_form() -> None:
    cat = Catalog.of([_table("categories", [("category_id", "INTEGER")], ["category_id"]),
                      _table("patients", [("patient_id", "INTEGER")], ["patient_id"])])  # fmt: skip
    linker = SchemaLinker(cat)
    assert _tables(linker, "pat") == []
    assert _tables(linker, "categ") == ["categories"] and _tables(linker, "pati") == ["patients"]


@pytest.mark.parametrize(
    ("phrase", "column"),
    [("date of signup", ("dim_customer", "signupDate")), ("status of the payment", ("invoices", "payment_status")),
     ("name of the sku", ("skus", "sku_name")), ("cost of a unit", ("invoice_lines", "unit_cost"))],
)
def test_a_columns_words_in_another_order(hand: SchemaLinker, phrase: str, column: tuple[str, str]) -> None:
    got = _cols(hand, phrase)
    assert got and got[0] == column, got


@pytest.mark.parametrize("phrase", ["payments of that status", "names of their skus", "date and signup"])
def test_reordered_words_with_a_pointing_word_are_no_column(hand: SchemaLinker, phrase: str) -> None:
    """"payments of that status" points back at something said before: not the column payment_status."""
    scores = [m.score for m in hand.columns(phrase)]
    assert all(s < 0.9 for s in scores), hand.columns(phrase)


@pytest.mark.parametrize(
    ("phrase", "column"),
    [("customer_last_name", ("dim_customer", "lastName")), ("customer first name", ("dim_customer", "firstName"))],
)
def test_a_table_word_before_a_column_name_that_holds_an_ordering_word(hand: SchemaLinker, phrase: str,
                                                                       column: tuple[str, str]) -> None:
    """"customer last name": last_name is a column's whole name, though "last" alone is an ordering word."""
    assert _cols(hand, phrase)[:1] == [column]


def test_a_table_word_before_an_ordering_word_alone_is_no_column(hand: SchemaLinker) -> None:
    assert _cols(hand, "customer last") == [] or _cols(hand, "customer last")[0][1] != "lastName"

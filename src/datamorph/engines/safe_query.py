"""The core of the read-only query endpoint: check one user query, then run it with limits.

``check_query`` parses the text with SQLGlot and accepts exactly one read-only ``SELECT`` (or
``WITH ... SELECT``, or a set operation of them). It is an allowlist: every node of the tree must
be of a class known to be a pure part of a query; functions must be SQLGlot's typed, pure
function classes, or, for functions SQLGlot does not know (``exp.Anonymous``), be on an explicit
list of names. Anything else is refused with :class:`QueryRefused`, whose message names what
was refused: DDL, DML, ``ATTACH``/``COPY``/``PRAGMA``/``SET``..., more than one statement,
functions that read files or the network or run SQL text, ``SELECT ... INTO``, ``FOR UPDATE``,
a file path in ``FROM``.

Table names are resolved per scope with SQLGlot's scope analysis (on names normalised as the
dialect resolves them): a CTE name hides a table only inside the query that defines the CTE
(its nested queries and the later CTEs of the same ``WITH``); everywhere else the name is a
table. A table that would be read from a system catalog (``pg_*``, ``duckdb_*``, ``sqlite_*``,
``pragma_*`` names; the ``information_schema``, ``pg_catalog``, ``system``, ``temp`` and
DataMorph's own schemas), however it is spelled, is refused.

``run_query`` checks the query, makes sure every table it reads is one of the warehouse's own
tables (never a name that only a file could satisfy), and runs the statement *as SQLGlot
regenerates it from the checked tree* (comments dropped), so what runs is exactly what was
checked. It fetches at most ``max_rows`` rows and ``max_bytes`` bytes (reading in small batches
and stopping once past the limit, never holding the whole result), stops the query after
``timeout_s`` seconds, and makes duplicate output names unique (``x``, ``x_1``; the result says
which were renamed). On PostgreSQL ``Engine.fetch`` runs in a ``READ ONLY`` transaction; a
DuckDB warehouse must be opened with external access disabled (``external_access=False``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.tokens import TokenType

from datamorph.engines.base import INTERNAL_SCHEMAS, QueryResult, size_text
from datamorph.errors import CatalogError, ConfigError, ExecutionError, QueryRefused, suggestion

if TYPE_CHECKING:
    from datamorph.catalog import Catalog
    from datamorph.engines.base import Engine

HINT = "send one SELECT (or WITH ... SELECT) statement"
_ONLY = "only one read-only SELECT query is allowed"


# -- what a query may contain --------------------------------------------------------------


def _classes(names: str) -> frozenset[type[exp.Expr]]:
    """The SQLGlot classes called ``names`` (names this SQLGlot version lacks are skipped)."""
    found = (getattr(exp, n, None) for n in names.split())
    return frozenset(c for c in found if isinstance(c, type) and issubclass(c, exp.Expression))


# Every non-function node a query may hold. Functions are checked separately (_check_function).
ALLOWED_NODES = _classes(
    # query structure
    "Select Union Intersect Except With CTE Subquery From Join Where Group Having Qualify Order Ordered "
    "Limit LimitOptions Offset Fetch Distinct Window WindowSpec Lateral Values Tuple TableAlias Alias Aliases Table "
    "TableSample Cube Rollup GroupingSets Pivot PivotAlias UnpivotColumns Filter WithinGroup IgnoreNulls "
    "RespectNulls HavingMax "
    # names and values
    "Column Identifier Star Literal Null Boolean Paren Var DataType DataTypeParam PseudoType Interval "
    "IntervalSpan HexString ByteString BitString RawString National UnicodeString Heredoc PositionalColumn "
    # operators
    "And Or Not EQ NEQ GT GTE LT LTE NullSafeEQ NullSafeNEQ Is In Between Like ILike SimilarTo Glob "
    "Add Sub Mul Div IntDiv Mod Neg BitwiseAnd BitwiseOr BitwiseXor BitwiseNot BitwiseLeftShift "
    "BitwiseRightShift DPipe Any All Escape AtTimeZone Collate Overlaps "
    # nested data, lambdas, JSON paths
    "Dot Bracket Slice PropertyEQ Kwarg Lambda Comprehension JSONPath JSONPathKey JSONPathRoot "
    "JSONPathSubscript JSONPathWildcard JSONPathSlice JSONPathUnion"
)

# Typed SQLGlot function classes that are not pure computations (or belong to other engines'
# model, AI, dynamic-SQL or sequence features): refused wherever they appear.
DENIED_FUNCTION_CLASSES = _classes(
    "ReadCSV ReadParquet NextValueFor ToFile Secret DynamicIdentifier Seq1 Seq2 Seq4 Seq8 "
    "AIClassify AIEmbed AIForecast AIGenerate AISimilarity GenerateEmbedding GenerateTable GenerateText "
    "GenerateBool GenerateDouble GenerateInt MLForecast MLTranslate Predict VectorSearch FeaturesAtTime "
    "CombinedAggFunc ParameterizedAgg CombinedParameterizedAgg"
)

# Functions SQLGlot may not know (they parse as exp.Anonymous) that are pure computations on
# values: allowed by name. Names SQLGlot knows are typed classes and are allowed by class.
ALLOWED_FUNCTIONS = frozenset(
    """
    abs acos acosh asin asinh atan atan2 atanh cbrt ceil ceiling cos cosh cot degrees div even exp
    factorial floor gamma gcd isfinite isinf isnan lcm lgamma ln log log10 log2 mod nextafter pi pow
    power radians round round_even sign signbit sin sinh sqrt tan tanh trunc width_bucket xor bit_count
    random
    ascii bit_length btrim char_length character_length chr concat concat_ws contains ends_with format
    initcap instr lcase left length length_grapheme levenshtein damerau_levenshtein hamming jaccard
    jaro_similarity jaro_winkler_similarity lower lpad ltrim md5 md5_number nfc_normalize octet_length
    ord position prefix printf quote_ident quote_literal quote_nullable regexp_count regexp_extract
    regexp_extract_all regexp_full_match regexp_instr regexp_like regexp_match regexp_matches
    regexp_replace regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse
    right rpad rtrim sha1 sha256 sha512 split_part starts_with str_split string_split string_to_array
    strip_accents strpos substr substring suffix to_base64 from_base64 to_hex translate trim ucase
    unicode upper url_encode url_decode encode decode base64 hash to_ascii like_escape ilike_escape
    age clock_timestamp current_date current_time current_timestamp date_add date_bin date_diff
    date_part date_sub date_trunc datediff datepart datesub datetrunc day dayname dayofmonth
    dayofweek dayofyear decade epoch epoch_ms epoch_ns epoch_us era extract hour isodow isoyear
    justify_days justify_hours justify_interval julian last_day localtime localtimestamp make_date
    make_interval make_time make_timestamp make_timestamptz microsecond millennium millisecond minute
    month monthname nanosecond now quarter second statement_timestamp strftime strptime time_bucket
    timeofday timezone timezone_hour timezone_minute to_char to_date to_number to_timestamp today
    transaction_timestamp try_strptime week weekday weekofyear year yearweek to_centuries to_days
    to_decades to_hours to_microseconds to_millennia to_milliseconds to_minutes to_months to_seconds
    to_weeks to_years
    any_value approx_count_distinct approx_quantile arbitrary arg_max arg_min argmax argmin array_agg
    avg bit_and bit_or bit_xor bool_and bool_or corr count count_if countif covar_pop covar_samp
    entropy every favg first fsum group_concat histogram kahan_sum kurtosis kurtosis_pop last list
    listagg mad max max_by median min min_by mode percentile_cont percentile_disc product quantile
    quantile_cont quantile_disc regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope
    regr_sxx regr_sxy regr_syy reservoir_quantile skewness stddev stddev_pop stddev_samp string_agg
    sum sumkahan var_pop var_samp variance json_agg jsonb_agg json_object_agg jsonb_object_agg
    cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
    coalesce greatest ifnull iif least nullif nvl nvl2 typeof pg_typeof try_cast
    array_append array_cat array_concat array_contains array_distinct array_dims array_extract
    array_filter array_has array_has_all array_has_any array_indexof array_length array_lower
    array_ndims array_position array_positions array_prepend array_remove array_replace array_reverse
    array_slice array_sort array_to_string array_transform array_unique array_upper array_value
    array_zip cardinality element_at flatten generate_subscripts len list_aggregate list_any_value
    list_append list_apply list_avg list_bool_and list_bool_or list_cat list_concat list_contains
    list_count list_distinct list_element list_extract list_filter list_has list_has_all list_has_any
    list_indexof list_max list_min list_pack list_position list_prepend list_reduce list_reverse
    list_reverse_sort list_select list_slice list_sort list_sum list_transform list_unique list_value
    list_zip map map_concat map_entries map_extract map_from_entries map_keys map_values row
    struct_extract struct_insert struct_pack array_to_json row_to_json to_json to_jsonb json
    json_array json_array_length json_build_array json_build_object json_contains json_each
    json_extract json_extract_path json_extract_path_text json_extract_string json_group_array
    json_group_object json_keys json_object json_structure json_type json_typeof json_valid
    json_value jsonb_array_length jsonb_build_array jsonb_build_object jsonb_extract_path
    jsonb_extract_path_text jsonb_pretty jsonb_set jsonb_strip_nulls jsonb_typeof
    current_database current_schema current_user session_user current_catalog version
    gen_random_uuid uuid range generate_series unnest
    """.split()
)

# Extra names allowed only in one dialect.
ALLOWED_FUNCTIONS_BY_DIALECT: dict[str, frozenset[str]] = {
    "postgres": frozenset({"format_type", "obj_description", "col_description"}),
}

# Table functions allowed in FROM (everything else in FROM must be a table name or a subquery).
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
_TABLE_FUNCTION_CLASSES = _classes("GenerateSeries ExplodingGenerateSeries Unnest Explode")

# Why a function is refused, for the message. Every function not allowed above is refused;
# these are the ones worth explaining (and, being named, are also refused if they turn up as
# a function call in the SQL that would run, whatever SQLGlot class produced them).
_READS_FILES = "it reads files"
_NETWORK = "it reads the network"
_RUNS_SQL = "it runs SQL text"
_STATE = "it changes the state of the database or the session"
_SETTINGS = "it reads settings, secrets or the environment"
_BLOCKS = "it sleeps or takes locks"
_SIGNALS = "it acts on other sessions or on the server"
_CALLS_CODE = "it calls code outside SQL"
# Spark SQL reads files with `format`.`path` (SELECT * FROM parquet.`/data/x`)
SPARK_FILE_SOURCES = frozenset({"parquet", "csv", "json", "orc", "text", "avro", "binaryfile", "delta", "jdbc"})
DENIED_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(
        "read_csv read_csv_auto read_parquet parquet_scan read_json read_json_auto read_json_objects "
        "read_json_objects_auto read_ndjson read_ndjson_auto read_ndjson_objects read_text read_blob glob "
        "sniff_csv parquet_metadata parquet_schema parquet_file_metadata parquet_kv_metadata read_xlsx "
        "iceberg_scan iceberg_metadata iceberg_snapshots delta_scan sqlite_scan sqlite_attach "
        "postgres_scan postgres_scan_pushdown postgres_attach mysql_scan read_file read_files to_file "
        "pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_ls_logdir pg_ls_waldir pg_ls_tmpdir "
        "pg_ls_archive_statusdir pg_ls_logicalsnapdir pg_ls_logicalmapdir pg_ls_replslotdir lo_import "
        "lo_export pg_file_write pg_file_rename pg_file_unlink pg_file_sync pg_logdir_ls".split(),
        _READS_FILES,
    ),
    **dict.fromkeys("dblink dblink_connect dblink_connect_u dblink_send_query dblink_get_result dblink_open "
                    "dblink_fetch dblink_exec http_get http_post http_head".split(), _NETWORK),  # fmt: skip
    **dict.fromkeys("query query_table query_to_xml query_to_xmlschema query_to_xml_and_xmlschema "
                    "cursor_to_xml cursor_to_xmlschema table_to_xml table_to_xmlschema table_to_xml_and_xmlschema "
                    "schema_to_xml database_to_xml postgres_query postgres_execute mysql_query mysql_execute "
                    "json_execute_serialized_sql from_substrait from_substrait_json".split(), _RUNS_SQL),  # fmt: skip
    **dict.fromkeys("nextval setval currval lastval set_config setseed txid_current pg_current_xact_id "
                    "pg_notify lo_create lo_creat lo_unlink lo_open lo_put lo_from_bytea lo_truncate lowrite "
                    "loread lo_get pg_logical_emit_message checkpoint force_checkpoint pg_stat_reset "
                    "pg_stat_reset_shared pg_stat_reset_single_table_counters pg_create_restore_point "
                    "pg_switch_wal pg_promote pg_reload_conf pg_rotate_logfile pg_import_system_collations "
                    "set_variable".split(), _STATE),  # fmt: skip
    **dict.fromkeys("getenv getvariable current_setting duckdb_secrets which_secret load_aws_credentials "
                    "duckdb_settings pg_settings_get_flags".split(), _SETTINGS),  # fmt: skip
    **dict.fromkeys("pg_sleep pg_sleep_for pg_sleep_until sleep sleep_ms pg_advisory_lock pg_advisory_lock_shared "
                    "pg_advisory_xact_lock pg_advisory_xact_lock_shared pg_try_advisory_lock "
                    "pg_try_advisory_lock_shared pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared "
                    "pg_advisory_unlock pg_advisory_unlock_shared pg_advisory_unlock_all".split(), _BLOCKS),  # fmt: skip
    **dict.fromkeys("reflect java_method try_reflect".split(), _CALLS_CODE),  # Spark: any Java static method
    **dict.fromkeys("pg_terminate_backend pg_cancel_backend pg_log_backend_memory_contexts "
                    "pg_replication_origin_create pg_create_logical_replication_slot "
                    "pg_create_physical_replication_slot pg_drop_replication_slot".split(), _SIGNALS),  # fmt: skip
}

# Schemas a query may never read: the engines' system catalogs and DataMorph's own schemas.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "system", "temp"}) | INTERNAL_SCHEMAS
# Table names that may resolve to a system catalog view (PostgreSQL searches pg_catalog first;
# DuckDB finds pg_catalog, duckdb_* and sqlite_* views in its system catalog), and schema names
# of the same kind (pg_temp_3, pg_toast_temp_1...).
SYSTEM_NAME_PREFIXES = ("pg_", "duckdb_", "sqlite_", "pragma_")

# Statement kinds named in messages where the class name is not the SQL keyword.
_STATEMENT_WORDS = {
    "TruncateTable": "TRUNCATE", "Transaction": "BEGIN", "LoadData": "LOAD", "Into": "SELECT ... INTO",
    "Lock": "FOR UPDATE/SHARE",
}  # fmt: skip

_PATH_LIKE = re.compile(
    r"[/\\~*?]|://|^[a-z]:|\.(csv|tsv|txt|parquet|pq|json|jsonl|ndjson|xlsx?|gz|zst|bz2|xz|zip|arrow|feather|avro|orc|"
    r"db|duckdb|sqlite3?|ddb)$",
    re.IGNORECASE,
)
_FIRST_WORD = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]+)", re.DOTALL)
_STRING_TOKENS = frozenset(
    t for t in (getattr(TokenType, n, None) for n in "STRING RAW_STRING HEREDOC_STRING NATIONAL_STRING "
                "BYTE_STRING BIT_STRING HEX_STRING UNICODE_STRING".split()) if t is not None  # fmt: skip
)


def _refuse(message: str, sql: str, **context: object) -> QueryRefused:
    return QueryRefused(message, hint=HINT, sql=sql, **context)


def _word(node: exp.Expr) -> str:
    """The SQL keyword of a statement node, for messages (``DROP``, ``INSERT``, ``LOAD``...)."""
    name = type(node).__name__
    if isinstance(node, exp.Command):
        return str(node.this or "").upper() or "this"
    word = _STATEMENT_WORDS.get(name)
    if word:
        return word
    return node.key.upper()


def _statement_word(tree: exp.Expr, sql: str) -> str:
    """What kind of statement a refused top-level node is: its keyword, else the text's first word."""
    if isinstance(tree, (exp.Command, exp.DDL, exp.DML)) or type(tree).__name__ in _STATEMENT_WORDS:
        return _word(tree)
    first = _FIRST_WORD.match(sql)
    return first.group(1).upper() if first else _word(tree)


def _function_name(node: exp.Func) -> str:
    """The lower-case name a function is called by (``read_csv``, ``nextval``...)."""
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return str(node.name).lower()
    return node.sql_name().lower()


# -- checking --------------------------------------------------------------------------------


def check_query(sql: str, dialect: str) -> exp.Expression:
    """Parse with SQLGlot; return the one statement if it is a read-only SELECT/WITH query, else raise QueryRefused."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("the query is empty", sql if isinstance(sql, str) else "")
    try:
        statements = sqlglot.parse(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError) as e:
        first = _FIRST_WORD.match(sql)
        word = first.group(1).upper() if first else ""
        if word and word not in ("SELECT", "WITH", "FROM", "TABLE", "VALUES"):
            raise _refuse(f"{_ONLY}; {word} statements are refused", sql) from e
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise _refuse(f"the query could not be parsed as one SELECT statement: {detail}", sql) from e
    present = [s for s in statements if s is not None and not isinstance(s, exp.Semicolon)]
    if not present:
        raise _refuse("the query is empty (only comments or semicolons)", sql)
    if len(statements) > 1:  # also a lone comment or a second ';' after the first statement
        words = [_word(s) for s in present] if len(present) > 1 else [_word(present[0]), "an empty statement"]
        raise _refuse(f"{_ONLY}; the text holds {len(words)} statements ({'; '.join(words)})", sql)
    tree = statements[0]
    assert tree is not None
    if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
        raise _refuse(f"{_ONLY}; {_statement_word(tree, sql)} statements are refused", sql)
    try:
        _check_tree(tree, sql, dialect)
        _check_system_tables(tables_read(tree, dialect), sql)
    except QueryRefused:
        raise
    except Exception as e:  # an unexpected tree shape: refuse rather than guess
        raise _refuse(f"the query could not be checked ({type(e).__name__}); it is refused", sql) from e
    return tree


def _denied(name: str, dialect: str) -> str | None:
    """Why function ``name`` is refused in ``dialect`` (None: not on the deny list)."""
    if name in ALLOWED_FUNCTIONS_BY_DIALECT.get(dialect, ()):
        return None
    reason = DENIED_FUNCTIONS.get(name)
    if reason is None and name.startswith(("pragma_", "duckdb_", "pg_ls_", "pg_read_", "lo_", "dblink")):
        reason = "it reads the database's internals or files"
    return reason


def _check_tree(tree: exp.Expression, sql: str, dialect: str) -> None:
    allowed_names = ALLOWED_FUNCTIONS | ALLOWED_FUNCTIONS_BY_DIALECT.get(dialect, frozenset())
    for node in tree.walk():
        if isinstance(node, exp.Select):
            if node.args.get("into") is not None:
                raise _refuse("SELECT ... INTO is not allowed in queries (it creates a table)", sql)
            if node.args.get("locks"):
                raise _refuse("FOR UPDATE/FOR SHARE is not allowed in queries (it locks rows)", sql)
        if isinstance(node, exp.Table):
            _check_table(node, sql, dialect)
        elif isinstance(node, (exp.Lateral, exp.From, exp.Join)) and isinstance(node.this, exp.Func):
            _check_table_function(node.this, sql)
        if isinstance(node, exp.Func):
            _check_function(node, sql, dialect, allowed_names)
        elif type(node) not in ALLOWED_NODES:
            raise _refuse(_node_message(node), sql)


def _node_message(node: exp.Expr) -> str:
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        return "query parameters (?, $1, :name) are not supported: write the values into the query"
    if isinstance(node, exp.SessionParameter):
        return "session variables (@@name) are not allowed in queries"
    if isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return f"{_ONLY}; {_word(node)} inside a query is refused (it changes data)"
    if isinstance(node, (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Command, exp.Copy, exp.Pragma,
                         exp.Set, exp.Attach, exp.Detach, exp.Install, exp.Use, exp.Transaction)):  # fmt: skip
        return f"{_ONLY}; {_word(node)} statements are refused"
    return f"{node.key.upper()} is not allowed in queries (only plain SELECT constructs are)"


def _check_function(node: exp.Func, sql: str, dialect: str, allowed_names: frozenset[str]) -> None:
    name = _function_name(node)
    reason = _denied(name, dialect)
    if reason is not None or type(node) in DENIED_FUNCTION_CLASSES:
        raise _refuse(f"function {name} is not allowed in queries ({reason or 'it is not a pure computation'})",
                      sql, function=name)  # fmt: skip
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)) and name not in allowed_names:
        raise _refuse(f"function {name} is not allowed in queries (it is not a known read-only function)",
                      sql, function=name)  # fmt: skip


def _check_table_function(func: exp.Func, sql: str) -> None:
    name = _function_name(func)
    if type(func) in _TABLE_FUNCTION_CLASSES or name in ALLOWED_TABLE_FUNCTIONS:
        return
    if name in DENIED_FUNCTIONS:
        return  # _check_function names the reason
    raise _refuse(f"table function {name} is not allowed in FROM; only range, generate_series and unnest are "
                  "(read tables by name)", sql, function=name)  # fmt: skip


def _check_table(node: exp.Table, sql: str, dialect: str) -> None:
    this = node.this
    if isinstance(this, exp.Func):
        _check_table_function(this, sql)
        return
    if not isinstance(this, exp.Identifier):
        raise _refuse(f"FROM {node.sql(dialect=dialect)} is not allowed in queries: name a table", sql)
    if node.args.get("catalog") is not None:
        raise _refuse(f"table {node.sql()} names a database: only table or schema.table names are allowed", sql)
    db = node.args.get("db")
    if db is not None and not isinstance(db, exp.Identifier):
        raise _refuse(f"table {node.sql()} is not a plain table name", sql)
    if _is_string_at(sql, this.meta.get("start")):
        raise _refuse(f"reading the file '{this.name}' is not allowed in queries (FROM takes a table name, "
                      "not a string)", sql, table=this.name)  # fmt: skip
    if _PATH_LIKE.search(this.name) or (db is not None and _PATH_LIKE.search(db.name)):
        raise _refuse(f"table name '{this.name}' looks like a file path or URL; only the warehouse's tables "
                      "can be read", sql, table=this.name)  # fmt: skip
    if db is not None and dialect == "spark" and db.name.lower() in SPARK_FILE_SOURCES:
        raise _refuse(f"reading files ({db.name}.`...`) is not allowed in queries; only the warehouse's tables "
                      "can be read", sql, table=f"{db.name}.{this.name}")  # fmt: skip
    if db is not None and _is_system_schema(db.name):
        raise _refuse(f"table {db.name}.{this.name} is in a system schema; queries read the warehouse's own "
                      "tables only", sql, table=f"{db.name}.{this.name}")  # fmt: skip


def _is_system_schema(name: str) -> bool:
    low = name.lower()
    return low in SYSTEM_SCHEMAS or low.startswith("pg_")


def _check_system_tables(tables: Iterable[tuple[str | None, str]], sql: str) -> None:
    """Refuse a table (not a CTE) that may be read from a system catalog, whatever its spelling."""
    for schema, name in tables:
        shown = f"{schema}.{name}" if schema else name
        if schema is not None and _is_system_schema(schema):
            raise _refuse(f"table {shown} is in a system schema; queries read the warehouse's own tables only",
                          sql, table=shown)  # fmt: skip
        if name.lower().startswith(SYSTEM_NAME_PREFIXES):
            raise _refuse(f"table {shown} would be read from the system catalog; queries read the warehouse's "
                          "own tables only", sql, table=shown)  # fmt: skip


def _is_string_at(sql: str, start: object) -> bool:
    """Whether the source text at offset ``start`` opens a string (``'..'``, ``e'..'``, ``$$..$$``, ``U&'..'``).

    SQLGlot turns ``FROM 'file.csv'`` into the same tree as ``FROM "file.csv"``; only the text tells.
    """
    if not isinstance(start, int) or not 0 <= start < len(sql):
        return False
    head = sql[start : start + 3]
    return head[:1] in ("'", "$") or (head[:1] in "eEnNbBxXrR" and head[1:2] == "'") or head.upper() == "U&'"


def _denied_calls(sql: str, dialect: str) -> list[str]:
    """Denied function names called in ``sql`` (a name token followed by ``(``), by the dialect's tokenizer."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    out = []
    for tok, nxt in zip(tokens, tokens[1:], strict=False):
        if nxt.token_type == TokenType.L_PAREN and tok.token_type not in _STRING_TOKENS:
            name = tok.text.lower()
            if _denied(name, dialect) is not None:
                out.append(name)
    return out


def safe_sql(tree: exp.Expression, sql: str, dialect: str) -> str:
    """The SQL that runs: the checked tree regenerated without comments, checked once more."""
    try:
        text = tree.sql(dialect=dialect, comments=False, unsupported_level=ErrorLevel.RAISE)
    except (SqlglotError, RecursionError, ValueError) as e:
        raise _refuse(f"the query uses a construct that cannot be checked for {dialect}: "
                      f"{str(e).splitlines()[0] if str(e) else type(e).__name__}", sql) from e  # fmt: skip
    again = check_query(text, dialect)  # what runs passes the same checks
    try:
        denied = _denied_calls(text, dialect)
    except SqlglotError as e:
        raise _refuse("the regenerated query could not be read back; it is refused", sql) from e
    if denied:
        name = denied[0]
        raise _refuse(f"function {name} is not allowed in queries ({_denied(name, dialect)})", sql, function=name)
    if type(again) is not type(tree):
        raise _refuse("the query changes meaning when regenerated; it cannot be checked", sql)
    return text


# -- running ------------------------------------------------------------------------------------


def tables_read(tree: exp.Expression, dialect: str) -> list[tuple[str | None, str]]:
    """(schema, name) of every table the query reads by name, as ``dialect`` resolves the names.

    A name is a CTE only where SQLGlot's scope analysis finds that CTE visible: in the query whose
    ``WITH`` defines it, that query's nested queries, and the later CTEs of the same ``WITH`` (and,
    under ``WITH RECURSIVE``, the CTE itself). Every other table node is a table, whatever a CTE
    elsewhere in the text is called; so is every table node the scope analysis does not reach.
    """
    norm = normalize_identifiers(tree.copy(), dialect=dialect)
    cte_refs: set[int] = set()
    for scope in traverse_scope(norm):
        for table in scope.tables:
            if not table.args.get("db") and not table.args.get("catalog") and table.name in scope.cte_sources:
                cte_refs.add(id(table))
    out: list[tuple[str | None, str]] = []
    for t in norm.find_all(exp.Table):
        if id(t) in cte_refs or not isinstance(t.this, exp.Identifier):
            continue
        schema = t.args["db"].name if t.args.get("db") is not None else None
        if (schema, t.name) not in out:
            out.append((schema, t.name))
    return out


def _check_tables(tables: Sequence[tuple[str | None, str]], catalog: Catalog, sql: str) -> None:
    _check_system_tables(tables, sql)
    for schema, name in tables:
        shown = f"{schema}.{name}" if schema else name
        info = catalog.tables.get(name.lower())
        if info is not None and schema is not None and info.schema.lower() != schema.lower():
            info = None
        if info is None:
            raise CatalogError(f"unknown table '{shown}'",
                               hint=suggestion(name, catalog.table_names()) or
                               (f"tables are: {', '.join(sorted(catalog.table_names()))}" if catalog.tables
                                else "the warehouse has no tables"), table=shown)  # fmt: skip


def _require_no_external_access(engine: Engine) -> None:
    if engine.dialect != "duckdb":
        return
    enabled = getattr(engine, "external_access", True)
    if not enabled:
        try:
            setting = engine.scalar("SELECT current_setting('enable_external_access')")
        except ExecutionError:
            setting = True
        enabled = setting not in (False, "false", "False", 0)
    if enabled:
        raise ConfigError(
            "the query endpoint needs a DuckDB warehouse opened with external access disabled",
            hint="open the warehouse with external_access=False (DATAMORPH_DUCKDB_EXTERNAL_ACCESS=false; "
            "`datamorph serve` does this)",
            path=getattr(engine, "path", None),
        )


@dataclass
class CheckedResult(QueryResult):
    """A query endpoint result: unique column names; ``renamed_columns`` maps a new name to the original."""

    renamed_columns: dict[str, str] = field(default_factory=dict)


def unique_names(names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """``names`` with each repeat renamed ``x_1``, ``x_2``... (never to a name already present); and new → old."""
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    renamed: dict[str, str] = {}
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        n = 1
        while f"{name}_{n}" in taken:
            n += 1
        new = f"{name}_{n}"
        taken.add(new)
        renamed[new] = name
        out.append(new)
    return out, renamed


def run_query(engine: Engine, sql: str, *, max_rows: int = 1000, timeout_s: float = 30.0,
              max_bytes: int | None = None) -> CheckedResult:  # fmt: skip
    """check_query(sql, engine.dialect), then run it read-only with a row, a byte and a time limit."""
    dialect = engine.dialect
    tree = check_query(sql, dialect)
    _require_no_external_access(engine)
    text = safe_sql(tree, sql, dialect)
    catalog = engine.catalog(row_counts=False)
    for checked in (tree, check_query(text, dialect)):  # what was sent and what runs
        _check_tables(tables_read(checked, dialect), catalog, sql)
    try:
        res = engine.fetch(text, max_rows=max(0, int(max_rows)), timeout_s=timeout_s, max_bytes=max_bytes)
    except ExecutionError as e:
        if e.context.get("too_large"):
            n = e.context.get("rows_read")
            raise ExecutionError(f"query result exceeds DATAMORPH_QUERY_MAX_BYTES ({size_text(max_bytes or 0)}): "
                                 f"stopped reading after {n} row{'' if n == 1 else 's'}",
                                 hint="select fewer columns or rows (filters, a LIMIT, shorter values) or raise "
                                 "DATAMORPH_QUERY_MAX_BYTES", sql=text, too_large=True, max_bytes=max_bytes,
                                 rows_read=n) from e  # fmt: skip
        if not e.context.get("timed_out"):
            raise
        raise ExecutionError(f"query stopped after {timeout_s:g} s: it ran longer than the query time limit",
                             hint="narrow the query (more filters, fewer rows or joins) or raise "
                             "DATAMORPH_QUERY_TIMEOUT", sql=text, timeout_s=timeout_s, timed_out=True) from e  # fmt: skip
    columns, renamed = unique_names(res.columns)
    return CheckedResult(columns, res.rows, res.truncated, renamed)

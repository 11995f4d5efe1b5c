"""The user's CSV and Parquet files: which files a path means, how to read them, and whether a CSV
file's header and delimiter make sense before it becomes a table.

Every engine reads files through here: the DuckDB engine with its own readers (``register`` views,
``load`` tables), PostgreSQL and Spark by reading them with DuckDB (:func:`file_reader`) and copying the
rows (COPY; Parquet folders). DuckDB's sniffer guesses each CSV file's dialect; where its guess turns a broken
file into a wrong table (one column named ``a,b``, a header line silently skipped, duplicate or
empty column names, an unbalanced quote) :func:`check_csv` refuses the file with the reason and
the fix: an explicit option (:class:`CsvOptions`: ``--delimiter``, ``--header/--no-header``,
``--quote``, ``--encoding``) or a change to the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from datamorph.engines.names import one_line
from datamorph.errors import ConfigError, DataMorphError, SourceDataError

CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
FILE_READERS = ("read_csv", "read_parquet")
FILE_MARK = "datamorph-file:"  # comment on the views (DuckDB) and tables (PostgreSQL) of registered files
# what DuckDB's read_csv decodes without the `encodings` extension (which is never downloaded here)
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf16": "utf-16",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}  # fmt: skip
_LIKELY_DELIMITERS = (",", ";", "\t", "|", ":")
_SCAN_LINES = 2000  # lines of a file read to find the first one whose field count is off
_CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def _show(ch: str) -> str:
    """A delimiter as a user would type it."""
    return "\\t" if ch == "\t" else ch


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files where DuckDB's guess is wrong; None leaves a setting to the sniffer."""

    delimiter: str | None = None
    header: bool | None = None
    quote: str | None = None
    encoding: str | None = None

    @classmethod
    def of(cls, delimiter: str | None = None, header: bool | None = None, quote: str | None = None,
           encoding: str | None = None) -> CsvOptions:  # fmt: skip
        """Options as a user typed them (``\\t`` or ``tab`` for a tab), checked; ConfigError if unusable."""
        if delimiter is not None:
            delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1:
                raise ConfigError(f"--delimiter must be one character, got {delimiter!r}",
                                  hint="for example --delimiter ';' or --delimiter '\\t'")  # fmt: skip
        if quote is not None and len(quote) > 1:
            raise ConfigError(f"--quote must be one character or empty (no quoting), got {quote!r}",
                              hint="for example --quote \"'\" or --quote ''")  # fmt: skip
        if encoding is not None:
            key = encoding.strip().lower()
            if key not in ENCODINGS:
                raise ConfigError(f"unsupported --encoding {encoding!r}",
                                  hint="use utf-8, utf-16 or latin-1 (convert other encodings to UTF-8 first)")  # fmt: skip
            encoding = ENCODINGS[key]
        return cls(delimiter, header, quote, encoding)

    def given(self) -> bool:
        return any(v is not None for v in (self.delimiter, self.header, self.quote, self.encoding))

    def sql_args(self) -> list[str]:
        """The ``read_csv`` arguments these options add (``delim = ';'``, ``header = false``...)."""
        out = []
        if self.delimiter is not None:
            out.append(f"delim = {_literal(self.delimiter)}")
        if self.header is not None:
            out.append(f"header = {'true' if self.header else 'false'}")
        if self.quote is not None:
            out.append(f"quote = {_literal(self.quote)}")
        if self.encoding is not None:
            out.append(f"encoding = {_literal(self.encoding)}")
        return out


@dataclass(frozen=True)
class FileSource:
    """The files a path means and how DuckDB reads them."""

    reader: str  # read_csv or read_parquet
    files: tuple[Path, ...]  # the files there today
    argument: str  # SQL of the reader's path argument: a file, a glob, or a list of files
    source: str  # the absolute path the user gave
    folder: bool


def _kind_of(f: Path) -> str | None:
    low = f.name.lower()
    if low.endswith(CSV_SUFFIXES):
        return "read_csv"
    if low.endswith(PARQUET_SUFFIXES):
        return "read_parquet"
    return None


def file_source(path: str) -> FileSource:
    """What ``path`` (a CSV or Parquet file, or a folder of them) reads; ConfigError for bad input."""
    p = Path(path).expanduser()
    hint = "pass a .csv or .parquet file, or a folder of them"
    if not p.exists():
        raise ConfigError(f"file '{path}' does not exist", hint=hint, path=str(path))
    p = p.resolve()
    if p.is_file():
        reader = _kind_of(p)
        if reader is None:
            raise ConfigError(f"unsupported file type '{p.suffix or p.name}' for '{path}'", hint=hint, path=str(path))
        return FileSource(reader, (p,), _literal(str(p)), str(p), False)
    files = sorted(f for f in p.iterdir() if f.is_file() and _kind_of(f) is not None)
    readers = {r for r in map(_kind_of, files) if r is not None}
    if not files:
        raise ConfigError(f"folder '{path}' has no .csv or .parquet files", hint=hint, path=str(path))
    if len(readers) > 1:
        raise ConfigError(f"folder '{path}' mixes CSV and Parquet files",
                          hint="keep one kind of file per folder, or register the files one by one", path=str(path))  # fmt: skip
    reader = readers.pop()
    suffixes = {"".join(f.suffixes[-2:]) if f.name.lower().endswith(".gz") else f.suffix for f in files}
    if len(suffixes) == 1 and not any(ch in str(p) for ch in "*?[]{}"):
        # a glob keeps a persisted view in step with files added later
        return FileSource(reader, tuple(files), _literal(str(p / f"*{suffixes.pop()}")), str(p), True)
    return FileSource(reader, tuple(files), "[" + ", ".join(_literal(str(f)) for f in files) + "]", str(p), True)


def read_sql(path: str, options: CsvOptions | None = None) -> tuple[str, str]:
    """(DuckDB SELECT reading ``path``, absolute source path), after :func:`check_csv` on every CSV file.

    Raises ConfigError for a bad path or options, SourceDataError for a CSV file that would load wrong.
    """
    src = file_source(path)
    opts = options or CsvOptions()
    args = [src.argument] + (["union_by_name = true"] if src.folder else [])
    if src.reader == "read_csv":
        for f in src.files:
            check_csv(f, opts)
        args += opts.sql_args()
    elif opts.given():
        raise ConfigError(f"CSV options (--delimiter, --header, --quote, --encoding) do not apply to the Parquet "
                          f"files of '{path}'", hint="leave them out", path=str(path))  # fmt: skip
    return f"SELECT * FROM {src.reader}({', '.join(args)})", src.source


# -- checking one CSV file -------------------------------------------------------------


@dataclass(frozen=True)
class _Sniffed:
    delimiter: str
    quote: str  # "" when the file has no quoting
    skip_rows: int
    has_header: bool
    names: list[str]


def file_reader() -> Any:
    """An in-memory DuckDB connection that reads files for every engine (extension downloads off)."""
    import duckdb

    return duckdb.connect(config=dict(_CONNECT_CONFIG))


def _sniff(path: Path, options: CsvOptions) -> _Sniffed:
    import duckdb

    con = file_reader()
    try:
        row = con.execute(
            "SELECT Delimiter, Quote, SkipRows, HasHeader, Columns FROM sniff_csv("
            + ", ".join([_literal(str(path)), *options.sql_args()]) + ")"
        ).fetchone()
    except duckdb.Error as e:
        raise read_error(e, str(path)) from e
    finally:
        con.close()
    assert row is not None  # sniff_csv returns one row
    delim, quote, skip, header, columns = row
    return _Sniffed(
        delimiter="" if delim == "(empty)" else delim.replace("\\t", "\t"),
        quote="" if quote == "(empty)" else quote,
        skip_rows=int(skip or 0),
        has_header=bool(header),
        names=[c["name"] for c in columns],
    )


def _head(path: Path, encoding: str | None) -> str:
    """The first lines of ``path`` as text (gzip-aware), for messages and field counts."""
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        data = b"".join(line for _, line in zip(range(_SCAN_LINES), f, strict=False))
    return data.decode(encoding or "utf-8", errors="replace").lstrip("\ufeff")


def _records(text: str, delimiter: str, quote: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of each record of ``text``; stops at the first record Python's csv cannot parse."""
    kwargs: dict[str, Any] = {"delimiter": delimiter}
    if quote:
        kwargs["quotechar"] = quote
    else:
        kwargs["quoting"] = csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(text), **kwargs)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            if fields:
                out.append((start, fields))
            start = reader.line_num + 1
    except csv.Error:
        pass
    return out


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def check_csv(path: Path, options: CsvOptions | None = None) -> None:
    """Refuse a CSV file that DuckDB would read wrong, saying why and what fixes it.

    Refused: an empty file; a first line that does not fit the rows below it (DuckDB would skip
    it); a file that reads as one column whose header holds a likely delimiter (lines with
    different numbers of fields); a header with empty or duplicate names or an unbalanced quote.
    Options the user gave explicitly are trusted: ``--delimiter`` turns off the one-column check,
    ``--quote`` the quote check.
    """
    opts = options or CsvOptions()
    name = path.name
    if path.stat().st_size == 0:
        raise SourceDataError(f"'{name}' is empty (0 bytes)",
                              hint="write a header line and rows into it, or take it out of the folder", path=str(path))  # fmt: skip
    sniffed = _sniff(path, opts)
    text = _head(path, opts.encoding)
    records = _records(text, sniffed.delimiter or ",", sniffed.quote)
    if not records:
        return
    first = records[0][1]
    delim = _show(sniffed.delimiter)
    if sniffed.skip_rows > 0:
        raw = text.splitlines()[0] if text else ""
        bad = next(((n, f) for n, f in records[1:] if len(f) != len(first)), None)
        where = (f"line {bad[0]} has {len(bad[1])} '{delim}'-separated fields where the first line has {len(first)}"
                 if bad else f"the rows have {len(sniffed.names)} fields separated by '{delim}'")  # fmt: skip
        raise SourceDataError(
            f"the first line of '{name}' ('{_clip(raw)}') does not fit the rows below it ({where}), "
            f"so DuckDB would skip the first {sniffed.skip_rows} line(s)",
            hint="give every line the same delimiter and as many fields as the header (or remove the odd lines); "
            "pass --delimiter or --no-header if the guess is wrong",
            path=str(path),
        )
    if not sniffed.has_header:
        return
    if len(sniffed.names) == 1 and opts.delimiter is None:
        _one_column(path, text, sniffed)
    _header_names(path, first, sniffed, opts)


def _one_column(path: Path, text: str, sniffed: _Sniffed) -> None:
    """A file read as one column although its header holds a likely delimiter: its lines disagree."""
    header = sniffed.names[0]
    found = [d for d in _LIKELY_DELIMITERS if d in header and d != sniffed.delimiter]
    if not found:
        return
    cand = max(found, key=header.count)
    records = _records(text, cand, '"')
    width = len(records[0][1]) if records else 0
    bad = next(((n, f) for n, f in records[1:] if len(f) != width), None)
    shown = _show(cand)
    if bad is None:  # the lines agree: DuckDB did not try this delimiter
        raise SourceDataError(
            f"'{path.name}' reads as one column named '{_clip(header)}' although its lines have {width} "
            f"'{shown}'-separated fields",
            hint=f"pass --delimiter '{shown}' if '{shown}' is the delimiter",
            path=str(path),
        )
    raise SourceDataError(
        f"'{path.name}' reads as one column named '{_clip(header)}': line {bad[0]} has {len(bad[1])} "
        f"'{shown}'-separated fields where the header has {width}",
        hint=f"give every line as many fields as the header (quote values that contain '{shown}'), "
        f"or pass --delimiter if '{shown}' is not the delimiter",
        path=str(path),
    )


def _header_names(path: Path, fields: list[str], sniffed: _Sniffed, opts: CsvOptions) -> None:
    name = path.name
    if len(fields) != len(sniffed.names):
        raise SourceDataError(
            f"the header of '{name}' has {len(fields)} field(s) but its rows have {len(sniffed.names)} "
            f"(delimiter '{_show(sniffed.delimiter)}')",
            hint="give the header one name per column, or pass --delimiter / --no-header if the guess is wrong",
            path=str(path),
        )
    if not sniffed.quote and opts.quote is None:
        stray = next((f for f in fields if '"' in f), None)
        if stray is not None:
            raise SourceDataError(
                f"the header of '{name}' has an unbalanced quote in '{_clip(stray)}'",
                hint="close or remove the quote; pass --quote '' if '\"' is part of the name",
                path=str(path),
            )
    seen: dict[str, int] = {}
    for i, field in enumerate(fields, 1):
        if not field.strip():
            raise SourceDataError(
                f"column {i} of the header of '{name}' has no name",
                hint="name every column in the header line (a trailing delimiter makes an empty last column), "
                "or pass --no-header if the first line is data",
                path=str(path),
            )
        key = field.strip().lower()
        if key in seen:
            raise SourceDataError(
                f"the header of '{name}' names column '{field.strip()}' twice (columns {seen[key]} and {i})",
                hint="give every column its own name (names are case-insensitive), "
                "or pass --no-header if the first line is data",
                path=str(path),
            )
        seen[key] = i


# -- errors while reading --------------------------------------------------------------


def read_error(err: BaseException, source: str) -> DataMorphError:
    """A DuckDB error from reading a CSV or Parquet file as one line with its fix."""
    text = str(err)
    name = Path(source).name or source
    line = re.search(r"CSV Error on Line: (\d+)", text)
    original = re.search(r"Original Line: ?(.*)", text)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    at = f" (line {line.group(1)})" if line else ""
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return SourceDataError(f"'{name}' is not UTF-8 text{at}",
                               hint="pass --encoding latin-1 (or utf-16) to read it", path=source)  # fmt: skip
    if counts and line:
        shown = f": '{_clip(original.group(1).strip())}'" if original else ""
        return SourceDataError(
            f"line {line.group(1)} of '{name}' has {counts.group(2)} fields where the file has "
            f"{counts.group(1)}{shown}",
            hint="fix or remove that line (quote values that contain the delimiter)",
            path=source,
        )
    return SourceDataError(f"cannot read '{name}'{at}: {one_line(text.split('Possible fixes')[0])}",
                           hint="check that the file is a valid CSV or Parquet file", path=source)  # fmt: skip


# -- what `datamorph load` loads -------------------------------------------------------


@dataclass
class LoadPlan:
    table: str
    select: str
    source: str


def plan_load(path: str, table: str | None = None, options: CsvOptions | None = None) -> list[LoadPlan]:
    """What ``datamorph load PATH [--table NAME]`` loads: a file (or, with ``--table``, a folder) as one
    table, or each file of a folder as a table named after the file. Every CSV file is checked first."""
    p = Path(path).expanduser()
    if p.is_dir() and table is None:
        plans = []
        for f in sorted(p.iterdir()):
            if f.is_file() and _kind_of(f) is not None:
                select, source = read_sql(str(f), options)
                plans.append(LoadPlan(f.name.split(".")[0], select, source))
        if not plans:
            raise ConfigError(f"folder '{path}' has no .csv or .parquet files", path=str(path))
        return plans
    select, source = read_sql(str(p), options)
    return [LoadPlan(table or p.name.split(".")[0], select, source)]


def reader_paths(view_sql: str) -> list[str]:
    """The file paths and globs that the ``read_csv``/``read_parquet`` calls in ``view_sql`` read."""
    import sqlglot

    try:
        tree = sqlglot.parse_one(view_sql, dialect="duckdb")
    except sqlglot.errors.SqlglotError:
        return []
    out: list[str] = []
    for node in tree.find_all(exp.ReadCSV, exp.ReadParquet):
        first = node.this if node.this is not None else (node.expressions[0] if node.expressions else None)
        if first is None:
            continue
        literals = [first] if isinstance(first, exp.Literal) else list(first.find_all(exp.Literal))
        out += [lit.this for lit in literals if lit.is_string]
    return out

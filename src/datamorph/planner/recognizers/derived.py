"""Derived columns: arithmetic, concatenation, date parts, CASE buckets and filled-in missing values.

Also home of small phrase helpers the shape recognizers share (``columns``,
``windows``, ``dedupe``, ``union``): resolving a phrase to a qualified column
or to a name the draft already defines, and naming things in snake_case.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES
from datamorph.errors import PlanError, suggestion
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import NON_SCHEMA_WORDS
from datamorph.planner.recognizers.common import in_play, mark_chars, resolve_column
from datamorph.spec import DerivedColumn

# ---------------------------------------------------------------------------------------------
# shared phrase helpers
# ---------------------------------------------------------------------------------------------

_DETERMINERS = re.compile(r"^(?:the|a|an|its|their|his|her|each|every|all|of|that|this|those|these)\s+", re.I)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILLER = {"the", "a", "an", "its", "their", "of", "each", "every", "column", "field", "value", "number"}


def clean_phrase(phrase: str) -> str:
    """``the customer's email`` → ``customer email``: determiners and possessives off."""
    p = phrase.strip().strip(",;:.()'\"`")
    while True:
        q = _DETERMINERS.sub("", p)
        if q == p:
            break
        p = q
    return re.sub(r"'s\b", "", p).strip()


def snake(text: str) -> str:
    """A snake_case identifier from free text."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return ("c_" + s if s[:1].isdigit() else s) or "value"


def column_phrase(d: Draft, phrase: str, tables: list[str] | None = None, min_score: float = 0.0) -> str | None:
    """The qualified column ``phrase`` names (``orders.amount``), or None.

    ``min_score``: ignore weaker linker matches (``every customer`` is only a partial match of customer_id).
    """
    p = clean_phrase(phrase)
    if not p or p.lower() in _FILLER:
        return None
    if "." in p and _IDENT.match(p.split(".", 1)[1] or "-"):
        t, c = p.split(".", 1)
        if d.catalog.has_table(t) and d.catalog.table(t).has_column(c):
            d.use_table(d.catalog.table(t).name)
            return f"{d.catalog.table(t).name}.{d.catalog.table(t).column(c).name}"
    if tables is not None:
        hits = [h for h in d.linker.columns(p, tables) if h.score >= min_score]
        return f"{hits[0].table}.{hits[0].column}" if hits else None
    if min_score:
        scoped = [h for h in d.linker.columns(p, in_play(d)) if h.score >= min_score] if in_play(d) else []
        if not scoped and not [h for h in d.linker.columns(p) if h.score >= min_score]:
            return None
    m = resolve_column(d, p)
    return f"{m.table}.{m.column}" if m else None


def defined_name(d: Draft, phrase: str) -> str | None:
    """A name the draft defines (aggregation alias, derived, window) that ``phrase`` refers to, loosely."""
    p = clean_phrase(phrase).lower()
    if not p:
        return None
    key = snake(p)
    names = [*(x.name for x in d.derived), *(a.alias for a in d.aggregations), *(w.name for w in d.windows)]
    for n in names:
        if n.lower() == key:
            return n
    words = set(key.split("_")) - _FILLER
    for n in names:  # "the order count" ~ order_count, "count of orders" ~ order_count
        parts = set(n.lower().split("_"))
        stems = {w.rstrip("s") for w in words}
        if words and stems <= {x.rstrip("s") for x in parts} | {"count", "number", "total", "sum"} and (
            stems & {x.rstrip("s") for x in parts}
        ):
            return n
    for el in [*d.derived, *d.aggregations, *d.windows]:  # the words that defined it
        prov = (el.provenance or "").lower()
        if prov and len(p) > 3 and (p in prov or prov in p):
            return el.name if hasattr(el, "name") else el.alias  # type: ignore[union-attr]
    return None


def column_error(d: Draft, phrase: str, what: str = "column") -> PlanError:
    """A PlanError quoting ``phrase`` with the nearest column names."""
    names = [c.name for t in in_play(d) or d.catalog.table_names() for c in d.catalog.table(t).columns]
    hint = suggestion(clean_phrase(phrase).replace(" ", "_"), names) or (
        f"columns are: {', '.join(names[:15])}" if names else None
    )
    return PlanError(f"no {what} matches '{phrase.strip()}'", hint=hint)


def mark_span(d: Draft, start: int, end: int) -> None:
    mark_chars(d, start, end)


def stem(column: str) -> str:
    """``hire_date`` → ``hire``, ``created_at`` → ``created``: a column's name without its date suffix."""
    bare = column.split(".")[-1]
    return re.sub(r"_(date|at|on|time|timestamp|ts|dt)$", "", bare) or bare


# ---------------------------------------------------------------------------------------------
# arithmetic in words and symbols
# ---------------------------------------------------------------------------------------------

_OP_WORDS = [
    (r"multiplied\s+by|times|x|\*|×", "*", "times"),
    (r"divided\s+by|/", "/", "per"),
    (r"plus|\+", "+", "plus"),
    (r"minus|less|-", "-", "minus"),
]
_OP = re.compile(r"\s*(?:(" + "|".join(f"(?:{p})" for p, _, _ in _OP_WORDS) + r"))\s*", re.I)
_OPERAND_END = re.compile(
    r"\s*(?:[,;.?!]|\b(?:and|as|called|named|where|for|from|with|in|per|by|sorted|ordered|grouped|only|then|into|"
    r"which|that|to|if|when|but|including|plus)\b|$)",
    re.I,
)
_NAME_BEFORE = re.compile(
    r"(?:\b(?:called|named)\s+([A-Za-z_]\w*)\s*(?:=|:|as|which\s+is|that\s+is|being|computed\s+as|calculated\s+as|"
    r"from|by)?\s*|\b([A-Za-z_]\w*)\s*(?:=|:)\s*|\b([A-Za-z_]\w*)\s+(?:(?:computed|calculated|defined)\s+)?as\s+)$",
    re.I,
)
_NAME_AFTER = re.compile(
    r"^\s*(?:,\s*)?(?:\(\s*call\s+it\s+([A-Za-z_]\w*)\s*\)|(?:as|called|named|aliased\s+as|into\s+a\s+column)\s+"
    r"([A-Za-z_]\w*))",
    re.I,
)


def _symbol_of(op_text: str) -> tuple[str, str]:
    for pat, sym, word in _OP_WORDS:
        if re.fullmatch(pat, op_text.strip(), re.I):
            return sym, word
    return "*", "times"


_ARITH = re.compile(
    r"(?P<expr>(?:\(?\s*(?:[A-Za-z_][\w.']*(?:\s+[A-Za-z_][\w.']*){0,3}|\d[\d,]*(?:\.\d+)?)\s*\)?\s*"
    r"(?:\bmultiplied\s+by\b|\bdivided\s+by\b|\btimes\b|\bx\b|\*|×|/|\bplus\b|\+|\bminus\b|-(?!>))\s*)+"
    r"\(?\s*(?:[A-Za-z_][\w.']*(?:\s+[A-Za-z_][\w.']*){0,3}|\d[\d,]*(?:\.\d+)?)\s*\)*)",
    re.I,
)


_PART_OF = re.compile(r"^(?:the\s+)?(?P<part>year|month|quarter|day|week|hour)\s+(?:of|from|in)\s+(?:the\s+)?"
                      r"(?P<col>[A-Za-z_][\w.]*(?:\s+[A-Za-z_]\w*)?)$", re.I)


def parse_arithmetic(d: Draft, text: str) -> tuple[str, list[str]] | None:
    """``quantity x unit price x (1 - discount)`` → (SQL, operand names); None if an operand is not a column.

    A failed attempt leaves the draft's tables as they were.
    """
    base, tables = d.base, list(d.tables)
    parsed = _parse_arithmetic(d, text)
    if parsed is None:
        d.base, d.tables = base, tables
    return parsed


def _parse_arithmetic(d: Draft, text: str) -> tuple[str, list[str]] | None:
    parts = re.split(r"(\(|\)|\bmultiplied\s+by\b|\bdivided\s+by\b|\btimes\b|\bx\b|\*|×|/|\bplus\b|\+|\bminus\b|"
                     r"(?<![A-Za-z])-(?![A-Za-z>]))", text, flags=re.I)  # fmt: skip
    out: list[str] = []
    names: list[str] = []
    ops = 0
    for raw in parts:
        if raw is None or not raw.strip():
            continue
        piece = raw.strip()
        if piece in "()":
            out.append(piece)
            continue
        if re.fullmatch(_OP_WORDS[0][0] + "|" + _OP_WORDS[1][0] + "|plus|\\+|minus|-", piece, re.I):
            sym, word = _symbol_of(piece)
            out.append(f" {sym} ")
            names.append(word)
            ops += 1
            continue
        num = piece.replace(",", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", num):
            out.append(num)
            names.append(num.replace(".", "_"))
            continue
        part = _PART_OF.match(piece)
        if part:  # "2025 - year of hire_date"
            col = _date_col(d, part.group("col"))
            if col is None:
                return None
            out.append(f"{_PART_SQL[part.group('part').lower()]}({col})")
            names.append(f"{stem(col)}_{part.group('part').lower()}")
            continue
        first, last = piece.split()[0].lower(), piece.split()[-1].lower()
        if {first, last} & (_CONNECTIVES | NON_SCHEMA_WORDS) - {"the", "a", "an"} or " of " in f" {piece.lower()} ":
            return None  # "as quantity", "sum of quantity", "unit_price per": an operand is a name, not a clause
        dn = defined_name(d, piece)
        col = None if dn else column_phrase(d, piece, min_score=0.8)
        if dn is None and col is None:
            return None
        if col and _family(d, col) not in NUMERIC_FAMILIES | TEMPORAL_FAMILIES:
            return None  # "amount - discount" cannot mean a text column (discount_code)
        out.append(dn or col or "")
        names.append((dn or col or "").split(".")[-1])
    if ops == 0 or out.count("(") != out.count(")") or len(names) != 2 * ops + 1:
        return None  # no operator, unbalanced, or an operator without an operand on each side
    return "".join(out).replace("( ", "(").strip(), names


# ---------------------------------------------------------------------------------------------
# the recognizer
# ---------------------------------------------------------------------------------------------

_CW = r"(?!(?:and|with|by|the|a|an)\b)[A-Za-z_][\w']*"  # a word of a concatenated column's name
_CONCAT = re.compile(
    r"\b(?:(?P<name>[A-Za-z_]\w*)\s+(?:by|from|as|=|:)\s+)?(?:(?:putting|combining|concatenating|joining|gluing|"
    rf"merging)\s+)?(?:the\s+)?(?P<a>{_CW}(?:\s+{_CW}){{0,2}}?)\s+(?:and|with|\+|\|\|)\s+"
    rf"(?:the\s+)?(?P<b>{_CW}(?:\s+{_CW}){{0,2}}?)\s+"
    r"(?:names?\s+)?(?:(?:put\s+)?together\s+|joined\s+|glued\s+|combined\s+|concatenated\s+|separated\s+)?"
    r"(?:with|by|and)\s+(?:a\s+(?:single\s+)?|one\s+)?"
    r"(?P<sep>space|comma|dash|hyphen|underscore|slash|'[^']*')(?:\s+(?:between|in\s+between)(?:\s+them)?)?",
    re.I,
)
_CONNECTIVES = frozenset({"with", "and", "as", "is", "are", "but", "plus", "or", "to", "by", "of", "for", "from", "in",
                          "computed", "calculated", "called", "named", "where", "when", "if", "then", "that", "which"})
_SEPARATORS = {"space": " ", "comma": ", ", "dash": " - ", "hyphen": "-", "underscore": "_", "slash": "/"}

_DATE_PART = re.compile(
    r"\b(?:the\s+)?(?P<parts>(?:year|month|quarter|day|week|weekday|day\s+of\s+(?:the\s+)?week|hour)"
    r"(?:\s*(?:,|and|&)\s*(?:the\s+)?(?:year|month|quarter|day|week|weekday|day\s+of\s+(?:the\s+)?week|hour))*)"
    r"(?:\s+numbers?)?\s+(?:(?:of|from|in)\s+(?:the\s+|its\s+|their\s+)?(?P<col>[A-Za-z_][\w.]*(?:\s+[A-Za-z_]\w*)?)"
    r"|(?:it|they|he|she)\s+(?:was\s+|were\s+)?(?P<verb>[a-z]+(?:\s+up)?))",
    re.I,
)
_PART_SQL = {"year": "year", "month": "month", "quarter": "quarter", "day": "day", "week": "week",
             "weekday": "dayofweek", "hour": "hour"}  # fmt: skip
_TRUNC = re.compile(
    r"\b(?:the\s+)?(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?\s+)?(?P<unit>month|week|quarter|year)\s+(?:as|=)\s+"
    r"(?:the\s+)?first\s+day\s+of\s+(?:the|its|that)\s+(?:month|week|quarter|year)",
    re.I,
)
_DATE_OF = re.compile(
    r"\b(?:the\s+)?(?:calendar\s+)?date\s+(?:part\s+)?of\s+(?:the\s+)?(?P<col>[A-Za-z_][\w.]*)"
    r"|\b(?P<col2>[A-Za-z_][\w.]*)\s+as\s+a\s+(?:plain\s+|calendar\s+)?date\b",
    re.I,
)
_FILL = re.compile(
    r"\b(?:where|when|if)\s+(?:the\s+)?(?P<col>[\w' ]{1,30}?)\s+(?:is|are)\s+(?:missing|null|empty|blank|unknown|"
    r"not\s+set)\s*,?\s*(?:put|use|show|write|fill\s+in|set\s+it\s+to|make\s+it)\s+(?P<val>'[^']*'|-?[\d,.]+)"
    r"|\b(?:(?:but|and|also)\s+)?(?:replace|fill(?:\s+in)?)\s+(?:the\s+)?(?:missing|null|empty|blank)\s+(?P<col2>[\w' ]{1,30}?)\s+"
    r"(?:values?\s+)?(?:with|by|as)\s+(?P<val2>'[^']*'|-?[\d,.]+)"
    r"|\btreat\s+(?:missing|null|empty)\s+(?P<col3>[\w' ]{1,30}?)\s+as\s+(?P<val3>'[^']*'|-?[\d,.]+)"
    r"|\b(?P<col4>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,3}?)\s+(?:defaulting|defaulted|default)\s+to\s+"
    r"(?P<val4>'[^']*'|-?[\d,.]+|zero|one|two|three|four|five|ten)"
    r"(?:\s+(?:when|if|where)\s+(?:it\s+is\s+|it's\s+)?(?:missing|null|empty|blank))?",
    re.I,
)


def recognize(d: Draft) -> None:
    """Find derived columns in the request; add them to ``d.derived``."""
    _concatenations(d)
    _fills(d)
    _arithmetic(d)  # before date parts: "2025 - year of hire_date" is one expression
    _date_parts(d)
    _buckets(d)


def _unused(d: Draft, start: int, end: int) -> bool:
    return all(not t.used for t in d.tokens.items if t.start >= start and t.end <= end)


def _add(d: Draft, name: str, expression: str, start: int, end: int) -> None:
    if name.lower() in d.defined_names():
        raise PlanError(f"the name '{name}' is given to two new columns", hint="give each a different name")
    d.derived.append(DerivedColumn(name=name, expression=expression, provenance=d.prompt[start:end].strip()))
    mark_span(d, start, end)
    intro = _INTRO.search(d.prompt[max(0, start - 40) : start])
    if intro:  # "plus a column ...", "adding a new field ..."
        mark_span(d, start - (min(start, 40) - intro.start()), start)


_INTRO = re.compile(r"\b(?:plus|adding|add|also)\s+(?:(?:a|an|the)\s+)?(?:new\s+)?(?:(?:derived|computed|calculated|"
                    r"extra)\s+)?(?:(?:column|field)\s+)?$", re.I)  # fmt: skip


def _name_around(d: Draft, start: int, end: int) -> tuple[str | None, int, int]:
    """A name given just before or after [start, end): ``X = ...``, ``... as X``, ``(call it X)``."""
    before = _NAME_BEFORE.search(d.prompt[max(0, start - 60) : start])
    if before:
        name = next(g for g in before.groups() if g)
        if not (name.lower() in ("is", "it", "with", "and", "a", "the") or _is_column(d, name)):
            return name, start - (len(d.prompt[max(0, start - 60) : start]) - before.start()), end
    after = _NAME_AFTER.match(d.prompt[end:])
    if after:
        return next(g for g in after.groups() if g), start, end + after.end()
    return None, start, end


def _is_column(d: Draft, word: str) -> bool:
    return any(d.catalog.table(t).has_column(word) for t in in_play(d))


def _concatenations(d: Draft) -> None:
    for m in _CONCAT.finditer(d.prompt):
        if not _unused(d, m.start("a"), m.end()):
            continue
        noun = re.match(r"\s+(names?)\b", d.prompt[m.end("b") :], re.I)  # "first and last name(s)"
        refs = []
        for g in ("a", "b"):
            words = m.group(g)
            ref = column_phrase(d, f"{words} {noun.group(1)}", min_score=0.8) if noun else None
            refs.append(ref or column_phrase(d, words, min_score=0.8))
        a, b = refs
        if a is None or b is None or a == b:
            continue
        sep_word = m.group("sep").lower()
        sep = sep_word[1:-1] if sep_word.startswith("'") else _SEPARATORS[sep_word]
        name, start, end = _name_around(d, m.start("a") if not m.group("name") else m.start(), m.end())
        name = m.group("name") or name or f"{a.split('.')[-1]}_{b.split('.')[-1]}"
        sql_sep = sep.replace("'", "''")
        _add(d, name, f"{a} || '{sql_sep}' || {b}", start, end)


def _fills(d: Draft) -> None:
    for m in _FILL.finditer(d.prompt):
        if not _unused(d, m.start() if not m.group("col4") else m.end("col4"), m.end()):
            continue
        group = next(g for g in ("col", "col2", "col3", "col4") if m.group(g))
        raw = next(m.group(g) for g in ("val", "val2", "val3", "val4") if m.group(g)).rstrip(".,")
        start = m.start()
        if group == "col4":  # "employees with rating defaulting to 0": the column is the shortest ending
            found = _trailing_column(d, m.group("col4"))
            if found is None:
                words = m.group("col4").split()
                tail = [w for w in words[next((i + 1 for i in range(len(words) - 1, -1, -1)
                                               if words[i].lower() in _CONNECTIVES), 0):]]  # fmt: skip
                raise column_error(d, " ".join(tail or words[-1:]))
            col, offset = found
            start = m.start("col4") + offset
            if not _unused(d, start, m.end()):
                continue
        else:
            col = column_phrase(d, m.group(group))
            if col is None:
                raise column_error(d, m.group(group))
        value = raw if raw.startswith("'") else str(_SMALL.get(raw.lower(), raw.replace(",", "")))
        name, start, end = _name_around(d, start, m.end())
        _add(d, name or col.split(".")[-1], f"coalesce({col}, {value})", start, end)


_SMALL = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}


def _trailing_column(d: Draft, phrase: str) -> tuple[str, int] | None:
    """The column the last words of ``phrase`` name, and where those words start in it."""
    words = list(re.finditer(r"\S+", phrase))
    for k in range(len(words)):
        if words[k].group().lower() in _CONNECTIVES:
            continue
        col = column_phrase(d, phrase[words[k].start() :], min_score=0.8)
        if col:
            return col, words[k].start()
    return None


def _date_col(d: Draft, phrase: str | None) -> str | None:
    if phrase:
        col = column_phrase(d, phrase)
        if col and _family(d, col) in ("date", "timestamp"):
            return col
    dates = [f"{t}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if c.family in ("date", "timestamp")]  # fmt: skip
    return dates[0] if len(dates) == 1 else None


def _family(d: Draft, col: str) -> str:
    t, c = col.split(".")
    return d.catalog.table(t).column(c).family


def _date_parts(d: Draft) -> None:
    for m in _TRUNC.finditer(d.prompt):
        if not _unused(d, m.start(), m.end()):
            continue
        col = _date_col(d, m.group("col"))
        if col is None:
            raise column_error(d, m.group("col") or m.group(0), "date column")
        unit = m.group("unit").lower()
        name, start, end = _name_around(d, m.start(), m.end())
        _add(d, name or f"{stem(col)}_{unit}", f"CAST(date_trunc('{unit}', {col}) AS DATE)", start, end)
    for m in _DATE_OF.finditer(d.prompt):
        if not _unused(d, m.start(), m.end()):
            continue
        col = _date_col(d, m.group("col") or m.group("col2"))
        if col is None:
            continue
        name, start, end = _name_around(d, m.start(), m.end())
        _add(d, name or f"{stem(col)}_date" if not col.endswith("_date") else name or f"{stem(col)}_day",
             f"CAST({col} AS DATE)", start, end)  # fmt: skip
    _stem_parts(d)
    for m in _DATE_PART.finditer(d.prompt):
        if not _unused(d, m.start(), m.end()):
            continue
        if re.search(r"\b(?:by|per|each|every|group(?:ed)?)\s+(?:the\s+)?$", d.prompt[max(0, m.start() - 20) : m.start()], re.I):
            continue  # "revenue by year of order date" is a grouping (aggregates)
        col = _date_col(d, m.group("col") or m.group("verb"))
        if col is None:
            continue
        parts = re.findall(r"day\s+of\s+(?:the\s+)?week|year|month|quarter|weekday|week|day|hour", m.group("parts"), re.I)
        name, start, end = _name_around(d, m.start(), m.end())
        for i, part in enumerate(parts):
            key = "weekday" if part.lower().startswith("day of") else part.lower()
            pname = name if name and len(parts) == 1 else f"{stem(col)}_{key}"
            _add(d, pname, f"{_PART_SQL[key]}({col})", start if i == 0 else start, end)


_STEM_PART = re.compile(r"\b(?P<stem>[A-Za-z_]\w*)\s+(?P<part>year|month|quarter|week|weekday|hour)\b", re.I)
_GROUPING_BEFORE = re.compile(r"\b(?:by|per|each|every|group(?:ed)?|for)\s+(?:the\s+)?$", re.I)


def _stem_parts(d: Draft) -> None:
    """"hire year", "signup month": a part of the date column named by its stem (hire_date, signup_date)."""
    dates = {stem(f"{t}.{c.name}").lower(): f"{t}.{c.name}" for t in in_play(d)
             for c in d.catalog.table(t).columns if c.family in ("date", "timestamp")}  # fmt: skip
    for m in _STEM_PART.finditer(d.prompt):
        col = dates.get(m.group("stem").lower())
        if col is None or not _unused(d, m.start(), m.end()):
            continue
        if _GROUPING_BEFORE.search(d.prompt[max(0, m.start() - 20) : m.start()]):
            continue  # "revenue by order month" is a grouping (aggregates)
        key = m.group("part").lower()
        name, start, end = _name_around(d, m.start(), m.end())
        _add(d, name or f"{stem(col)}_{key}", f"{_PART_SQL[key]}({col})", start, end)


# -- CASE buckets ------------------------------------------------------------------------------

_LABEL = r"(?:'[^']*'|\"[^\"]*\")"
_BRANCH = re.compile(
    rf"(?P<label>{_LABEL})\s+(?:(?:when|if|for|where)\s+(?P<cond>[^,;]+?)|(?P<else>otherwise|else|below|above|"
    r"for\s+(?:the\s+rest|everything\s+else|all\s+others|the\s+others)|in\s+all\s+other\s+cases))"
    r"(?=\s*(?:,|;|\.|\band\b|\bor\b(?!\s+(?:more|less|above|below|greater|higher|lower|fewer|over|under|"
    r"equal|after|before|later|earlier)\b)|\botherwise\b|\belse\b|$|'))"
    rf"|(?:when|if)\s+(?P<cond2>[^,;]+?)\s*,?\s*(?:then\s+)?(?P<label2>{_LABEL})"
    rf"|(?:otherwise|else)\s*,?\s*(?P<label3>{_LABEL})",
    re.I,
)
_CMP = [
    (r"(?:is\s+)?(?P<v>\S+)\s+or\s+(?:more|above|greater|higher|over)", ">="),
    (r"(?:is\s+)?(?P<v>\S+)\s+or\s+(?:less|below|fewer|lower|under)", "<="),
    (r"(?:is\s+)?(?:at\s+least|>=|no\s+less\s+than)\s+(?P<v>\S+)", ">="),
    (r"(?:is\s+)?(?:at\s+most|<=|no\s+more\s+than|up\s+to)\s+(?P<v>\S+)", "<="),
    (r"(?:is\s+)?(?:more\s+than|greater\s+than|over|above|exceeds|>|higher\s+than)\s+(?P<v>\S+)", ">"),
    (r"(?:is\s+)?(?:less\s+than|under|below|<|lower\s+than|fewer\s+than)\s+(?P<v>\S+)", "<"),
    (r"(?:is\s+not|isn't|!=|<>)\s+(?P<v>\S+)", "!="),
    (r"(?:is|=|==|equals|is\s+equal\s+to)\s+(?P<v>\S+)", "="),
]  # fmt: skip
_NULL_COND = re.compile(
    r"^(?:there\s+is\s+no|there's\s+no|no|missing|without\s+(?:a|an)?)\s+(?P<c1>.+)$|^(?P<c2>.+?)\s+(?:is|are)\s+"
    r"(?:missing|null|empty|blank|not\s+set|unknown)$",
    re.I,
)


def _condition(d: Draft, text: str) -> str | None:
    text = clean_phrase(text.strip())
    m = _NULL_COND.match(text)
    if m:
        col = column_phrase(d, m.group("c1") or m.group("c2"))
        return f"{col} IS NULL" if col else None
    for pat, op in _CMP:
        mm = re.search(rf"\s*\b{pat}$" if not pat.startswith("(?:is\\s+)?(?P<v>") else rf"\s+{pat}$", text, re.I)
        if mm is None:
            mm = re.search(rf"\s*{pat}$", text, re.I)
        if mm is None:
            continue
        col = column_phrase(d, text[: mm.start()])
        raw = mm.group("v").strip(",.")
        if col is None or not raw:
            continue
        if raw.startswith(("'", '"')):
            val = "'" + raw[1:-1].replace("'", "''") + "'"
        elif re.fullmatch(r"-?[\d,]+(?:\.\d+)?k?", raw, re.I):
            from datamorph.planner.text import parse_number

            val = str(parse_number(raw))
        else:
            hits = d.linker.values(raw, [col.split(".")[0]])
            if not hits:
                continue
            val = "'" + str(hits[0].value).replace("'", "''") + "'"
        return f"{col} {op} {val}"
    return None


def _buckets(d: Draft) -> None:
    branches = [m for m in _BRANCH.finditer(d.prompt) if _unused(d, m.start(), m.end())]
    if not branches:
        return
    groups: list[list[re.Match[str]]] = [[branches[0]]]
    for m in branches[1:]:
        gap = d.prompt[groups[-1][-1].end() : m.start()]
        if re.fullmatch(r"[\s,;]*(?:and|or|otherwise|else)?[\s,;]*", gap, re.I):
            groups[-1].append(m)
        else:
            groups.append([m])
    for group in groups:
        whens: list[tuple[str, str]] = []
        default: str | None = None
        for m in group:
            label = (m.group("label") or m.group("label2") or m.group("label3"))
            lit = "'" + label[1:-1].replace("'", "''") + "'"
            cond_text = m.group("cond") or m.group("cond2")
            if cond_text is None:
                default = lit
                continue
            cond = _condition(d, cond_text)
            if cond is None:
                raise PlanError(f"could not read the condition '{cond_text.strip()}'",
                                hint="write it like 'amount over 500' or 'credit_limit is missing'")  # fmt: skip
            whens.append((cond, lit))
        if not whens:
            continue
        whens.sort(key=lambda w: not w[0].endswith("IS NULL"))  # NULL checks first
        sql = "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in whens) + (f" ELSE {default}" if default else "") + " END"
        start, end = group[0].start(), group[-1].end()
        name, start, end = _bucket_name(d, start, end, whens[0][0].split(" ")[0])
        _add(d, name, sql, start, end)


_BUCKET_BEFORE = re.compile(
    r"(?:(?:a|an|the)\s+)?(?:(?:new\s+)?(?:column|field|flag|label|bucket|tier|band)\s+(?:called|named)\s+"
    r"(?P<n1>[A-Za-z_]\w*)|(?P<n2>[A-Za-z_]\w*)\s+(?:column|field|flag|label|bucket|tier|band)|(?P<n3>[A-Za-z_]\w*)"
    r"\s*=|(?:called|named)\s+(?P<n4>[A-Za-z_]\w*))\s*(?::|=|-|,|that\s+is|which\s+is|saying|showing|with)?\s*$",
    re.I,
)


def _bucket_name(d: Draft, start: int, end: int, col: str) -> tuple[str, int, int]:
    before = _BUCKET_BEFORE.search(d.prompt[max(0, start - 60) : start])
    if before:
        name = next(g for g in before.group("n1", "n2", "n3", "n4") if g)
        if name.lower() not in ("a", "the", "new", "with", "and"):
            return name, start - (len(d.prompt[max(0, start - 60) : start]) - before.start()), end
    name, s, e = _name_around(d, start, end)
    return name or f"{col.split('.')[-1]}_bucket", s, e


# -- arithmetic --------------------------------------------------------------------------------


_AGG_LEAD = re.compile(r"\b(?:sum|total|average|avg|mean|min|minimum|max|maximum)\s+(?:of\s+)?(?:the\s+)?\(?\s*$", re.I)
_LIST_AFTER = re.compile(r"[^.;!?\n]*?(?:,|\band\b)")


def _arithmetic(d: Draft) -> None:
    for m in _ARITH.finditer(d.prompt):
        text = m.group("expr")
        # trim leading words that are not part of the first operand ("with line_total = quantity ...")
        s, e = m.start("expr"), m.end("expr")
        lead = re.match(r"^(?:[A-Za-z_]\w*\s*(?:=|:)\s*)", text)
        if lead:
            s += lead.end()
            text = text[lead.end() :]
        words = list(re.finditer(r"\S+", text))
        parsed = None
        for k in range(min(4, len(words))):  # drop up to 3 words before the first operand ...
            for j in range(min(4, len(words) - k)):  # ... and up to 3 after the last
                a, b = s + words[k].start(), s + words[len(words) - 1 - j].end()
                if not _unused(d, a, b):
                    continue
                parsed = parse_arithmetic(d, d.prompt[a:b])
                if parsed:
                    break
            if parsed:
                s, e = a, b
                break
        if parsed is None:
            continue
        sql, names = parsed
        # ignore "5 x" style noise: a real expression reads at least one column
        if "." not in sql and not any(n in d.defined_names() for n in names):
            continue
        if _AGG_LEAD.search(d.prompt[max(0, s - 30) : s]):
            continue  # "sum of quantity times unit price": an aggregate of the expression (aggregates)
        dash = re.search(r"\s-\s", d.prompt[s:e])
        if dash and _LIST_AFTER.match(d.prompt[s + dash.end() :]):
            continue  # "orders over 1,000 - order_id and amount": the dash introduces a list
        name, start, end = _name_around(d, s, e)
        _add(d, name or snake("_".join(names)), sql, start, end)


def drop_unreferenced(d: Draft, phrase: str, keep: str | None = None) -> None:
    """A table named only as a key ("per employee", "within each category") is not joined.

    Sources adds every table the request names; when ``phrase`` names a table that no
    qualified column of the draft uses, take it out again (making ``keep`` the base if it was).
    """
    hits = d.linker.tables(clean_phrase(phrase))
    if not hits:
        return
    table = getattr(hits[0], "table", hits[0])
    if table == keep:
        return
    dump = " ".join(str(x.model_dump()) for x in [*d.filters, *d.derived, *d.aggregations, *d.having,
                                                    *d.windows, *d.columns, *d.order_by])  # fmt: skip
    dump += " " + " ".join(d.group_by) + " " + str(d.dedupe.model_dump() if d.dedupe else "")
    if f"{table}." in dump:
        return
    if table in d.tables:
        d.tables.remove(table)
    elif table == d.base and keep is not None:
        d.base = keep
        if keep in d.tables:
            d.tables.remove(keep)

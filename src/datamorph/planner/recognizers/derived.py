"""Derived columns: arithmetic, concatenation and filled-in missing values; date parts (``dateparts``)
and CASE buckets (``buckets``) are read from here too.

The shared phrase helpers live in ``derivekit`` and are re-exported here for the other recognizers.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NON_SCHEMA_WORDS
from datamorph.planner.recognizers.derivekit import (
    CONNECTIVES,
    PART_SQL,
    Scope,
    Work,
    add,
    clean_phrase,
    column_error,
    column_phrase,
    date_col,
    defined_name,
    drop_unreferenced,
    family,
    is_key,
    listed_names,
    name_around,
    row_scope,
    snake,
    stem,
)

__all__ = ["clean_phrase", "column_error", "column_phrase", "concatenations", "defined_name", "drop_unreferenced",
           "fills", "arithmetic", "rounding", "parse_arithmetic", "row_scope", "snake", "stem"]

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

def _symbol_of(op_text: str) -> tuple[str, str]:
    for pat, sym, word in _OP_WORDS:
        if re.fullmatch(pat, op_text.strip(), re.I):
            return sym, word
    return "*", "times"


# An operand's first token is atomic and starts at a token boundary: a long run of digits or letters
# is read once, not re-split at every position (which made a 4,000-digit request take seconds).
_ARITH = re.compile(
    r"(?<![\w.',])(?P<expr>(?:\(?\s*(?:(?>[A-Za-z_][\w.']*)(?:\s+[A-Za-z_][\w.']*){0,3}|(?>\d[\d,]*(?:\.\d+)?))\s*\)?\s*"
    r"(?:\bmultiplied\s+by\b|\bdivided\s+by\b|\btimes\b|\bx\b|\*|×|/|\bplus\b|\+|\bminus\b|-(?!>))\s*)+"
    r"\(?\s*(?:(?>[A-Za-z_][\w.']*)(?:\s+[A-Za-z_][\w.']*){0,3}|(?>\d[\d,]*(?:\.\d+)?))\s*\)*)",
    re.I,
)


_PART_OF = re.compile(r"^(?:the\s+)?(?P<part>year|month|quarter|day|week|hour)\s+(?:of|from|in)\s+(?:the\s+)?"
                      r"(?P<col>[A-Za-z_][\w.]*(?:\s+[A-Za-z_]\w*)?)$", re.I)


def parse_arithmetic(d: Scope, text: str) -> tuple[str, list[str]] | None:
    """``hours x hourly rate x (1 + surcharge)`` → (SQL, operand names); None if an operand is not a column.

    A failed attempt leaves the tables (of the draft, or of the :class:`Work`) as they were.
    """
    if isinstance(d, Work):
        snap = d.snapshot()
        parsed = _parse_arithmetic(d, text)
        if parsed is None:
            d.restore(snap)
        return parsed
    base, tables = d.base, list(d.tables)
    parsed = _parse_arithmetic(d, text)
    if parsed is None:
        d.base, d.tables = base, tables
    return parsed


def _own_words(d: Scope, piece: str, words: set[str]) -> bool:
    """``list price``: words that are part of the name of the column the piece names are no connectives."""
    col = column_phrase(d, piece, min_score=0.9)
    return col is not None and words <= set(col.split(".")[-1].lower().split("_"))


def _parse_arithmetic(d: Scope, text: str) -> tuple[str, list[str]] | None:
    parts = re.split(r"(\(|\)|\bmultiplied\s+by\b|\bdivided\s+by\b|\btimes\b|\bx\b|\*|×|/|\bplus\b|\+|\bminus\b|"
                     r"(?<![A-Za-z])-(?![A-Za-z>]))", text, flags=re.I)  # fmt: skip
    out: list[str] = []
    read: dict[str, str] = {}  # column -> the words that named it
    names: list[str] = []
    ops = 0
    after_op = False
    for raw in parts:
        if raw is None or not raw.strip():
            continue
        piece = raw.strip()
        if piece in "()":
            out.append(piece)
            continue
        if re.fullmatch(_OP_WORDS[0][0] + "|" + _OP_WORDS[1][0] + "|plus|\\+|minus|-", piece, re.I):
            if after_op:
                return None  # two operators in a row ("x x x"): no formula (and no walk over all of it)
            after_op = True
            sym, word = _symbol_of(piece)
            out.append(f" {sym} ")
            names.append(word)
            ops += 1
            continue
        after_op = False
        num = piece.replace(",", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", num):
            out.append(num)
            names.append(num.replace(".", "_"))
            continue
        part = _PART_OF.match(piece)
        if part:  # "2025 - year of hire_date"
            col = date_col(d, part.group("col"))
            if col is None:
                return None
            out.append(f"{PART_SQL[part.group('part').lower()]}({col})")
            names.append(f"{stem(col)}_{part.group('part').lower()}")
            continue
        first, last = piece.split()[0].lower(), piece.split()[-1].lower()
        odd = {first, last} & (CONNECTIVES | NON_SCHEMA_WORDS) - {"the", "a", "an"}
        if odd and not _own_words(d, piece, odd) or " of " in f" {piece.lower()} ":
            return None  # "as quantity", "sum of quantity", "unit_price per": an operand is a name, not a clause
        dn = defined_name(d, piece)
        col = None if dn else column_phrase(d, piece, min_score=0.8)
        if dn is None and col is None:
            return None
        if col and family(d, col) not in NUMERIC_FAMILIES | TEMPORAL_FAMILIES:
            return None  # "amount - discount" cannot mean a text column (discount_code)
        if col and read.setdefault(col, clean_phrase(piece).lower()) != clean_phrase(piece).lower():
            return None  # "unit_price minus cost" with no cost column: two different words, one column
        out.append(dn or col or "")
        names.append((dn or col or "").split(".")[-1])
    if ops == 0 or out.count("(") != out.count(")") or len(names) != 2 * ops + 1:
        return None  # no operator, unbalanced, or an operator without an operand on each side
    return "".join(out).replace("( ", "(").strip(), names


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
_SEPARATORS = {"space": " ", "comma": ", ", "dash": " - ", "hyphen": "-", "underscore": "_", "slash": "/"}
_FILLV = r"(?:'[^']*'|-?\d[\d,]*(?:\.\d+)?|zero|one|two|three|four|five|ten)"
_FILL = re.compile(
    r"\b(?:(?:but|and|also)\s+)?(?:where|when|if|wherever|whenever)\s+(?:the\s+|their\s+|its\s+|a\s+|an\s+)?(?P<col>[\w' ]{1,30}?)"
    r"\s+(?:is|are)\s+(?:missing|null|empty|blank|unknown|not\s+set|absent)\s*,?\s*(?:put|use|show|write|fill\s+in|"
    rf"set\s+it\s+to|make\s+it|display|return|report)\s+(?P<val>{_FILLV})(?:\s+(?:instead(?:\s+of\s+leaving\s+it\s+(?:blank|empty|null|missing))?|in\s+its\s+place|there))?"
    rf"|\b(?:(?:but|and|also)\s+)?(?:put|use|show|write|display|return)\s+(?P<val5>{_FILLV})\s+(?:instead\s+)?"
    r"(?:where|when|if|wherever|whenever|for)\s+(?:the\s+|their\s+|its\s+|a\s+|an\s+)?(?P<col5>[\w' ]{1,30}?)\s+"
    r"(?:is|are)\s+(?:missing|null|empty|blank|unknown|not\s+set|absent)"
    r"|\b(?:(?:but|and|also)\s+)?(?:replace|fill(?:\s+in)?)\s+(?:the\s+)?(?:missing|null|empty|blank)\s+(?P<col2>[\w' ]{1,30}?)\s+"
    r"(?:values?\s+)?(?:with|by|as)\s+(?P<val2>'[^']*'|-?[\d,.]+)"
    r"|\b(?:(?:but|and|also)\s+)?(?:where|when|if|wherever|whenever)\s+no\s+(?P<col6>[\w' ]{1,30}?)\s+(?:was|is|were|are|has\s+been|have\s+been)\s+"
    r"(?:recorded|given|set|entered|filled\s+in|known|provided)\s*,?\s*(?:put|use|show|write|display|return|report)\s+"
    rf"(?P<val6>{_FILLV})(?:\s+(?:instead(?:\s+of\s+leaving\s+it\s+(?:blank|empty|null|missing))?|in\s+its\s+place|there))?"
    r"|\btreat\s+(?:missing|null|empty)\s+(?P<col3>[\w' ]{1,30}?)\s+as\s+(?P<val3>'[^']*'|-?[\d,.]+)"
    r"|\b(?P<col4>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,3}?)\s+(?:defaulting|defaulted|default)\s+to\s+"
    r"(?P<val4>'[^']*'|-?[\d,.]+|zero|one|two|three|four|five|ten)"
    r"(?:\s+(?:when|if|where)\s+(?:it\s+is\s+|it's\s+)?(?:missing|null|empty|blank))?"
    # "shipping_fee, 0 when missing", "the city, or 'unknown' if there is no city": the column, then its stand-in
    r"|\b(?P<col7>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,3}?)\s*,\s*(?:(?:or|with|and)\s+)?"
    rf"(?P<val7>{_FILLV})\s+(?:(?:when|if|where|wherever|whenever)\s+(?:it\s+is\s+|it's\s+|they\s+are\s+)?"
    r"(?:missing|null|empty|blank|unknown|not\s+set|absent)\b|(?:when|if|where)\s+(?:there\s+is\s+|it\s+has\s+)?no\s+"
    r"(?P<again>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2}?)(?=\s*(?:[,;.]|$|\band\b|\bsorted\b|\bordered\b)))",
    re.I,
)


def concatenations(v: View) -> list[Claim]:
    """"first and last name joined with a space" → ``first_name || ' ' || last_name``."""
    d = Work(v)
    for m in _CONCAT.finditer(d.prompt):
        if not d.free(m.start("a"), m.end()):
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
        name, start, end = name_around(d, m.start("a") if not m.group("name") else m.start(), m.end())
        name = m.group("name") or name or f"{a.split('.')[-1]}_{b.split('.')[-1]}"
        sql_sep = sep.replace("'", "''")
        add(d, name, f"{a} || '{sql_sep}' || {b}", start, end)
    return d.claims()


def fills(v: View) -> list[Claim]:
    """Missing values filled in: "where the tip is null use 0" → ``coalesce(tip, 0)``."""
    d = Work(v)
    for m in _FILL.finditer(d.prompt):
        if not d.free(m.start() if not (m.group("col4") or m.group("col7")) else m.end("col4") if m.group("col4")
                      else m.end("col7"), m.end()):
            continue
        group = next(g for g in ("col", "col2", "col3", "col4", "col5", "col6", "col7") if m.group(g))
        raw = next(m.group(g) for g in ("val", "val2", "val3", "val4", "val5", "val6", "val7") if m.group(g))
        raw = raw.rstrip(".,")
        start = m.start()
        col: str | None
        if group in ("col4", "col7"):  # "employees with rating defaulting to 0": the column is the shortest ending
            found = _trailing_column(d, m.group(group))
            if found and m.group("again") and column_phrase(d, m.group("again"), min_score=0.8) != found[0]:
                continue  # "the city, 'x' if there is no phone": a condition on another column (buckets)
            if found is None and group == "col7":
                continue
            if found is None:
                words = m.group("col4").split()
                tail = [w for w in words[next((i + 1 for i in range(len(words) - 1, -1, -1)
                                               if words[i].lower() in CONNECTIVES), 0):]]  # fmt: skip
                raise column_error(d, " ".join(tail or words[-1:]))
            col, offset = found
            start = m.start(group) + offset
            if not d.free(start, m.end()):
                continue
        else:
            col = column_phrase(d, m.group(group))
            if col is None:
                raise column_error(d, m.group(group))
        value = raw if raw.startswith("'") else str(_SMALL.get(raw.lower(), raw.replace(",", "")))
        name, start, end = name_around(d, start, m.end())
        add(d, name or col.split(".")[-1], f"coalesce({col}, {value})", start, end)
    return d.claims()


_SMALL = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}


def _trailing_column(d: Work, phrase: str) -> tuple[str, int] | None:
    """The column the last words of ``phrase`` name, and where those words start in it."""
    words = list(re.finditer(r"\S+", phrase))
    for k in range(len(words)):
        if words[k].group().lower() in CONNECTIVES:
            continue
        col = column_phrase(d, phrase[words[k].start() :], min_score=0.8)
        if col:
            return col, words[k].start()
    return None


# -- arithmetic --------------------------------------------------------------------------------


_AGG_LEAD = re.compile(r"\b(?:sum|total|average|avg|mean|min|minimum|max|maximum)\s+(?:of\s+)?(?:the\s+)?\(?\s*$", re.I)
_LIST_AFTER = re.compile(r"[^.;!?\n]*?(?:,|\band\b)")


_UP_NOUNS = r"(?:sales\s+)?tax|vat|gst|fees?|surcharge|mark-?up|uplift|increase|raise|commission|tip|interest"
_DOWN_NOUNS = r"discount|reduction|markdown|rebate|off"
_PERCENT = re.compile(
    r"(?<![\w.'])(?P<col>[A-Za-z_][\w.]*(?:\s+[A-Za-z_][\w.]*){0,2}?)\s+(?P<conn>with|plus|including|incl\.?|\+|"
    r"after\s+adding|grossed\s+up\s+by|minus|less|after|-)\s+(?:an?\s+|the\s+)?(?P<n>\d+(?:\.\d+)?)\s*"
    rf"(?:%|\s+percent|\s+per\s+cent)\s*(?:(?P<upn>{_UP_NOUNS})|(?P<downn>{_DOWN_NOUNS}))?"
    r"(?:\s+(?P<dir>added|on\s+top|applied|taken\s+off|deducted|removed|subtracted))?(?!\w)",
    re.I,
)
_UP_CONN = {"plus", "including", "incl", "incl.", "+", "after adding", "grossed up by"}
_DOWN_CONN = {"minus", "less", "-"}


def _percent(d: Work, m: re.Match[str]) -> tuple[str, str, int] | None:
    """``unit price with 20% VAT`` → (``unit_price * 1.2``, a name, where the column words start): a share of
    a number column added (tax, fee, markup) or taken off (discount). The joining word, the noun and a closing
    verb each may say which; when none does, or two disagree ("minus 20% VAT": taken out of a gross price, or
    off it?), there is no reading."""
    conn = re.sub(r"\s+", " ", m.group("conn").lower())
    dirw = re.sub(r"\s+", " ", (m.group("dir") or "").lower())
    signals = {conn in _UP_CONN or None if conn not in _DOWN_CONN else False,
               True if m.group("upn") else False if m.group("downn") else None,
               True if dirw in ("added", "on top") else False if dirw in ("taken off", "deducted", "removed",
                                                                          "subtracted") else None} - {None}  # fmt: skip
    if len(signals) != 1:
        return None
    up = signals.pop()
    found = _trailing_column(d, m.group("col"))
    if found is None or family(d, found[0]) not in NUMERIC_FAMILIES:
        return None
    col, offset = found
    share = float(m.group("n")) / 100
    factor = 1 + share if up else 1 - share
    noun = (m.group("upn") or m.group("downn") or "").lower().replace("off", "discount")
    tail = f"with_{snake(noun)}" if noun else f"{'plus' if up else 'minus'}_{snake(m.group('n'))}_pct"
    return f"{col} * {round(factor, 6)}", f"{col.split('.')[-1]}_{tail}", m.start("col") + offset


#: "margin as a percent of price", "cost as a fraction of the list price": one row value over another of the row
_AS_PART_OF = re.compile(
    r"(?<![\w.'])(?P<a>[A-Za-z_][\w.]*(?:\s+[A-Za-z_][\w.]*){0,2}?)\s+(?:expressed\s+|given\s+)?as\s+(?:an?\s+)?"
    r"(?P<w>percent(?:age)?|share|fraction|proportion|ratio)\s+of\s+(?:the\s+|its\s+|their\s+|each\s+\w+'s\s+)?"
    r"(?P<b>(?!(?:all|total|every|overall|whole|sum|grand)\b)[A-Za-z_][\w.]*(?:\s+[A-Za-z_][\w.]*){0,2}?)"
    r"(?=\s*(?:[,;.?!)]|$|\b(?:and|for|per|in|with|as|called|named|rounded|sorted|ordered|where|only)\b))", re.I)  # fmt: skip


def _row_value(d: Work, phrase: str, last: bool) -> str | None:
    """A value of the row ``phrase`` names (its last words when ``last``, else all of it): a column defined by the
    request, or a number column that is no key (a table's rows, a key or a text are no such value)."""
    if d.linker.tables(phrase) and d.linker.tables(phrase)[0].score >= 0.85:
        return None  # "cancelled orders as a percent of ...": rows counted (ratios)
    found = _trailing_column(d, phrase) if last else None
    names = {n.lower(): n for n in d.defined_names()}
    named = names.get(snake(phrase.split()[-1] if last else phrase).lower())
    if named:
        return next(x.name for x in d.derived if x.name.lower() == named) if any(
            x.name.lower() == named for x in d.derived) else None  # (a measure's or a window's name: no row value)
    col = found[0] if found else None if last else column_phrase(d, phrase, min_score=0.8)
    if col is None or family(d, col) not in NUMERIC_FAMILIES or is_key(d, col):
        return None
    return col


def _row_ratios(d: Work) -> None:
    """ "margin as a percent of price": one value of each row over another (NULL where the second is 0), on a
    0-100 scale for a percent(age); not a share of a total ("as a percent of all orders", "of the total": ratios),
    nor after an aggregate word ("average margin as a share of ...")."""
    for m in _AS_PART_OF.finditer(d.prompt):
        if not d.free(m.start("w"), m.end("b")) or _AGG_LEAD.search(d.prompt[max(0, m.start() - 30) : m.start()]):
            continue
        a, b = _row_value(d, m.group("a"), last=True), _row_value(d, m.group("b"), last=False)
        if a is None or b is None or a == b:
            continue
        start = m.start("a") + (len(m.group("a")) - len(m.group("a").split()[-1]) if "." not in a else
                                _trailing_column(d, m.group("a"))[1])  # type: ignore[index]  # fmt: skip
        scale = "100.0" if m.group("w").lower().startswith("percent") else "1.0"
        name, s, e = name_around(d, start, m.end())
        add(d, name or f"{a.split('.')[-1]}_{'pct' if scale == '100.0' else 'share'}_of_{b.split('.')[-1]}",
            f"{scale} * {a} / NULLIF({b}, 0)", s, e)


def arithmetic(v: View) -> list[Claim]:
    """Arithmetic on columns: "quantity times unit price as line_total" (before date parts: "2025 - year of
    hire_date" is one expression); a percentage added or taken off ("unit_price with 20% VAT"); one value of
    the row as a percent of another ("margin as a percent of price")."""
    d = Work(v)
    for m in _PERCENT.finditer(d.prompt):
        read = _percent(d, m) if d.free(m.start("n"), m.end()) else None
        if read and d.free(read[2], m.end()):
            name, start, end = name_around(d, read[2], m.end())
            add(d, name or read[1], read[0], start, end)
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
                if not d.free(a, b):
                    continue
                parsed = parse_arithmetic(d, d.prompt[a:b])
                if parsed:
                    break
            if parsed:
                s, e = a, b
                break
        if parsed is None:
            continue
        if re.match(r"\s*(?:%|percent\b|per\s+cent\b)", d.prompt[e:], re.I):
            raise PlanError(f"'{d.prompt[s:e]}%': a percentage of what, added or taken off?",
                            hint="say e.g. 'amount plus 20% tax' or 'amount less a 10% discount'")
        sql, names = parsed
        # ignore "5 x" style noise: a real expression reads at least one column
        if "." not in sql and not any(n in d.defined_names() for n in names):
            continue
        if _AGG_LEAD.search(d.prompt[max(0, s - 30) : s]):
            continue  # "sum of quantity times unit price": an aggregate of the expression (aggregates)
        days = _IN_DAYS.match(d.prompt, e)
        if days and _date_difference(d, sql):
            e = days.end()  # "shipped_on minus ordered_on in days": a date minus a date counts days already
        name, start, end = name_around(d, s, e)
        dash = re.search(r"\s-\s", d.prompt[s:e])
        if dash and name is None and _LIST_AFTER.match(d.prompt[s + dash.end() :]):
            continue  # "orders over 1,000 - order_id and amount": the dash introduces a list
        add(d, name or snake("_".join(names)), sql, start, end)
    _row_ratios(d)
    return d.claims()


_IN_DAYS = re.compile(r"\s*,?\s*(?:in|as\s+a\s+number\s+of|as)\s+days\b", re.I)


def _date_difference(d: Work, sql: str) -> bool:
    """``a.x - b.y`` where both are DATE columns (their difference is a whole number of days)."""
    parts = sql.split(" - ")
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z_][\w.]*\.[A-Za-z_]\w*", p) for p in parts):
        return False
    return all(d.catalog.has_table(p.rsplit(".", 1)[0]) and family(d, p) == "date" for p in parts)


#: "rounded to 3 places", "round it to 2 decimals", "rounded to the nearest whole number" right after a computed value
_ROUNDED = re.compile(
    r"\s*[,;]?\s*(?:and\s+)?\(?\s*(?:rounded|round(?:ed)?\s+(?:it|them|this|the\s+result))\s+(?:to|at)\s+"
    r"(?:(?P<n>\d|zero|one|two|three|four)\s+(?:decimal\s+places?|decimals?|dp|places?|digits?(?:\s+after\s+the\s+"
    r"(?:decimal\s+)?point)?)|(?:the\s+)?nearest\s+(?P<w>whole\s+number|integer|cent|tenth|hundredth)|"
    r"(?P<i>whole\s+numbers?|integers?))\s*\)?",
    re.I,
)
#: "round unit_price to the nearest whole number", "round each product's cost to 2 decimals": a column rounded
_ROUND_COLUMN = re.compile(
    r"\bround\s+(?:off\s+)?(?P<obj>(?:(?:the|each|every|all)\s+)?[A-Za-z_][\w']*(?:\s+[A-Za-z_][\w']*){0,2}?)\s+(?:off\s+)?"
    r"(?:to|at)\s+(?:(?P<n>\d|zero|one|two|three|four)\s+(?:decimal\s+places?|decimals?|dp|places?)|(?:the\s+)?nearest\s+"
    r"(?P<w>whole\s+number|integer|cent|tenth|hundredth)|(?P<i>whole\s+numbers?|integers?))\b",
    re.I,
)
_DIGITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "whole number": 0, "integer": 0, "cent": 2, "tenth": 1,
           "hundredth": 2}  # fmt: skip
_NOT_ROWS = re.compile(r"\b(?:average|avg|mean|total|sum|count|number|rate|ratio|share|percent(?:age)?|median|"
                       r"min(?:imum)?|max(?:imum)?)\b", re.I)  # fmt: skip


def _digits(m: re.Match[str]) -> int:
    if m.group("i"):
        return 0
    word = (m.group("n") or m.group("w")).lower()
    return int(word) if word.isdigit() else _DIGITS[re.sub(r"\s+", " ", word)]


def rounding(v: View) -> list[Claim]:
    """A value rounded: "(a - b) / b * 100, rounded to 3 places" right after a computed column rounds it; "round
    unit_price to the nearest whole number" is a new column (named as the request names it, else ``<column>_rounded``).

    A rounding after a measure ("the average fee, rounded to 2 decimals") is the aggregates' (they run later).
    """
    d = Work(v)
    for m in _ROUNDED.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        before = d.prompt[: m.start()].rstrip(" ,;)(")
        for i, dc in enumerate(d.derived):
            prov = (dc.provenance or "").rstrip(" ,;")
            if prov and before.endswith(prov) and not dc.expression.lower().startswith("round("):
                d.derived[i] = dc.model_copy(update={"expression": f"round({dc.expression}, {_digits(m)})"})
                d.take(((m.start(), m.end()),), Edit.set("derived", list(d.derived)), why=f"{dc.name} rounded")
                break
    for m in _ROUND_COLUMN.finditer(d.prompt):
        obj = m.group("obj")
        if not d.free(m.start(), m.end()) or _NOT_ROWS.search(obj):
            continue
        col = column_phrase(d, re.sub(r"^(?:the|each|every|all)\s+", "", obj, flags=re.I))
        if col is None or family(d, col) not in NUMERIC_FAMILIES:
            continue
        name, start, end = name_around(d, m.start(), m.end())
        listed = [n for n in listed_names(d, end) if "round" in n.lower()]
        add(d, name or (listed[0] if len(listed) == 1 else f"{col.split('.')[-1]}_rounded"),
            f"round({col}, {_digits(m)})", start, end)  # fmt: skip
    return d.claims()

"""Date parts of a date column as new columns: year, month, quarter, week, weekday, hour; month start; calendar date.

"the year and month of hire_date", "hire year", "the year it opened and its month as a
number from 1 to 12", "the order month as the first day of the month",
"the calendar date part of viewed_at".
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.derivekit import (
    PART_SQL,
    Work,
    add,
    column_error,
    date_col,
    in_play,
    listed_names,
    name_around,
    stem,
)
from datamorph.spec import ExpressionCondition

_PART = (r"(?:calendar\s+|numeric\s+)?(?:year|month(?:\s+of\s+(?:the\s+)?year)?|quarter|day\s+of\s+(?:the\s+)?week|weekday"
         r"|week(?:\s+of\s+(?:the\s+)?year)?|day(?:\s+of\s+(?:the\s+)?month)?|hour)"
         r"(?:\s+numbers?)?(?:\s*\(\s*\d+\s*(?:-|–|to)\s*-?\d+\s*\))?")  # "the month number (1-12)"
_DATE_PART = re.compile(
    rf"\b(?:the\s+)?(?P<parts>{_PART}(?:\s*(?:,|and|&)\s*(?:the\s+)?{_PART}){{0,6}})\s+"
    r"(?:(?:(?:in|on|at|during)\s+which\s+|when\s+|that\s+)?(?:it|they|he|she|(?:the|each|every|this|our)\s+[a-z]+)\s+(?:was\s+|were\s+)?"
    r"(?P<verb>[a-z]+(?:\s+up)?)(?:\s+(?:in|on|at))?(?![\w])"
    r"|(?:was|were|did|does|is)\s+(?:each|every|the|this|that|a)\s+(?P<noun>[a-z]+)(?:\s+(?P<verb2>[a-z]+(?:\s+up)?))?"
    r"(?=\s*(?:in|on|at)?\s*[?,:;.]|\s*$)"  # the question form: "what day of the week was each visit?"
    r"|(?:of|from|in)\s+(?:the\s+|its\s+|their\s+)?(?!(?:year|month|quarter|week|day|hour)s?\b)"  # no part: "of the week"
    r"(?P<col>[A-Za-z_][\w.]*(?:\s+[A-Za-z_]\w*)?))"
    r"(?:\s*,?\s*(?:both\s+|all\s+|each\s+)?as\s+(?:integers?|ints?|whole\s+numbers|numbers))?",
    re.I,
)
_PART_WORDS = re.compile(r"day\s+of\s+(?:the\s+)?week|weekday|(?:month|week)(?:\s+of\s+(?:the\s+)?year)?|year|quarter"
                         r"|day(?:\s+of\s+(?:the\s+)?month)?|hour", re.I)  # "month of the year" is one part: month
_TRUNC = re.compile(
    r"\b(?:the\s+)?(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?\s+)?(?P<unit>month|week|quarter|year)\s+(?:as|=)\s+"
    r"(?:the\s+)?(?:first|1st)(?:\s+day)?\s+of\s+(?:the|its|that)\s+(?:month|week|quarter|year)"
    r"(?:,?\s+as\s+an?\s+(?:date|day))?",  # "week as the first day of its week, as a day"
    re.I,
)
#: "the first day of the month of order_date", "1st day of the week in which viewed_at falls": a truncation too
_TRUNC_OF = re.compile(
    r"\b(?:the\s+)?(?:first|1st)\s+day\s+of\s+(?:the|its|their)\s+(?P<unit>month|week|quarter|year)\s+"
    r"(?:of|for|in\s+which)\s+(?:the\s+|its\s+|their\s+|each\s+)?(?P<col>[A-Za-z_][\w.]*(?:\s+(?!falls?\b|is\b|was\b)"
    r"[A-Za-z_]\w*)?)(?:\s+(?:falls?|is|was))?",
    re.I,
)
_DATE_OF = re.compile(
    r"\b(?:the\s+)?(?:calendar\s+)?date\s+(?:part\s+)?of\s+(?:the\s+)?(?P<col>[A-Za-z_][\w.]*)"
    r"|\b(?P<col2>[A-Za-z_][\w.]*)\s+as\s+a\s+(?:plain\s+|calendar\s+)?date\b",
    re.I,
)


def truncs(v: View) -> list[Claim]:
    """"the order month as the first day of the month" → ``CAST(date_trunc('month', ...) AS DATE)``."""
    d = Work(v)
    for m in _TRUNC.finditer(d.prompt):
        if not d.free(m.start("unit"), m.end()):  # the column's words may name its table too
            continue
        col = date_col(d, m.group("col"))
        if col is None:
            raise column_error(d, m.group("col") or m.group(0), "date column")
        unit = m.group("unit").lower()
        name, start, end = name_around(d, m.start(), m.end())
        add(d, name or f"{stem(col)}_{unit}", f"CAST(date_trunc('{unit}', {col}) AS DATE)", start, end)
    for m in _TRUNC_OF.finditer(d.prompt):
        if not d.free(m.start(), m.end("unit")):
            continue
        col = date_col(d, m.group("col")) or date_col(d, m.group("col").split()[0])
        if col is None:
            continue
        unit = m.group("unit").lower()
        end = m.end() if date_col(d, m.group("col")) else m.start("col") + len(m.group("col").split()[0])
        name, start, end = name_around(d, m.start(), end)
        add(d, name or f"{stem(col)}_{unit}", f"CAST(date_trunc('{unit}', {col}) AS DATE)", start, end)
    return d.claims()


def dates_of(v: View) -> list[Claim]:
    """"the calendar date part of viewed_at" → ``CAST(viewed_at AS DATE)``."""
    d = Work(v)
    for m in _DATE_OF.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        col = date_col(d, m.group("col") or m.group("col2"))
        if col is None:
            continue
        name, start, end = name_around(d, m.start(), m.end())
        add(d, name or f"{stem(col)}_date" if not col.endswith("_date") else name or f"{stem(col)}_day",
             f"CAST({col} AS DATE)", start, end)  # fmt: skip
    return d.claims()


def parts(v: View) -> list[Claim]:
    """"the year and month of hire_date", "the year it started" → ``year(...)``, ``month(...)``."""
    d = Work(v)
    for m in _DATE_PART.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        if re.search(r"\b(?:by|per|each|every|group(?:ed)?)\s+(?:the\s+)?$", d.prompt[max(0, m.start() - 20) : m.start()], re.I):
            continue  # "revenue by year of order date" is a grouping (aggregates)
        verb = m.group("verb") or m.group("verb2")
        col = _verb_col(d, verb) if verb else date_col(d, m.group("col") or m.group("noun"))
        if col is None:
            continue
        parts = [re.sub(r"\s*\(.*", "", p) for p in _PART_WORDS.findall(m.group("parts"))]
        name, start, end = name_around(d, m.start(), m.end())
        note = _RANGE_NOTE.match(d.prompt, end)
        if note:  # "(month as a number 1 to 12)" describes the values
            end = note.end()
        shown = _FORMAT_EXAMPLE.match(d.prompt, end)
        if shown:  # "the quarter each order was placed in, like 2024-Q1": the example is the value's format
            new = name or _claim(listed_names(d, shown.end()), _key(parts[-1])) or f"{stem(col)}_{'_'.join(map(_key, parts))}"
            add(d, new, formatted(col, shown.group("ex"), parts), start, end)
            d.take(((end, shown.end()),), why="an example of how the value is written")
            continue
        names = _NAMES_NOTE.match(d.prompt, end)
        if names and len(parts) == 1 and _key(parts[0]) in ("weekday", "month") and _is_name_of(
                names.group("first"), _key(parts[0])):  # fmt: skip
            # "weekday of the visit (Monday, Tuesday, ...)": names, not numbers, shown the way the note writes them
            new = name or _claim(listed_names(d, names.end()), _key(parts[0])) or f"{stem(col)}_{_key(parts[0])}"
            add(d, new, formatted(col, f"'{names.group('first')}'", parts), start, end)
            d.take(((end, names.end()),), why="examples of the values: names")
            continue
        listed = listed_names(d, end)
        for part in parts:
            key = _key(part)
            pname = name if name and len(parts) == 1 else _claim(listed, key) or f"{stem(col)}_{key}"
            add(d, pname, f"{PART_SQL[key]}({col})", start, end)
    return d.claims()


#: names written as examples after a weekday or month: "(Monday, Tuesday, ...)", "(e.g. Jan, Feb)"
_NAMES_NOTE = re.compile(r"\s*\(\s*(?:e\.\s?g\.?,?\s*|like\s+|such\s+as\s+)?(?P<first>[A-Za-z]{3,9})\s*(?:,|/|or\b)[^()]{0,60}\)",
                         re.I)  # fmt: skip


def _is_name_of(word: str, key: str) -> bool:
    """``word`` is a weekday's (key ``weekday``) or a month's (``month``) name, full or short."""
    w = word.lower()
    names = _WEEKDAYS if key == "weekday" else _MONTHS
    return any(n == w or len(w) == 3 and n.startswith(w) for n in names)


#: an example of the value right after a date part: "(like 2024-Q1)", ", e.g. 'Mar 2024'", "formatted as 2024-03"
#: the words that open an example: "like", "e.g.", "for example", "in the form", "formatted as" ...
_EXAMPLE_CUE = (r"\s*,?\s*\(?\s*(?:like|e\.\s?g\.?|eg|for\s+example|for\s+instance|such\s+as|as\s+in|"
                r"in\s+the\s+form(?:\s+of)?|formatted\s+(?:as|like)|written\s+(?:as|like)|shown\s+as|looking\s+like)"
                r"\s*[:,]?\s*")
_FORMAT_EXAMPLE = re.compile(
    _EXAMPLE_CUE + r"(?P<ex>'[^']{1,20}'|\"[^\"]{1,20}\"|\d{4}-(?:Q[1-4]|\d{2})\b|(?:[A-Z][a-z]{2,8}\s+)?\d{4}\b)\s*\)?",
    re.I,
)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
           "december")  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FORMAT_PIECE = re.compile(r"(?P<y>\d{4})|Q(?P<q>[1-4])|(?P<n>\d{1,2})|(?P<w>[A-Za-z]+)|(?P<lit>[^\w]+)")


_SHOWN = r"(?:label(?:l?ed|s)?|show(?:n|s)?|writ(?:e|es|ten)|format(?:ted|s)?|display(?:ed|s)?|print(?:ed|s)?)"
#: "weeks written like '2025-W07'" is refused; "show each month as 'Mar 2024' (short month name, space, year)"
PERIOD_EXAMPLE = re.compile(
    rf"\b(?:{_SHOWN}\s+(?:the\s+|each\s+|every\s+)?(?=(?:year|month|quarter|week|day)s?\s+(?:like|as|in)\b)|(?:the\s+)?"
    rf"(?=(?:year|month|quarter|week|day)s?\s+(?:is\s+|are\s+)?{_SHOWN}))?(?P<u>year|month|quarter|week|day)s?"
    rf"(?:\s+(?:is\s+|are\s+)?{_SHOWN})?\s+"
    r"(?:like|as|in\s+the\s+form(?:\s+of)?)\s+(?P<ex>'[^']{1,20}'|\"[^\"]{1,20}\")(?:\s*\((?P<note>[^()]{0,80})\))?",
    re.I,
)
#: words that spell out a format ("(short month name, space, year)"): said after an example, they add nothing
FORMAT_WORDS = frozenset("year years month months day days quarter quarters week weeks number numbers digit digits "
                         "dash dashes hyphen slash space capital capitals letter upper lower case then followed by "
                         "and a an the two four 2 4 zero padded leading with of its name short full q".split())  # fmt: skip


def _key(part: str) -> str:
    """The part a phrase names: "day of the week" → weekday, "month of the year" → month."""
    return "weekday" if re.match(r"day\s+of\s+(?:the\s+)?week", part, re.I) else part.split()[0].lower()


def example_of_part(text: str, start: int) -> bool:
    """Whether the value at ``start`` is the format example of a date part said just before it."""
    m = _EXAMPLE_LEAD.search(text[max(0, start - 160) : start])
    if m is not None and _PART_WORDS.search(m.group("before")):
        return True
    return any(e.start("ex") <= start < e.end("ex") for e in PERIOD_EXAMPLE.finditer(text, max(0, start - 120)))


_EXAMPLE_LEAD = re.compile(r"(?P<before>[^.;:\n]*)" + _EXAMPLE_CUE + r"['\"]?$", re.I)


def formatted(col: str, example: str, parts: list[str]) -> str:
    """The SQL that writes ``col`` the way ``example`` shows a value ("2024-Q1", "Mar 2024", "2024-03").

    Each piece of the example is read as a part of the date: four digits a year, "Q1" a quarter,
    two digits after a year a month (then a day), a month or weekday name (full or short) that
    name; what is neither is written as it stands. The example must show every part asked for.
    """
    ex = example.strip("'\"")
    sql: list[str] = []
    fmt = ""
    shown: set[str] = set()

    def flush() -> None:
        nonlocal fmt
        if fmt:
            sql.append(f"strftime({col}, '{fmt}')")
            fmt = ""

    for m in _FORMAT_PIECE.finditer(ex):
        word = (m.group("w") or "").lower()
        if m.group("q"):
            flush()
            sql.extend(["'Q'", f"CAST(EXTRACT(quarter FROM {col}) AS VARCHAR)"])
            shown.add("quarter")
            continue
        if m.group("lit"):
            fmt += m.group("lit").replace("%", "%%").replace("'", "''")
            continue
        if m.group("y"):
            code, part = "%Y", "year"
        elif m.group("n") and len(m.group("n")) == 2 and "year" in shown:
            code, part = ("%d", "day") if "month" in shown else ("%m", "month")
        elif len(word) >= 3 and any(full.startswith(word) for full in _MONTHS):
            code, part = ("%B" if word in _MONTHS else "%b"), "month"
        elif len(word) >= 3 and any(full.startswith(word) for full in _WEEKDAYS):
            code, part = ("%A" if word in _WEEKDAYS else "%a"), "weekday"
        else:
            raise PlanError(f"could not tell which part of a date '{m.group()}' is in the example '{ex}'",
                            hint="write the example with a year, month or quarter only ('2024-Q1', 'Mar 2024', '2024-03')")
        fmt += code
        shown.add(part)
    flush()
    wanted = {_key(p) for p in parts}
    if not wanted <= shown:
        raise PlanError(f"the example '{ex}' does not show the {' and '.join(sorted(wanted - shown))} it describes",
                        hint="give an example that shows each part asked for, or leave the example out")
    return " || ".join(sql)


_RANGE_NOTE = re.compile(r"\s*\((?:\s*(?:the|a|an|as|number|numbers|integers?|whole|from|to|between|and|year|month|"
                         r"quarter|week|day|hour|weekday|of|in|\d+|-\d+|-|–)\b)+\s*\)", re.I)  # fmt: skip
_KEY_WORDS = {"year": {"year", "yr", "yyyy"}, "month": {"month", "mon", "mo", "mm"}, "quarter": {"quarter", "qtr", "q"},
              "weekday": {"weekday", "dow", "wday", "dayofweek"}, "week": {"week", "wk"}, "day": {"day", "dd"},
              "hour": {"hour", "hr", "hh"}}  # fmt: skip


def _claim(listed: list[str], key: str) -> str | None:
    """The first listed name with ``key`` ("month") as one of its words; it is taken."""
    for n in listed:
        if _KEY_WORDS.get(key, {key}) & set(n.lower().split("_")):
            listed.remove(n)
            return n
    return None


def _verb_col(d: Work, verb: str) -> str | None:
    """"(the year) it started" → started_at, "was hired" → hire_date, "signed up" → signup_date."""
    v = re.sub(r"\s+", "", verb.lower())
    forms = {v, v.replace("ed", ""), v[:-1] if v.endswith("ed") else v, v[:-2] if v.endswith("ed") else v}
    for t in in_play(d):
        for c in d.catalog.table(t).columns:
            if c.family in ("date", "timestamp") and stem(c.name).lower().replace("_", "") in forms:
                return f"{t}.{c.name}"
    return date_col(d, verb)


_STEM_PART = re.compile(r"\b(?P<stem>[A-Za-z_]\w*)\s+(?P<part>year|month|quarter|week|weekday|hour)\b", re.I)
_GROUPING_BEFORE = re.compile(r"\b(?:by|per|each|every|group(?:ed)?|for)\s+(?:the\s+)?$", re.I)


def stem_parts(v: View) -> list[Claim]:
    """"hire year", "signup month": a part of the date column named by its stem (hire_date, signup_date)."""
    d = Work(v)
    dates = {stem(f"{t}.{c.name}").lower(): f"{t}.{c.name}" for t in in_play(d)
             for c in d.catalog.table(t).columns if c.family in ("date", "timestamp")}  # fmt: skip
    for m in _STEM_PART.finditer(d.prompt):
        col = dates.get(m.group("stem").lower())
        if col is None or not d.free(m.start(), m.end()):
            continue
        if _GROUPING_BEFORE.search(d.prompt[max(0, m.start() - 20) : m.start()]):
            continue  # "revenue by order month" is a grouping (aggregates)
        key = m.group("part").lower()
        name, start, end = name_around(d, m.start(), m.end())
        add(d, name or f"{stem(col)}_{key}", f"{PART_SQL[key]}({col})", start, end)
    return d.claims()



#: "orders placed on a weekend", "sessions on weekdays", "visits on Mondays": rows by the day of the week of their date
_ON_DAYS = re.compile(
    r"\b(?:(?P<verb>[a-z]+)\s+)?(?P<prep>on|at|during)\s+(?:a\s+|the\s+)?(?P<day>weekends?|weekdays?|(?:mon|tues|wednes|"
    r"thurs|fri|satur|sun)days?)\b",
    re.I,
)
_DOW = {"sun": 0, "mon": 1, "tues": 2, "wednes": 3, "thurs": 4, "fri": 5, "satur": 6}


def weekdays(v: View) -> list[Claim]:
    """Rows kept by the day of the week of their date: a weekend is Saturday or Sunday, a weekday Monday to Friday
    (``EXTRACT(dow ...)``: 0 is Sunday, on DuckDB and PostgreSQL alike). The date is the one the verb before names
    ("placed" → placed_at), else the rows' own date; with several and none named, the words stay unread."""
    from datamorph.planner.recognizers.dates import main_date_column, verb_column

    d = Work(v)
    for m in _ON_DAYS.finditer(d.prompt):
        if not d.free(m.start("prep"), m.end()):
            continue
        col = verb_column(v, m.group("verb").lower()) if m.group("verb") else None
        start = m.start() if col else m.start("prep")
        tables = in_play(d)
        if col is None and len(tables) == 1:
            try:
                found = main_date_column(d.catalog.table(tables[0]), m.group(0))
            except PlanError:
                found = None
            col = f"{d.catalog.table(tables[0]).name}.{found}" if found else None
        if col is None:
            continue
        day = m.group("day").lower().rstrip("s")
        days = "0, 6" if day == "weekend" else "1, 2, 3, 4, 5" if day == "weekday" else str(_DOW[day[:-3]])
        cond = ExpressionCondition(expression=f"EXTRACT(dow FROM {col}) IN ({days})", provenance=m.group(0).strip())
        d.take(((start, m.end()),), Edit.add("filters", cond), why="rows by the day of the week of their date")
    return d.claims()

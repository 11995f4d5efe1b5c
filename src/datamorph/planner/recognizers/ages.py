"""Ages, from a date of birth: conditions ("older than 60", "aged 18 to 30", "65 or over") and the age as a value.

A table in play with exactly one date column named for a birth (``dob``, ``birth_date``, ``date_of_birth``,
``born_on``) has an age: the whole years from that date to the plan's reference date (a birthday not yet
reached this year does not count). A condition on the age becomes a condition on the birth date, against a
date computed once at plan time, so it runs the same everywhere and the restatement shows the date:

- age > N (``older than N``, ``over N years old``, ``aged over N``, ``over the age of N``): born on or before the
  reference date N+1 years back;
- age >= N (``N or older``, ``N and over``, ``at least N years old``, ``aged N+``): born on or before N years back;
- age < N (``younger than N``, ``under N``, ``aged under N``): born after N years back;
- age <= N (``N or younger``, ``at most N years old``): born after N+1 years back;
- ``aged A to B``, ``between the ages of A and B`` (both included), ``aged N`` (exactly).

A bare "over 60" with no age word ("years old", "aged", "age", "older", "younger") is never an age: it may be
any number column. The word "age" or "ages" left over (``average age per city``, ``each member's age``) is
a new column ``age``: ``<ref year> - YEAR(dob) - (1 when the birthday is after the reference day)``.
"""

from __future__ import annotations

import datetime as dt
import re

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.recognizers.common import named_table
from datamorph.planner.recognizers.derivekit import Work, in_play
from datamorph.spec import DerivedColumn, Filter, Operator

_BIRTH_WORDS = frozenset({"birth", "birthdate", "birthday", "dob", "born"})
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
#: an age in digits or words ("65", "sixty-five", "sixty five", "eighteen"), never the end of a longer number
_NUM = (rf"(?<![\w.,-])(?P<n>\d{{1,3}}|(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS)}|"
        rf"{'|'.join(_UNITS)})(?![.,]?\d)")
_NOT_TIME = r"(?!\s*(?:days?|weeks?|months?|hours?|hrs?|minutes?|mins?|seconds?|secs?|%|percent)\b)"  # "older than 30 days"
_YEARS = r"(?:\s+years?(?:\s+old|\s+of\s+age)?|\s*(?:yo|y/o)\b)"
_MORE = r"over|above|older\s+than|more\s+than|greater\s+than|exceeding|past"
_LESS = r"under|below|younger\s+than|less\s+than"
_LEAST = r"at\s+least|no\s+younger\s+than|not\s+under"
_MOST = r"at\s+most|no\s+older\s+than|not\s+over"
_CMP = rf"(?P<cmp>{_LEAST}|{_MOST}|{_MORE}|{_LESS})"

#: "older than 60", "younger than 30 years": the comparison itself says age
_OLDER = re.compile(rf"\b(?P<cmp>older|younger)\s+than\s+{_NUM}{_NOT_TIME}{_YEARS}?\b", re.I)
#: "aged over 65", "whose age is under 18", "with an age of at least 21", "over the age of 65"
_AGED = re.compile(rf"\b(?:aged\s+|ages?\s+(?:is\s+|was\s+|of\s+)?){_CMP}\s+{_NUM}{_NOT_TIME}{_YEARS}?\b", re.I)
_AGE_OF = re.compile(rf"\b{_CMP}\s+the\s+age\s+of\s+{_NUM}\b", re.I)
#: "over 65 years old", "under 18 years of age"
_YEARS_OLD = re.compile(rf"\b{_CMP}\s+{_NUM}\s+years?\s+(?:old|of\s+age)\b", re.I)
#: "65 or older", "aged 65 and over", "18 years or younger", "65+"
_OR_MORE = re.compile(rf"\b(?:(?P<aged>aged\s+))?{_NUM}{_NOT_TIME}(?P<years>{_YEARS})?\s+(?P<tail>(?:or|and)\s+(?:older|over|above|up|"
                      r"more|younger|under|below|less))\b|\baged\s+(?P<n2>\d{1,3})\s*\+", re.I)  # fmt: skip
#: "aged 18 to 30", "between the ages of 18 and 30", "aged between 18 and 30", "ages 18-30"
_RANGE = re.compile(r"\b(?:aged\s+(?:between\s+)?|ages?\s+(?:between\s+|from\s+)?|between\s+the\s+ages\s+of\s+)"
                    r"(?P<a>\d{1,3})\s*(?:and|to|-|\u2013)\s*(?P<b>\d{1,3})(?:\s+years?(?:\s+old)?)?\b", re.I)  # fmt: skip
#: "aged 40", "40 years old": exactly
_EXACT = re.compile(rf"\baged\s+{_NUM}\b(?!\s*(?:\+|or|and|to|-))", re.I)
_N_YEARS_OLD = re.compile(rf"\b{_NUM}\s+years?\s+old\b(?!\s*(?:or|and)\b)", re.I)
#: the age as a value
_AGE_WORD = re.compile(r"\b(?:(?P<t>[A-Za-z]\w*)(?:'s|s'|\u2019s|s\u2019)?\s+)?(?P<age>(?:(?:current|present)\s+)?ages?\b"
                       r"(?:\s+in\s+years\b)?)", re.I)  # fmt: skip


def birth_column(w: Work | View, tables: list[str]) -> str | None:
    """The one date column named for a birth among ``tables`` (qualified), or None."""
    found = [f"{t}.{c.name}" for t in tables for c in w.catalog.table(t).columns
             if c.family in TEMPORAL_FAMILIES and is_birth_date(c.name)]  # fmt: skip
    return found[0] if len(found) == 1 else None


def is_birth_date(name: str) -> bool:
    """A column named for a birth (``dob``, ``birth_date``, ``born_on``): a property of the row, not an event of it."""
    return bool(set(re.split(r"[_\W]+", name.lower())) & _BIRTH_WORDS)


def years_back(ref: dt.date, years: int) -> dt.date:
    """``ref`` moved back a number of whole years (29 February → 28 February)."""
    try:
        return ref.replace(year=ref.year - years)
    except ValueError:
        return ref.replace(year=ref.year - years, day=28)


def conditions(column: str, op: str, n: int, ref: dt.date, words: str) -> list[Filter]:
    """``age <op> n`` as conditions on the birth date ``column`` (see the module docstring)."""
    bounds: dict[str, tuple[Operator, int]] = {">": ("<=", n + 1), ">=": ("<=", n), "<": (">", n), "<=": (">", n + 1)}
    if op == "=":
        return [*conditions(column, ">=", n, ref, words), *conditions(column, "<=", n, ref, words)]
    operator, years = bounds[op]
    return [Filter(column=column, operator=operator, value=years_back(ref, years).isoformat(), provenance=words)]


def age_expression(column: str, ref: dt.date) -> str:
    """Whole years from ``column`` to ``ref`` (DuckDB SQL; YEAR/MONTH/DAY transpile to every engine)."""
    return (f"{ref.year} - YEAR({column}) - CASE WHEN MONTH({column}) * 100 + DAY({column}) > "
            f"{ref.month * 100 + ref.day} THEN 1 ELSE 0 END")  # fmt: skip


def _number(text: str) -> int:
    """An age written in digits or words ("65", "sixty-five", "sixty five")."""
    words = re.split(r"[- ]", text.lower())
    return sum(int(NUMBER_WORDS[w]) for w in words) if all(w in NUMBER_WORDS for w in words) else int(text)


def _op(cmp: str) -> str:
    c = re.sub(r"\s+", " ", cmp.lower())
    if re.fullmatch(_LEAST, c) or c in ("or older", "and older", "or over", "and over", "or above", "and above",
                                         "and up", "or more", "and more"):  # fmt: skip
        return ">="
    if re.fullmatch(_MOST, c) or c in ("or younger", "and younger", "or under", "and under", "or below",
                                        "and below", "or less", "and less"):  # fmt: skip
        return "<="
    if c == "older" or re.fullmatch(_MORE, c):
        return ">"
    return "<"


def rule(v: View) -> list[Claim]:
    """Conditions on an age, and the age as a new column (see the module docstring)."""
    d = Work(v)
    tables = in_play(d)
    column = birth_column(d, tables) if tables else None
    if column is None:
        return []
    ref = v.reference_date
    found: list[tuple[int, int, list[Filter]]] = []
    for m in _RANGE.finditer(d.prompt):
        a, b = int(m.group("a")), int(m.group("b"))
        if a > b:
            raise PlanError(f"'{m.group(0)}': the first age is above the second", hint="write the younger age first")
        found.append((m.start(), m.end(), [*conditions(column, ">=", a, ref, m.group(0)),
                                           *conditions(column, "<=", b, ref, m.group(0))]))  # fmt: skip
    for rx in (_OR_MORE, _OLDER, _AGED, _AGE_OF, _YEARS_OLD, _EXACT, _N_YEARS_OLD):
        for m in rx.finditer(d.prompt):
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            groups = m.groupdict()
            n = _number(groups.get("n") or groups.get("n2") or "0")
            if rx is _OR_MORE:
                tail = (groups.get("tail") or "").lower()
                if tail and not (groups["aged"] or groups["years"] or tail.endswith(("older", "younger"))):
                    continue  # a count ("4 or more loans") or an amount ("50 or over"): no age word
                op = _op(tail) if tail else ">="
            elif rx is _EXACT or rx is _N_YEARS_OLD:
                op = "="
            else:
                op = _op(groups["cmp"])
            found.append((m.start(), m.end(), conditions(column, op, n, ref, m.group(0))))
    note = [Edit.add("notes", f"ages are whole years from {column} to {ref.isoformat()}")]  # said once, by the first
    for s, e, filters in sorted(found, key=lambda x: x[0]):
        if d.free(s, e):
            d.take(((s, e),), Edit.add("filters", *filters), Edit.add("condition_spans", (s, e)), *note,
                   why=f"an age on {column}, on {ref.isoformat()}")  # fmt: skip
            note = []
    _age_value(d, column, ref, note)
    return d.claims()


def _age_value(d: Work, column: str, ref: dt.date, note: list[Edit]) -> None:
    """"age", "ages" not read by a condition: the age as a new column, defined once. Its words stay free for
    the output list and the measures to read by that name ("member_id and age", "average age")."""
    table = column.rsplit(".", 1)[0]
    for m in _AGE_WORD.finditer(d.prompt):
        owned = m.group("t") and named_table(d, m.group("t")) == table  # "member age", "the member's age"
        start = m.start() if owned else m.start("age")
        if not d.free(start, m.end()):
            continue
        if "age" in d.defined_names():
            d.take(((start, m.end()),), shared=True, why="the age again")
            continue
        col = DerivedColumn(name="age", expression=age_expression(column, ref), provenance=d.prompt[start:m.end()])
        d.derived.append(col)
        d.take(((start, m.end()),), Edit.add("derived", col), *note, shared=True, why=f"the age, from {column}")
        note = []


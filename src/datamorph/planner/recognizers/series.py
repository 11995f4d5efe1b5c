"""Moving windows over a series: "a 4-week rolling average", "the moving sum over the last 3 rows".

A moving window is said one of two ways, or both (the second then restates the first and must agree):

- by name: "N-<unit> moving|rolling|trailing average|mean|sum|total [of X]", "moving average over the
  last N <units>";
- by its frame: "[name =] average of that week's X and the two weeks before it", "each hour and the
  three hours preceding it" (this row and the N-1 before it).

The window is ``avg``/``sum`` of X over ``ROWS BETWEEN N-1 PRECEDING AND CURRENT ROW``. X is the
column or measure "of X" names, else the request's one measure (a per-period series: "weekly
signups with a 4-week moving average"). The order is the series' time key: the one group key that
is a date, or a new column read from one (a month start, a day); the other group keys partition the
window ("per region"). The frame counts rows, so it spans N periods when the series has a row for
each period. A unit that disagrees with the series ("7-day" over a monthly series) is refused, and
so is a window with no size or no time key. "Rounded to N decimals" right after rounds the value;
notes about the first rows of a series (their frame is shorter: "the first weeks average fewer
weeks", "average only the months available") say what the frame does and are claimed with it.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.recognizers.derivekit import Work, column_phrase, defined_name, family, name_around
from datamorph.spec import OrderItem, WindowColumn

_NUM = r"(?:\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNITS = r"(?:day|week|month|quarter|year|row|period|hour)"
_FN = r"(?P<fn>average|avg|mean|sum|total)"
_MOVING = re.compile(
    rf"\b(?:(?P<n>{_NUM})[\s-]+(?P<unit>{_UNITS})s?[\s-]+)?(?P<kind>moving|rolling|trailing)\s+{_FN}"
    rf"(?:\s+(?:over|across|of)\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+)?(?P<n2>{_NUM})\s+(?P<unit2>{_UNITS})s\b)?"
    rf"(?:\s+of\s+(?:the\s+)?(?P<what>[A-Za-z_]\w*))?",
    re.I,
)
_FRAME = re.compile(
    rf"\b(?:(?:the\s+)?{_FN}\s+(?:of\s+)?)?(?:that|this|the|each)\s+(?P<u>{_UNITS})(?:'s\s+(?P<what>[A-Za-z_]\w*))?"
    rf"\s+and\s+the\s+(?P<k>{_NUM})(?:\s+(?P<u2>{_UNITS})s?|\s+ones)?\s+(?:before|preceding|prior\s+to)\s+"
    r"(?:it|that\s+one|them)\b",
    re.I,
)
_ROUND = re.compile(rf"\s*[,;]?\s*(?:and\s+)?(?:rounded|round(?:ing)?(?:\s+it)?)\s+to\s+(?P<d>{_NUM})\s+"
                    r"(?:decimals?|decimal\s+places|places|dp)\b", re.I)  # fmt: skip
_EDGE = re.compile(
    rf"(?:[,;]\s*)?(?:(?:so|and)\s+)?(?:the\s+)?first\s+(?:(?:{_NUM}|few)\s+)?{_UNITS}s?\s+average\s+(?:over\s+)?fewer\s+"
    rf"{_UNITS}s?\b|(?:[,;]\s*)?(?:for\s+[^,;.]{{1,60}}?\s+)?average\s+only\s+(?:over\s+)?the\s+(?:[\w-]+\s+){{0,2}}?"
    rf"{_UNITS}s?\s+(?:available|there\s+are|present)\b",
    re.I,
)
_GRAMMAR = frozenset({"average", "avg", "mean", "sum", "total", "moving", "rolling", "trailing", "day", "week", "month",
                      "quarter", "year", "row", "period", "hour"})  # fmt: skip
_LEAD = re.compile(r"\b(?:plus|adding|add|also)\s+(?:(?:a|an|the)\s+)?$", re.I)
_TRUNC_UNIT = re.compile(r"date_trunc\(\s*'(\w+)'", re.I)


def _number(text: str) -> int:
    t = text.lower()
    return NUMBER_WORDS[t] if t in NUMBER_WORDS else int(t)


def _series_key(d: Work) -> tuple[str, str | None, list[str]] | None:
    """The time key of the grouped series (its name, its unit if known) and the other group keys."""
    timed: list[tuple[str, str | None]] = []
    others: list[str] = []
    derived = {x.name.lower(): x for x in d.derived}
    for g in d.group_by:
        x = derived.get(g.lower())
        if x is not None:
            trunc = _TRUNC_UNIT.search(x.expression)
            if trunc:
                timed.append((g, trunc.group(1).lower()))
                continue
            if re.search(r"\bAS\s+DATE\b", x.expression, re.I) and "(" in x.expression:
                timed.append((g, "day"))
                continue
        elif "." in g and family(d, g) in ("date", "timestamp"):
            timed.append((g, "day" if family(d, g) == "date" else None))
            continue
        others.append(g)
    if len(timed) != 1:
        return None
    return timed[0][0], timed[0][1], others


def rule(v: View) -> list[Claim]:
    """Moving sums and averages over a series (see the module docstring)."""
    d = Work(v)
    found: list[tuple[re.Match[str], int, str | None, str]] = []  # match, N, unit, function
    for m in _MOVING.finditer(d.prompt):
        if not d.free(m.start("kind"), m.end("fn")):
            continue
        n_text, unit = (m.group("n"), m.group("unit")) if m.group("n") else (m.group("n2"), m.group("unit2"))
        if m.group("n2") and not d.free(m.end("fn"), m.end("unit2")):  # "over the last 3 months" read as a period
            raise PlanError(f"'{m.group(0).strip()}': a moving window of {m.group('n2')} {m.group('unit2')}, or only "
                            f"the last {m.group('n2')} {m.group('unit2')} of data?",
                            hint=f"say 'a {m.group('n2')}-{m.group('unit2').rstrip('s')} moving average' for the window, "
                                 f"'in the last {m.group('n2')} {m.group('unit2')}' for the period")  # fmt: skip
        if not n_text:
            raise PlanError(f"'{m.group(0).strip()}': over how many rows?",
                            hint="say e.g. 'a 3-month moving average' or 'a moving average over the last 7 days'")
        found.append((m, _number(n_text), unit.lower() if unit else None, m.group("fn").lower()))
    for m in _FRAME.finditer(d.prompt):
        if not d.free(m.start("k"), m.end()) or m.group("u").lower() != (m.group("u2") or m.group("u")).lower():
            continue
        found.append((m, _number(m.group("k")) + 1, m.group("u").lower(), (m.group("fn") or "").lower()))
    if not found:
        return []
    found.sort(key=lambda f: f[0].start())
    sizes = {f[1] for f in found}
    units = {f[2] for f in found if f[2] not in (None, "row", "period")}
    fns = {"avg" if f[3] in ("average", "avg", "mean") else "sum" for f in found if f[3]}
    if len(sizes) > 1 or len(units) > 1 or len(fns) > 1:
        said = "; ".join(f"'{f[0].group(0).strip()}'" for f in found)
        raise PlanError(f"the moving window is said two ways that disagree: {said}", hint="give one size and one unit")
    size = sizes.pop()
    function = fns.pop() if fns else "avg"
    key = _series_key(d)
    if key is None:
        raise PlanError(f"'{found[0][0].group(0).strip()}': moving over which series?",
                        hint="group the rows by one period, e.g. 'per month of signed_up_at'")
    order, series_unit, partition = key
    if units and series_unit and units != {series_unit}:
        raise PlanError(f"'{found[0][0].group(0).strip()}' is counted in {units.pop()}s, but the series is per "
                        f"{series_unit}", hint=f"say e.g. 'a {size}-{series_unit} moving average'")
    what = next((f[0].group("what") for f in found if f[0].group("what")), None)
    column = None
    if what:
        column = defined_name(d, what) or column_phrase(d, what, min_score=0.9)
    if column is None:
        measures = [a.alias for a in d.aggregations]
        if len(measures) != 1:
            raise PlanError(f"'{found[0][0].group(0).strip()}': a moving {function} of what?",
                            hint="say e.g. 'a 3-month moving average of revenue'")
        column = measures[0]
    name = None
    spans: list[tuple[int, int]] = []
    more: list[Edit] = []
    rounding = None
    for m, *_ in found:
        s, e = m.start(), m.end()
        named, s2, e2 = name_around(d, s, e)
        if named and named.lower() not in _GRAMMAR:  # "...moving average: the week and ..." names nothing
            name, s, e = name or named, s2, e2
        r = _ROUND.match(d.prompt, e)
        if r and d.free(r.start(), r.end()):
            rounding, e = _number(r.group("d")), r.end()
        elif r:  # the measure took the rounding said right after the window: it is the window's
            took = [a for a in d.aggregations if a.round == _number(r.group("d"))]
            if len(took) == 1:
                rounding, e = _number(r.group("d")), r.end()
                more += [Edit.remove("aggregations", took[0]),
                         Edit.add("aggregations", took[0].model_copy(update={"round": None}))]
        edge = _EDGE.search(d.prompt, e, min(len(d.prompt), e + 120))
        if edge and d.free(edge.start(), edge.end()) and not d.prompt[e : edge.start()].strip(" ,;.("):
            e = edge.end()
        spans.append((s, e))
    if rounding is None:  # "...; rounded to 2 decimals" later in the sentence
        for _s, e in spans:
            stop = min([x for x in (d.prompt.find(".", e), len(d.prompt)) if x >= 0])
            r = re.search(_ROUND.pattern, d.prompt[e:stop], re.I)
            if r and d.free(e + r.start(), e + r.end()):
                rounding = _number(r.group("d"))
                spans.append((e + r.start(), e + r.end()))
                break
    lead = _LEAD.search(d.prompt, max(0, spans[0][0] - 20), spans[0][0])
    if lead and d.free(lead.start(), lead.end()):  # "plus a 3-month moving average": the window is added
        spans.append((lead.start(), lead.end()))
    default = f"moving_{function}_{size}"
    window = WindowColumn(name=name or default, function=function, column=column,  # type: ignore[arg-type]
                          partition_by=partition, order_by=[OrderItem(column=order)], preceding=size - 1,
                          round=rounding, provenance=d.prompt[spans[0][0] : spans[0][1]].strip())  # fmt: skip
    if window.name.lower() in d.defined_names():
        raise PlanError(f"the name '{window.name}' is given to two new columns", hint="give each a different name")
    d.take(tuple(spans), *more, Edit.add("windows", window), why=f"moving window {window.name}")
    return d.claims()

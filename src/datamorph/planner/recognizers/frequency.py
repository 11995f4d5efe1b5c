"""The most frequent values or rows: "the 5 most common cities", "the most used payment method", "the 3 most
loaned books", "the 10 most ordered products".

A phrase ``(the) [N] most <how> <G>`` ranks G by how many rows it has, highest first: rows counted per G,
ordered by that count, the first N kept (one when G is singular and no N is said; a plural G with no N is
refused: how many is not said). ``<how>`` is a word of frequency (common, frequent, popular, used, often
<verb>) or a past participle of an event ("loaned", "ordered", "visited").

G is a column named by its entity ("towns" → ``town``, "tools" → ``tool_name``, "lesson type"): its table's
rows are counted per value (the table named after it with "among", "of" or "in", when several tables hold
the column; refused when none is named). Or G is a table ("products"): then the event must name another table
("ordered" → orders) joined to it through a table that refers to G ("order_items"), whose rows are counted per
G's key; with a word of frequency ("the most common plan"), the rows of the one table that refers to G ("popular"
is said of a column's values only: a popular category may be one that sells, not one with many products). Any other reading ("the most paid employees": a pay, not a count) is left to the other recognizers.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NUMBER_WORDS, is_participle, singular
from datamorph.planner.recognizers.common import named_table
from datamorph.planner.recognizers.derivekit import period_sql
from datamorph.planner.recognizers.filter_base import Play
from datamorph.planner.refs import refers_to
from datamorph.spec import Aggregation, DerivedColumn, OrderItem

_FREQUENCY = frozenset({"common", "frequent", "popular", "used", "requested", "chosen", "picked", "selected"})
_NUM = r"\d{1,4}|" + "|".join(w for w, v in NUMBER_WORDS.items() if 1 < v <= 20 and w not in ("couple", "pair", "dozen"))
_MOST = re.compile(
    rf"\b(?:the\s+)?(?:(?:top\s+)?(?P<n>{_NUM})\s+)?most\s+(?:(?P<often>often|frequently|commonly)\s+)?"
    r"(?P<how>[a-z]+)\s+(?P<g>[A-Za-z_]\w*(?:\s+(?!(?:among|of|in|across|for|by|per|with|and|or)\b)[A-Za-z_]\w*)?)"
    r"(?:\s+(?:among|of|in|across|for)\s+(?:the\s+|all\s+)?(?P<t>[A-Za-z_]\w*))?",
    re.I,
)


def rule(v: View) -> list[Claim]:
    """Rank G by its count of rows (see the module docstring)."""
    w = Play.of(v)
    for m in _MOST.finditer(v.prompt):
        if not w.free(m.start(), m.end("g")):
            continue
        how = m.group("how").lower()
        if how not in _FREQUENCY and not (how.endswith(("ed", "en", "wn")) and is_participle(how)):
            continue
        _rank(w, m, how)
    return w.claims


def _rank(w: Play, m: re.Match[str], how: str) -> None:
    d = w.view
    words = m.group("g").split()
    for k in (len(words), 1):
        g = " ".join(words[:k])
        end = m.start("g") + len(g)
        found = _column_group(w, g, m.group("t")) or _table_group(w, g, how)
        if found is not None:
            break
    else:
        return
    rows, group, plural = found
    n = m.group("n")
    if n is None and plural:
        raise PlanError(f"'{d.prompt[m.start() : end]}': how many?", hint=f"say e.g. 'the 5 most {how} {g}'")
    limit = 1 if n is None else int(NUMBER_WORDS.get(n.lower(), 0) or n)
    alias = f"{singular(rows)}_count"
    words_said = d.prompt[m.start() : end].strip()
    spans = [(m.start(), end)]
    if m.group("t") and named_table(w, m.group("t")) == rows:  # "among members": the rows counted
        spans.append((end, m.end("t")))
    edits = [w.use(rows), Edit.add("group_by", group),
             Edit.add("aggregations", Aggregation(function="count", alias=alias, provenance=words_said)),
             Edit.add("order_by", OrderItem(column=alias, direction="desc", provenance=words_said)),
             Edit.set("limit", limit)]  # fmt: skip
    w.take_spans(spans, *edits, why=f"the {limit} {g} with the most {rows} rows")


def _column_group(w: Play, g: str, named: str | None) -> tuple[str, str, bool] | None:
    """(rows table, qualified column, plural) when ``g`` names a column by its entity ("towns", "tools")."""
    d = w.view
    if named_table(w, g):
        return None
    hits = [h for h in d.linker.columns(g) if h.score >= 0.7]
    if not hits:
        return None
    table = named_table(w, named) if named else None
    if table is not None:
        hits = [h for h in hits if h.table == table]
    elif len({h.table for h in hits if h.score >= hits[0].score}) > 1:
        play = w.in_play()
        hits = [h for h in hits if h.table in play] if play else []
        if len({h.table for h in hits}) != 1:
            raise PlanError(f"'most ... {g}': the {g} of which table?", hint=f"say e.g. '{g} among <table>'")
    if not hits:
        return None
    h = hits[0]
    if d.catalog.table(h.table).column(h.column).family not in ("text", "boolean", "integer", "date"):
        return None
    last = g.split()[-1].lower()
    return h.table, f"{h.table}.{h.column}", singular(last) != last


def _table_group(w: Play, g: str, how: str) -> tuple[str, str, bool] | None:
    """(rows table, G's key, plural) when ``g`` names a table and the event names another table joined to it through
    a table that refers to G ("products" ordered: order lines per product)."""
    d = w.view
    group = named_table(w, g)
    if group is None:
        return None
    info = d.catalog.table(group)
    if how in _FREQUENCY:  # "the most common plan": the rows of the one table that refers to it
        if how == "popular":
            return None  # "the most popular category": by its products, or by what sold? (a column's values only)
        referring = [t.name for t in d.catalog.tables.values() if t.name != info.name and refers_to(
            d.catalog, t.name, info.name)]  # fmt: skip
        if len(referring) != 1 or len(info.primary_key) != 1:
            return None
        return referring[0], f"{group}.{info.primary_key[0]}", singular(g.lower()) != g.lower()
    event = named_table(w, how) or _event_table(w, how)
    if event is None or event == group:
        return None
    if len(info.primary_key) != 1:
        return None
    try:
        path = d.linker.join_path([event, group])
    except Exception:  # noqa: BLE001 - no path at all
        return None
    last = path[-1] if path else None
    if last is None:
        return None
    rows = last.left_table if last.right_table.lower() == group.lower() else last.right_table
    if rows.lower() == group.lower():
        return None
    return rows, f"{group}.{info.primary_key[0]}", singular(g.lower()) != g.lower()


def _event_table(w: Play, verb: str) -> str | None:
    """Whose date column the event verb names: the table ("ordered" → orders, by orders.order_date)."""
    hits = [h for h in w.view.linker.columns(verb)[:1] if h.score >= 0.7]  # (a date column only)
    if not hits or w.view.catalog.table(hits[0].table).column(hits[0].column).family not in ("date", "timestamp"):
        return None
    return hits[0].table


#: "the busiest day of the week for appointments", "the quietest hour for page views": the period with most rows
_BUSIEST = re.compile(
    r"\b(?:the\s+)?(?P<sup>busiest|quietest|slowest|least\s+busy)\s+(?P<unit>day\s+of\s+the\s+week|weekday|hour(?:\s+of\s+"
    r"the\s+day)?|month|quarter|year|day)\b(?:\s+(?:for|of|in)\s+(?:the\s+|all\s+)?(?P<t>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?))?",
    re.I,
)



def busiest(v: View) -> list[Claim]:
    """The period (of a weekday, hour, day, month...) with the most rows, or the fewest ("quietest"): rows counted per
    period of the table's own date, the first one kept."""
    from datamorph.planner.recognizers.dates import main_date_column

    w = Play.of(v)
    for m in _BUSIEST.finditer(v.prompt):
        if not w.free(m.start(), m.end("unit")):
            continue
        end, table = m.end("unit"), None
        if m.group("t"):  # "for lessons", "for page views": the rows counted, named after the period
            for words in (m.group("t"), m.group("t").split()[0]):
                if (table := named_table(w, words)) is not None:
                    end = m.start("t") + len(words)
                    break
        if table is None and len(w.in_play()) == 1:
            table = w.in_play()[0]
        if table is None:
            continue
        try:
            date = main_date_column(v.catalog.table(table), m.group(0))
        except PlanError:
            continue  # several dates, none the rows': not guessed
        if date is None:
            continue
        said = m.group("unit").lower()
        unit = "weekday" if "week" in said else said.split()[0]
        column = f"{v.catalog.table(table).name}.{date}"
        alias = f"{singular(table)}_count"
        desc = m.group("sup").lower() == "busiest"
        edits = [w.use(table), Edit.add("derived", DerivedColumn(name=unit, expression=period_sql(unit, column),
                                                                 provenance=m.group("unit"))),
                 Edit.add("group_by", unit),
                 Edit.add("aggregations", Aggregation(function="count", alias=alias, provenance=m.group(0))),
                 Edit.add("order_by", OrderItem(column=alias, direction="desc" if desc else "asc", provenance=m.group(0))),
                 Edit.set("limit", 1)]  # fmt: skip
        w.take_spans([(m.start(), end)], *edits, why=f"the {unit} with the {'most' if desc else 'fewest'} {table} rows")
    return w.claims

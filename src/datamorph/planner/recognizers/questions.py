"""Headline questions that the rest of the request spells out: "Which suppliers earn us the
most? For each supplier add up ... Return supplier_id and that total.",
"Who are our best customers? List customers with more than 20 orders.", "Where is revenue
coming from? Total order amount per channel.".

The first sentence of such a request is a question whose loose words ("earn", "coming", "mix")
restate what the following sentences ask for precisely. It is set aside (its unused words marked
used, a note added to the spec) only when nothing in it can change the
result: it names no number, date, quoted or data value, no condition word, no table the rest
does not name and no column the plan does not use; and a superlative in it ("most", "best",
"least") matches the plan's ordering, or becomes the ordering by the plan's single measure
(ordering without a limit never changes which rows come back). Anything else stays unused and
the planner reports it. A request that is only a question is the request itself: untouched.

One claim: the question's loose words, with the note (and the ordering it gives, if any).
"""

from __future__ import annotations

from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import OPERATOR_WORDS, STOPWORDS, normalize
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mention_span, mentions
from datamorph.planner.refs import names_read
from datamorph.planner.text import MONTHS, Token
from datamorph.spec import OrderItem

_DESC = frozenset({"most", "best", "top", "biggest", "highest", "largest", "greatest"})
_ASC = frozenset({"least", "lowest", "smallest", "fewest", "worst", "bottom"})
_ENDS = frozenset({".", "!", "?", ";"})
#: Operator words that restrict rows or pick a time whenever they appear in a question, used or not.
_CONDITION = frozenset("""
not no none nobody nothing never without except excluding exclude excludes excluded neither nor unless only
more less fewer greater smaller larger higher lower bigger over under above below between than exceeding
exceeds exceed within equal equals exactly approximately around after before since until till during ago
last next previous past latest earliest newest oldest recent recently current currently new old today
yesterday tomorrow now year years month months week weeks day days quarter quarters daily weekly monthly
quarterly yearly annual annually ytd mtd weekend weekends
active inactive open closed pending cancelled canceled returned refunded failed expired overdue late unpaid
churned lapsed dormant better worse
""".split()) | frozenset(m for m in MONTHS if m != "may")  # fmt: skip
#: Words ending in "-est" that are not superlatives ("busiest", "cheapest" pick an order the plan must say).
_NOT_SUPERLATIVE = frozenset({"interest", "interests", "request", "requests", "rest", "test", "tests", "guest", "guests",
                              "west", "forest", "suggest", "invest", "harvest", "honest", "modest", "digest",
                              "contest", "protest", "quest"})  # fmt: skip
#: Operator words harmless in a headline: particles of its verb ("go through", "add up").
_PARTICLES = frozenset({"through", "up"})
_COMPARISONS = frozenset({">", "<", ">=", "<=", "=", "==", "!=", "<>"})
_MAX_LOOSE_WORDS = 6  # a headline is short; a long question is a request of its own


def rule(d: View) -> list[Claim]:
    """Set aside a headline question the rest of the request restates, when it is safe to."""
    span = _headline(d)
    if span is None:
        return []
    q_end, toks = span
    loose = [t for t in toks if not t.used and t.kind == "word" and t.low not in STOPWORDS]
    if not loose or len(loose) > _MAX_LOOSE_WORDS or d.base is None:
        return []
    if not any(t.used for t in d.tokens.items if t.start > q_end) or _carries_condition(toks):
        return []
    sup = _superlative(toks)
    if not _loose_words_ok(d, loose, sup):
        return []
    ok, compared = _mentions_ok(d, q_end, sup)
    order = None
    if ok and sup is not None:
        ok, order = _ordering(d, sup, compared)
    if not ok:
        return []
    question = d.prompt[: q_end + 1].strip()
    note = f"headline question restated by the request: {question!r}"
    edits = [*([Edit.add("order_by", order)] if order else []), Edit.add("notes", note)]
    return [Claim(tuple((t.start, t.end) for t in loose), tuple(edits), why="a headline question the rest restates")]


# ------------------------------------------------------------------------------------------------


def _headline(d: View) -> tuple[int, list[Token]] | None:
    """(offset of the '?', the question's tokens) when the request opens with a question and goes on."""
    items = d.tokens.items
    for i, t in enumerate(items):
        if t.kind == "punct" and t.text in _ENDS:
            if t.text != "?":
                return None
            rest = [x for x in items[i + 1 :] if x.kind != "punct"]
            return (t.start, items[:i]) if rest else None
    return None


def _carries_condition(toks: list[Token]) -> bool:
    """A number, date, quoted value or a word that restricts rows or time ("only", "not", "last year")."""
    for i, t in enumerate(toks):
        if t.kind in ("number", "date", "quoted") or t.kind == "op" and t.text in _COMPARISONS:
            return True
        if t.low in _CONDITION:
            return True
        if t.low.endswith("est") and len(t.low) > 4 and t.low not in _NOT_SUPERLATIVE | _DESC | _ASC:
            return True  # "busiest", "cheapest", "longest": an order of its own, which the rest may not give
        if t.low == "least" and i > 0 and toks[i - 1].low == "at":
            return True
    return False


def _superlative(toks: list[Token]) -> tuple[Token, Token | None] | None:
    """The unused superlative of the question and the word after it ("most" "money"), if any.

    Several superlatives ("the best and the cheapest") give :data:`_SEVERAL`: never set aside.
    """
    found = [i for i, t in enumerate(toks) if not t.used and t.low in _DESC | _ASC]
    if not found:
        return None
    if len(found) > 1:
        return _SEVERAL
    i = found[0]
    after = next((t for t in toks[i + 1 :] if t.kind == "word" and t.low not in STOPWORDS), None)
    return toks[i], after


_SEVERAL = (Token("", "word", -1, -1), None)


def _loose_words_ok(d: View, loose: list[Token], sup: tuple[Token, Token | None] | None) -> bool:
    """No unused word of the question is an operator the question would need ("total", "each", "per")."""
    if sup is _SEVERAL:
        return False
    for t in loose:
        if t.low not in OPERATOR_WORDS or t.low in _PARTICLES:
            continue
        if sup is not None and t is sup[0]:
            continue
        if t.low in ("much", "many") and d.prompt[: t.start].rstrip().lower().endswith("how"):
            continue  # "how much money ...?", "how many customers ...?"
        return False
    return True


#: What a superlative compares: ("column", qualified names), ("table", {name}), ("amount", {}) or None.
_Compared = tuple[str, frozenset[str]] | None


def _mentions_ok(d: View, q_end: int, sup: tuple[Token, Token | None] | None) -> tuple[bool, _Compared]:
    """Tables the question names are named again later; columns it names are used by the plan; no values.

    Also returns what the superlative compares when the word after it names something: a column
    ("the most money") or a table ("the most accounts"); a word the linker ties to a column of a
    table the plan does not touch ("the most expensive" departments) compares some amount.
    """
    used_text = _draft_text(d)
    head: list[TableMatch | ColumnMatch | ValueMatch] = []
    rest_tables: set[str] = set()
    for m in mentions(d):
        span = mention_span(d, m)
        if span is None:
            continue
        if span[1] <= q_end:
            head.append(m)
        elif span[0] > q_end:
            rest_tables.add(m.table)
        else:
            return False, None  # a mention running across the question mark
    draft_tables = set(d.referenced_tables()) | rest_tables
    after = sup[1] if sup else None
    compared: _Compared = None
    for m in head:
        if isinstance(m, ValueMatch):
            return False, None
        span = mention_span(d, m)
        is_after = after is not None and span is not None and span[0] <= after.start < span[1]
        if isinstance(m, TableMatch):
            if m.table not in rest_tables:
                return False, None
            if is_after:
                compared = ("table", frozenset({m.table}))
            continue
        names = _column_names(d, m)
        if names & _used_names(used_text, names):
            if is_after:
                compared = ("column", names)
            continue
        if is_after and m.table not in draft_tables:
            compared = ("amount", frozenset())  # "the most expensive" departments: some amount, not a count
            continue
        return False, None
    return True, compared


def _column_names(d: View, m: ColumnMatch) -> frozenset[str]:
    """The linker's pick and the best match among the plan's own tables ("countries" is
    ``users.country`` in a plan about users, though customers have a country too)."""
    names = {f"{m.table}.{m.column}".lower()}
    hits = d.linker.columns(m.text, d.referenced_tables()) if m.text else []
    if hits:
        names.add(f"{hits[0].table}.{hits[0].column}".lower())
    return frozenset(names)


def _used_names(read: set[str], names: frozenset[str]) -> set[str]:
    return set(names & read)


def _draft_text(d: View) -> set[str]:
    """The names (``table.column``, lower case) the draft's elements read."""
    return names_read([*d.filters, *d.derived, *d.aggregations, *d.having, *d.windows, *d.columns, *d.order_by],
                      d.group_by)  # fmt: skip


def _ordering(d: View, sup: tuple[Token, Token | None], compared: _Compared) -> tuple[bool, OrderItem | None]:
    """Whether the plan already orders the way the superlative says (no new item), or can be given the order
    by its only measure (that item)."""
    word = sup[0]
    direction = "desc" if word.low in _DESC else "asc"
    if d.order_by:
        first = d.order_by[0]
        return first.direction == direction and _measures_it(d, first.column, compared), None
    if d.limit is not None:
        return False, None
    measures = [a.alias for a in d.aggregations]
    if not measures and not d.group_by:
        measures = [x.name for x in d.derived if _numeric(x.expression)]
    if len(measures) != 1 or not _measures_it(d, measures[0], compared):
        return False, None
    words = d.prompt[word.start : (sup[1] or word).end]
    return True, OrderItem(column=measures[0], direction=direction, provenance=words)  # type: ignore[arg-type]


def _measures_it(d: View, target: str, compared: _Compared) -> bool:
    """``target`` (a measure name or a column) measures what the superlative compares.

    "the most money" needs a measure of the money column; "the most accounts" a count (or the
    ranked entity itself: "our best customers" ranks customers by whatever the rest measures).
    """
    agg = next((a for a in d.aggregations if a.alias == target), None)
    der = next((x for x in d.derived if x.name == target), None)
    if compared is None:
        return agg is not None or der is not None or _numeric_column(d, target)
    kind, names = compared
    if kind == "amount":
        return der is not None or agg is not None and not agg.function.startswith("count")
    if kind == "table":
        if agg is not None and agg.function.startswith("count"):
            return True
        return any(_is_entity_of(d, g, t) for g in d.group_by for t in names)
    if agg is not None:
        read = names_read([agg])
    elif der is not None:
        read = names_read([der])
    else:
        read = {target.lower()}
    return bool(_used_names(read, names))


def _is_entity_of(d: View, group_column: str, table: str) -> bool:
    """``orders.customer_id`` groups by the key of ``customers``: the rows ranked are customers."""
    column = group_column.lower().partition(".")[2]
    keys = {k.lower() for k in d.catalog.table(table).primary_key} if d.catalog.has_table(table) else set()
    return column in keys | {f"{normalize(table)}_id", f"{table.lower()}_id"}


def _numeric_column(d: View, qualified: str) -> bool:
    """A numeric source column that is not a key (ordering by an id ranks nothing)."""
    table, _, column = qualified.partition(".")
    if not column or not d.catalog.has_table(table) or not d.catalog.table(table).has_column(column):
        return False
    info = d.catalog.table(table)
    keys = {k.lower() for k in info.primary_key}
    low = column.lower()
    return info.column(column).family in ("integer", "decimal", "float") and low not in keys \
        and not low.endswith("_id") and low != "id"


def _numeric(expression: str) -> bool:
    """An arithmetic formula (not a label or a flag): has an operator, no quoted text, no CASE."""
    low = expression.lower()
    return any(op in low for op in "+-*/") and "'" not in low and "case" not in low

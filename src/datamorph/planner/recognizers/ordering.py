"""Ordering and top-N: "top 10 products by revenue", "the 5 most expensive products",
"five most recently hired employees", "sorted by amount descending", "newest first", "limit 20".

The order column is looked up among the names the request defined (aggregation
aliases, derived columns, windows) first, then among the source columns.
Superlatives without a column use what they imply: "most expensive" → a price,
"newest"/"most recent" → the table's main date, "biggest"/"highest" → the only
measure the request computed, else the table's main measure.

One step per kind of phrase (top N, "sorted by", "X first", "alphabetically", "limit N"), each
returning claims. A phrase opens on words no claim explains (not even a table's name: "one trip
on the same morning" sorts nothing) and none held back for the output list (``reserved``); the column
words after "by" may be explained already (a measure's name): those claims build on them.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES
from datamorph.errors import CatalogError, PlanError
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, View, claim, edit_only
from datamorph.planner.lexicon import STOPWORDS, singular
from datamorph.planner.linking import ColumnMatch
from datamorph.planner.recognizers import tiewords
from datamorph.planner.recognizers.common import Work, explained, in_play, unexplained, written_column
from datamorph.planner.recognizers.measures import HAVE, INDIVIDUAL_WORDS
from datamorph.planner.text import Token
from datamorph.spec import Filter, OrderItem

_DESC = r"desc(?:ending)?|in\s+descending\s+order|(?:from\s+)?(?:highest|largest|biggest|most|high|newest|latest)\s+(?:to|first|->)\s*(?:lowest|smallest|least|low|oldest|earliest)?|(?:highest|largest|biggest|newest|latest|most\s+recent)\s+first|reversed?|z\s*-\s*a"  # noqa: E501
_ASC = r"asc(?:ending)?|in\s+ascending\s+order|(?:from\s+)?(?:lowest|smallest|least|low|oldest|earliest)\s+(?:to|first|->)\s*(?:highest|largest|biggest|most|high|newest|latest)?|(?:lowest|smallest|oldest|earliest)\s+first|a\s*-\s*z|alphabetical(?:ly)?|in\s+alphabetical\s+order"  # noqa: E501
_DIR = re.compile(rf"^\s*,?\s*(?:(?P<desc>{_DESC})|(?P<asc>{_ASC}))(?:\s+order)?\b", re.IGNORECASE)
_SORT = re.compile(
    r"\b(?:(?:sort|sorted|order|ordered|rank|ranked|arrange|arranged|organi[sz]ed|list(?:ed)?)\s+"
    r"(?:them\s+|it\s+|the\s+\w+\s+)?(?P<adv>alphabetically\s+|chronologically\s+|numerically\s+)?"
    r"(?:by|on|according\s+to)|(?:in\s+order\s+of))\s+",
    re.IGNORECASE,
)
_SUPER_DESC = {"biggest", "largest", "highest", "greatest", "top", "most", "best", "priciest", "newest", "latest",
               "longest", "heaviest", "costliest", "largest-value"}  # fmt: skip
_SUPER_ASC = {"smallest", "lowest", "least", "bottom", "cheapest", "oldest", "earliest", "shortest", "lightest",
              "fewest", "worst"}  # fmt: skip
_DATE_WORDS = {"newest", "latest", "oldest", "earliest", "recent", "recently"}
_PRICE_WORDS = {"expensive", "priciest", "pricey", "cheapest", "cheap", "costliest", "costly"}
_QUESTION = re.compile(r"\b(?:which|what)\s+$", re.I)
_TOP_WORDS = {"top", "bottom", "best", "worst", "first", "last", "latest", "newest", "oldest", "earliest"}
_HOW = {"most", "least", "recently"}
_SUP = re.compile(
    r"^\s+(?P<sup>(?:most|least)\s+recently\s+[a-z]+(?:\s+(?:up|in|on|out|off)\b)?|(?:most|least)\s+recent|(?:most|least)\s+[a-z]+|"
    r"biggest|largest|highest|greatest|smallest|lowest|cheapest|priciest|costliest|newest|latest|oldest|earliest|"
    r"longest|shortest|best|worst|heaviest|lightest)\b",
    re.IGNORECASE,
)
_LIMIT = re.compile(r"\b(?:limit(?:ed)?\s+(?:to\s+|it\s+to\s+|the\s+results?\s+to\s+)?|only\s+(?:the\s+)?(?:first\s+)?|"
                    r"just\s+(?:the\s+)?(?:first\s+)?)(?P<n>\d[\d,]*|[a-z]+)(?:\s+(?:rows?|records?|results?|lines?))?",
                    re.IGNORECASE)  # fmt: skip
_STANDALONE = re.compile(
    r"\b(?P<w>newest|latest|most\s+recent|oldest|earliest|highest|largest|biggest|lowest|smallest|cheapest|"
    r"most\s+expensive|most|fewest|least)\s+(?:ones\s+)?first\b",
    re.IGNORECASE,
)
_ALPHA = re.compile(r"\b(?:(?:sorted|ordered|sort|order|listed|arranged)\s+)?(?:alphabetically|in\s+alphabetical\s+order|"
                    r"a\s*-\s*z|from\s+a\s+to\s+z)\b", re.IGNORECASE)  # fmt: skip
_QUALIFIER = re.compile(rf"^\s+(?:{'|'.join(sorted(INDIVIDUAL_WORDS))})\b", re.IGNORECASE)
_HARMLESS = frozenset({"gross"})  # qualifies a measure name without changing it ("by gross revenue")
_BY = re.compile(r"^\s*(?:by|in\s+terms\s+of|based\s+on|ranked\s+by|according\s+to)\s+", re.IGNORECASE)
#: "the 3 vans with the highest mileage", "5 shops having the lowest rent": the superlative after the noun.
#: "which 10 products have the highest unit price", "the 4 trips that had the longest distance": the verb "have".
_WITH_SUP = re.compile(rf"^\s*(?:{HAVE}|(?P<verb>[a-z]+))\s+the\s+(?P<sup>highest|"
                       r"biggest|largest|greatest|longest|lowest|smallest|shortest|most|fewest|least)\s+",
                       re.IGNORECASE)  # "the most trips": the count


def top_n(d: View) -> list[Claim]:
    """"top 10 products by revenue", "the 5 most expensive products": the order and the limit."""
    w = Work(d)
    for i, t in enumerate(d.tokens.items):
        if t.kind == "number" and not explained(w, t) and isinstance(t.value, int) and t.value > 0:
            _top_n_at(w, i)
    if not w.claims:
        _one_with_most(w)
    if not w.claims:
        _one_superlative(w)
    return w.claims


#: "in each region", "per depot", "for every store": a superlative there picks a row per group (not read here)
_PER_GROUP = re.compile(r"\b(?:each|every|per)\b", re.I)


def _one_superlative(w: Work) -> None:
    """"the cheapest product", "the most expensive order", "the oldest customer": a superlative before a
    singular noun that names the rows asks for one row, the first in that order (a top N of 1). Not with a
    group said in the sentence (one per group is another request), nor before a plural ("the cheapest
    products": how many is not said)."""
    d, items = w.view, w.view.tokens.items
    for i, t in enumerate(items):
        if t.low != "the" or explained(w, t):
            continue
        sm = _SUP.match(d.prompt[t.end :])
        at = t.end + sm.end() if sm else t.end
        noun_end = _skip_nouns(w, at)
        if sm is None and _WITH_SUP.match(d.prompt[noun_end:]) is None:
            continue  # neither "the cheapest product" nor "the account with the highest credit limit"
        stop = re.search(r"[.;!?]", d.prompt[t.end :])
        sentence = d.prompt[t.end : t.end + stop.start() if stop else len(d.prompt)]
        if _PER_GROUP.search(sentence) or _PER_GROUP.search(re.split(r"[.;!?]", d.prompt[: t.start])[-1]):
            continue
        named = [x for x in items[i + 1 :] if at <= x.start and x.end <= noun_end and x.kind == "word"]
        if not named or singular(named[-1].text) != named[-1].low:
            continue  # "the cheapest products": how many is not said
        one = Token(t.text, "number", t.start, t.end, 1)
        _top_n_at(w, i, one)
        if w.claims:
            return


#: "the browser with the fewest sessions", "which doctor has the most appointments"
_ONE_MOST = re.compile(rf"\b{HAVE}\s+the\s+(?P<sup>most|fewest|least|highest|lowest|largest|biggest|smallest|greatest)\b",
                       re.I)  # fmt: skip
_ONE_DESC = frozenset({"most", "highest", "largest", "biggest", "greatest"})
_COUNT_SUP = frozenset({"most", "fewest", "least"})


def _refers(d: View, column: str) -> bool:
    """``column`` (table.column) refers to another table's rows (a foreign key)."""
    table, _, name = column.partition(".")
    if not d.catalog.has_table(table):
        return False
    return any(name.lower() in (c.lower() for c in fk.columns) for fk in d.catalog.table(table).foreign_keys)


_VALUES_BEFORE = 2  # "the most completed appointments", "the most active paid subscriptions"


def _without_values(d: View, text: str) -> str:
    """``text`` past the data values that open it ("active subscriptions" → "subscriptions"): the counted rows'
    condition, read by the row filters."""
    for _ in range(_VALUES_BEFORE):
        first, _, rest = text.partition(" ")
        if not rest or not d.linker.values(first) or d.linker.tables(first)[:1]:
            break
        text = rest
    return text


def _one_with_most(w: Work) -> None:
    """One group asked for (:func:`measures.one_ranked`) "with the most <rows>", "has the highest <measure>": the
    groups sorted by the one measure the request computes, named right after, and the first kept (limit 1)."""
    from datamorph.planner.recognizers.measures import one_ranked

    d = w.view
    if d.limit is not None or d.order_by or not d.group_by or len(d.aggregations) != 1:
        return
    agg = d.aggregations[0]
    for m in _ONE_MOST.finditer(d.prompt):
        after = _without_values(d, re.sub(r"\s+", " ", d.prompt[m.end() :].strip().lower()))
        counted = agg.function in ("count", "count_distinct")
        if not _open(w, m.start("sup"), m.end()) or not one_ranked(d.prompt, m.start()) or counted != (
                m.group("sup").lower() in _COUNT_SUP) or not agg.provenance or not after.startswith(
                agg.provenance.lower()):  # fmt: skip
            continue  # "the most loans": a count; "the highest total amount": a sum, an average ...
        desc = m.group("sup").lower() in _ONE_DESC
        if not desc and _refers(d, d.group_by[0]):  # "the member with the fewest loans": one with none, not counted
            raise PlanError(f"'{m.group(0)} {agg.provenance}': those with none have the fewest, and no row counts them",
                            hint="ask for '<rows> per <thing>, fewest first' (those with some rows)")  # fmt: skip
        item = OrderItem(column=agg.alias, direction="desc" if desc else "asc", provenance=m.group(0))
        w.claims.append(claim(m.start(), m.end(), Edit.add("order_by", item), Edit.set("limit", 1), over=True,
                              why="the one with the most"))  # ("placed" may be read as a state too)
        return


def sorted_by(d: View) -> list[Claim]:
    """"sorted by amount descending, then by name"."""
    w = Work(d)
    for m in _SORT.finditer(d.prompt):
        if _open(w, m.start(), m.end()):
            _sorted_by(w, m)
    return w.claims


def standalone(d: View) -> list[Claim]:
    """"newest first", "cheapest first", "highest first": the column the word implies."""
    w = Work(d)
    tied = [(c.start, c.end) for c in tiewords.clauses(d.prompt, lambda p: _tie_column(w, p), lambda a, b: _open(w, a, b))]
    for m in _STANDALONE.finditer(d.prompt):
        if not _open(w, m.start(), m.end()) or any(a <= m.start() < b for a, b in tied):
            continue  # "ties by date (newest first)": the tie key's direction (:func:`ties`)
        if _restates(w, m):
            w.claims.append(claim(m.start(), m.end(), why="the order's direction, said again"))
            continue
        item = _standalone(w, m)
        w.claims.append(claim(m.start(), m.end(), Edit.add("order_by", item), why="an order without a column"))
    for m in _MOST_DONE.finditer(d.prompt):  # "views per page, most viewed first": by the count of the views
        if _open(w, m.start(), m.end()) and (done := _most_done(d, m)) is not None:
            w.claims.append(claim(m.start(), m.end(), Edit.add("order_by", done), over=True, why="most <verb>ed first"))
    for m in _ONE_MOST.finditer(d.prompt):  # "doctors with the most visits, top 5": the top N's order, said first
        if _open(w, m.start("sup"), m.end()) and _most_said_again(d, m):
            w.claims.append(claim(m.start(), m.end(), over=True, why="the order's direction, said again"))
    return w.claims


#: "most viewed first", "least ordered first": groups sorted by how many of the counted rows they have, when the
#: participle is the verb of those rows (viewed → page_views, ordered → orders)
_MOST_DONE = re.compile(r"\b(?P<sup>most|least)\s+(?P<v>[a-z]+ed)\s+first\b", re.I)


def _most_done(d: View, m: re.Match[str]) -> OrderItem | None:
    """The order "most <participle> first" gives: the one count of the request, when its rows' table is named
    after the participle's verb; else None (left unread: "the most booked" says no rows)."""
    from datamorph.planner.recognizers.dates import _stem

    counts = [a for a in d.aggregations if a.function in ("count", "count_distinct")]
    if len(d.aggregations) != 1 or len(counts) != 1 or d.order_by or not d.group_by:
        return None
    table = next((t for t in ([d.base, *d.tables] if d.base else d.tables) if t), None)
    rows = counts[0].column.split(".")[0] if counts[0].column and "." in counts[0].column else table
    if rows is None or _stem(m.group("v")) not in {_stem(p) for p in rows.lower().split("_")}:
        return None
    desc = m.group("sup").lower() == "most"
    return OrderItem(column=counts[0].alias, direction="desc" if desc else "asc", provenance=m.group(0))


def _most_said_again(d: View, m: re.Match[str]) -> bool:
    """The rows are already sorted (first) by the one count, of the rows named right after ``m``, the way ``m``
    says ("most": descending), and a number of them kept."""
    if d.limit is None or not d.order_by or len(d.aggregations) != 1 or not d.aggregations[0].provenance:
        return False
    agg, first = d.aggregations[0], d.order_by[0]
    after = re.sub(r"\s+", " ", d.prompt[m.end() :].strip().lower())
    desc = m.group("sup").lower() == "most"
    return first.column == agg.alias and (first.direction == "desc") == desc and after.startswith(agg.provenance.lower())


def alphabetical(d: View) -> list[Claim]:
    """"sorted alphabetically" / "in alphabetical order" without a column: the table's one name column."""
    w = Work(d)
    for m in _ALPHA.finditer(d.prompt):
        word = re.search(r"alphabetic\w*|a\s*-\s*z|a\s+to\s+z", m.group(0), re.IGNORECASE)
        if word is None or not _open(w, m.start() + word.start(), m.start() + word.end()) or d.base is None:
            continue
        table = d.catalog.table(d.base)
        names = [c.name for c in table.columns if c.family == "text" and "name" in c.name.lower()]
        if len(names) != 1:
            raise PlanError(f"'{m.group(0)}': alphabetically by which column of {table.name}?",
                            hint="say 'sorted by <column>'")  # fmt: skip
        item = OrderItem(column=f"{table.name}.{names[0]}", provenance=m.group(0))
        w.claims.append(claim(m.start(), m.end(), Edit.add("order_by", item), over=True, why="alphabetically"))
    return w.claims


def hold_ties(d: View) -> list[Claim]:
    """A tie clause after words that order ("..., ties broken by the lower id", "ties: lowest id", "break ties by
    id") is held from the recognizers that read groupings and measures ("by id" is no grouping, "lowest id" no
    minimum); :func:`release_ties` frees it for the orders (windows, :func:`ties`) read later."""
    w = Work(d)
    for c in tiewords.clauses(d.prompt, lambda p: _tie_column(w, p), w.free):
        w.claims.append(claim(c.start, c.end, why="a tie-breaker, read with the order"))
    return w.claims


def release_ties(d: View) -> list[Claim]:
    """The words :func:`hold_ties` held are free again."""
    spans = tuple(s for r in d.records if r.recognizer == "ordering.tie_hold" for s in r.spans)
    return [edit_only(Edit.release(*spans), why="a tie-breaker, left to the order")] if spans else []


def ties(d: View) -> list[Claim]:
    """"newest first, ties settled by the smaller id", "break ties by id (higher first) and then by name": the
    sort's next keys (:mod:`tiewords`). Refused: a tie clause when nothing is sorted or a window (a rank) left it
    unread (whose ties?), a key that is no column of
    the rows (nor, for grouped rows, a group key or a measure), a key the rows are already sorted by."""
    w = Work(d)
    for c in tiewords.clauses(d.prompt, lambda p: _tie_column(w, p), lambda a, b: _open(w, a, b)):
        words = d.prompt[c.start : c.end]
        if not d.order_by:
            raise PlanError(f"'{words}': ties of which order?", hint="say 'sorted by <column>, ties broken by <column>'")
        if d.windows:  # a rank, a row number... the window did not read it: its ties, or the sorted rows'?
            raise PlanError(f"'{words}': ties of the {d.windows[0].name} or of the sorted rows?",
                            hint="say 'ties broken by the lower/higher <column>' right after the rank's order")  # fmt: skip
        items: list[OrderItem] = []
        for k in c.keys:
            if k.column is None:
                raise PlanError(f"'{words}': which column of the rows breaks the ties?",
                                hint="name a column of the rows (or of the groups) after 'ties broken by'")  # fmt: skip
            if any(o.column.lower() == k.column.lower() for o in (*d.order_by, *items)):
                raise PlanError(f"'{words}': the rows are already sorted by {k.column}",
                                hint="break the ties by another column")  # fmt: skip
            items.append(OrderItem(column=k.column, direction=k.direction, provenance=d.prompt[k.start : k.end]))  # type: ignore[arg-type]
        w.claims.append(claim(c.start, c.end, Edit.add("order_by", *items), why="how ties are broken"))
    _unread_ties(w)
    return w.claims


_TIE_WORDS = frozenset({"tie", "ties", "tied", "tie-break", "tiebreak", "tiebreaker", "tie-breaker"})


def _unread_ties(w: Work) -> None:
    """A word of ties nothing read ("top 5 ... including ties", "sorted by X with ties") in a request that orders
    rows is refused: whether tied rows are kept, dropped or broken by a key is not said in a way read here."""
    d = w.view
    if not (d.order_by or d.limit is not None or d.dedupe is not None or d.windows):
        return
    named = [(m.start, m.end) for m in d.mentions if isinstance(m, ColumnMatch)]
    for t in d.tokens.items:
        if t.low in _TIE_WORDS and not explained(w, t) and not any(a <= t.start and t.end <= b for a, b in named):
            raise PlanError(f"'{t.text}': how are tied rows treated?",
                            hint="say 'ties broken by <column>' (or leave ties out)")  # fmt: skip


def _tie_column(w: Work, phrase: str) -> str | None:
    """The column (or measure) of the rows a tie-breaker's words name: a name the request defined, else a
    column of a table in play (for grouped rows: one that is grouped). None when they name none."""
    d = w.view
    key = re.sub(r"[\s-]+", "_", phrase.lower())
    defined = {**{a.alias.lower(): a.alias for a in d.aggregations}, **{x.name.lower(): x.name for x in d.derived},
               **{x.name.lower(): x.name for x in d.windows}}  # fmt: skip
    if key in defined:
        return defined[key]
    tables = in_play(w)
    if not tables:
        return None
    hits = [h for h in d.linker.columns(phrase, tables) if h.score >= 0.85 and _whole(h, phrase)]
    if not hits or hits[0].table not in tables:
        return None
    if not d.group_by and not d.aggregations:
        return f"{hits[0].table}.{hits[0].column}"
    grouped = [g for g in d.group_by if g.split(".")[-1].lower() == hits[0].column.lower()]
    return grouped[0] if len(grouped) == 1 else None  # grouped rows sort by a key as grouped


def limit(d: View) -> list[Claim]:
    """"limit 20", "only the first 5 rows"."""
    w = Work(d)
    for m in _LIMIT.finditer(d.prompt):
        n = _number_at(d, m.start("n"), m.end("n"))
        if n is not None and _open(w, m.start(), m.end()):
            w.claims.append(claim(m.start(), m.end(), Edit.set("limit", n), why="a row limit"))
    return w.claims


#: "(the 5 cheapest ...) among active products", "out of the open tickets": which rows the top is taken from
_AMONG = re.compile(r"\b(?:among|amongst|out\s+of)\s+(?:all\s+)?(?:the\s+)?(?P<rows>[^,.;:!?()]+)", re.I)


def among(d: View) -> list[Claim]:
    """"the 5 accounts with the lowest credit limit among active accounts": the rows a top N is taken from, said
    by words every one of which another claim read (the rows' condition, the table's name): "among" adds nothing
    the plan lacks. Only with a planned limit; a word nobody read leaves "among" unread (refused)."""
    if d.limit is None and not d.windows:
        return []
    out = []
    for m in _AMONG.finditer(d.prompt):
        words = [t for t in d.tokens.within(m.start("rows"), m.end("rows")) if t.kind != "punct"]
        if words and d.free(m.start(), m.start("rows")) and all(t.shared or not d.free(t.start, t.end) for t in words) \
                and any(not d.free(t.start, t.end) and not t.shared for t in words):  # fmt: skip
            out.append(claim(m.start(), m.start("rows"), why="the rows the top is taken from, said by their condition"))
    return out


# ------------------------------------------------------------------------------------------------


def _open(w: Work, start: int, end: int) -> bool:
    """[start, end) may open an ordering phrase: no claim explains a word of it (:func:`unexplained`: a
    table's name is no sort verb) and none is held back for the output list."""
    return unexplained(w, start, end) and not _reserved(w.view, start, end)


def _reserved(d: View, start: int, end: int) -> bool:
    """A word of [start, end) lies in a span held back for the output list (``d.reserved``)."""
    return any(a <= t.start and t.end <= b for t in d.tokens.overlapping(start, end) if t.kind != "punct"
               for a, b in d.reserved)  # fmt: skip


def _toks(d: View | Work, start: int, end: int) -> list[Token]:
    return [t for t in d.tokens.overlapping(start, end)]


def _brought_since(w: Work, mark: int) -> list[Edit]:
    """The edits that bring in the tables found since ``mark`` (``len(w.brought)`` then)."""
    return [Edit.use_table(t) for t in w.brought[mark:]]


def _number_at(d: View, start: int, end: int) -> int | None:
    for t in _toks(d, start, end):
        if t.kind == "number" and isinstance(t.value, (int, float)) and float(t.value).is_integer():
            return int(t.value)
    return None


_PHRASE_STOPS = frozenset({"and", "then", "with", "for", "in", "where", "who", "that", "from", "of", "desc", "asc",
                           "descending", "ascending", "first", "into", "limit", "only"})


def _phrase_after(d: View | Work, pos: int, max_words: int = 4) -> list[Token]:
    """The unused words right after ``pos`` (up to a punctuation, a used word or a connector)."""
    out: list[Token] = []
    named = [(m.start, m.end) for m in d.mentions if isinstance(m, ColumnMatch) and m.end > pos]
    for t in d.tokens.items:
        if t.start < pos:
            continue
        inside = bool(out) and any(a <= out[0].start and t.end <= b for a, b in named)  # "credit limit": one name
        if t.kind not in ("word", "quoted") or not inside and t.low in _PHRASE_STOPS:
            break
        out.append(t)
        if len(out) == max_words:
            break
    return out


def order_target(d: Work, tokens: list[Token]) -> tuple[str, int] | None:
    """The order column a phrase names (a defined name first) and how many of its tokens it used.

    A column of a table not in play brings that table in (:meth:`Work.use`).
    """
    defined = {**{a.alias.lower(): a.alias for a in d.aggregations}, **{x.name.lower(): x.name for x in d.derived},
               **{w.name.lower(): w.name for w in d.windows}}  # fmt: skip
    if len(tokens) > 1 and (tokens[0].low in _HARMLESS or explained(d, tokens[0]) and d.linker.values(tokens[0].text)):
        inner = order_target(d, tokens[1:])  # "by completed appointments": 'completed' is the rows' condition
        if inner is not None:
            return inner[0], inner[1] + 1
    for n in range(len(tokens), 0, -1):
        phrase = d.prompt[tokens[0].start : tokens[n - 1].end]
        key = re.sub(r"[\s-]+", "_", phrase.lower())
        if key in defined:
            return defined[key], n
        for a in d.aggregations:
            prov = (a.provenance or "").lower()
            if prov and re.search(rf"\b{re.escape(phrase.lower())}\b", prov):
                return a.alias, n
        for x in d.derived:
            if x.provenance and re.search(rf"\b{re.escape(phrase.lower())}\b", x.provenance.lower()):
                return x.name, n
    for n in range(len(tokens), 0, -1):
        phrase = d.prompt[tokens[0].start : tokens[n - 1].end]
        hits = d.linker.columns(phrase, in_play(d) or None)
        if hits and in_play(d) and _elsewhere(d, phrase, hits[0].score):
            return None  # "top 5 products by units": the order items' quantity, never the products' unit_price
        if hits and _whole(hits[0], phrase) and _names_rows(d, hits[0], phrase):
            return None  # "top 3 agents by tickets": the count of a table's rows, never the order of its key
        if hits and _whole(hits[0], phrase):
            grouped = [g for g in d.group_by if g.split(".")[-1] == hits[0].column]
            if d.group_by and f"{hits[0].table}.{hits[0].column}" not in d.group_by and len(grouped) == 1:
                return grouped[0], n  # a grouped key shared by two tables: sort by the one that is grouped
            if hits[0].table not in in_play(d):
                d.use(hits[0].table)
            return f"{hits[0].table}.{hits[0].column}", n
    generic = _generic_date(d, d.prompt[tokens[0].start : tokens[-1].end]) if len(tokens) == 1 else None
    if generic is not None:
        return generic, 1
    return _event_time(d, tokens)


def _event_time(d: Work, tokens: list[Token]) -> tuple[str, int] | None:
    """"by pickup time" → picked_up_at, "by issue date" → issued_on: an event's word and a time word name the one
    date column of the tables in play with that event in its name (only with the time word: "by pickup" is no date)."""
    from datamorph.planner.recognizers.dates import TIME_WORDS, date_by_stem

    for n in (3, 2):
        if len(tokens) >= n and tokens[n - 1].low in TIME_WORDS and in_play(d):
            found = date_by_stem(d.view, d.prompt[tokens[0].start : tokens[n - 1].end], in_play(d))
            if found is not None:
                return found, n
    return None



def _elsewhere(d: Work, phrase: str, score: float) -> bool:
    """A column of a table not in play matches ``phrase`` clearly better than the best one in play (``score``):
    the phrase names that column, and ordering by the weaker match would be a wrong table."""
    best = d.linker.columns(phrase)
    return bool(best) and best[0].table not in in_play(d) and best[0].score >= score + 0.1


def _names_rows(d: Work, m: ColumnMatch, phrase: str) -> bool:
    """The phrase names a table, and the column it reached is that table's key, which the phrase does not
    spell ("tickets" reached tickets.ticket_id): ordering by it would misread a count as an id."""
    info = d.catalog.table(m.table)
    if m.column not in info.primary_key or written_column(d.catalog, phrase) or phrase.lower() == m.column.lower():
        return False
    tables = d.linker.tables(phrase)
    return bool(tables) and tables[0].score >= 0.85 and tables[0].table == m.table


def _whole(m: ColumnMatch, phrase: str) -> bool:
    return len(phrase.split()) == 1 or m.text.strip().lower() == phrase.strip().lower()


def _measure(d: Work, words: str) -> str:
    """What "biggest"/"highest" rank by: the one computed measure, else the base table's main measure."""
    if len(d.aggregations) == 1:
        return d.aggregations[0].alias
    if len(d.aggregations) > 1:
        names = ", ".join(a.alias for a in d.aggregations)
        raise PlanError(f"'{words}': ranked by which measure? ({names})", hint="say 'by <measure>'")
    from datamorph.planner.recognizers.filters import main_measure

    if d.base is None:
        raise PlanError(f"'{words}': ranked by what?", hint="say 'by <column>'")
    return f"{d.base}.{main_measure(d, d.catalog.table(d.base), words)}"  # type: ignore[arg-type]


def _date(d: Work, words: str) -> str:
    from datamorph.planner.recognizers.dates import main_date_column

    if d.base is None:
        raise PlanError(f"'{words}': which date?", hint="name the date column")
    used = _dated_by_conditions(d, d.base)
    if used is not None:  # "patients registered since January, newest first": the date the request is about
        return used
    col = main_date_column(d.catalog.table(d.base), words)
    if col is None:
        raise PlanError(f"'{words}': {d.base} has no date column", hint="say 'by <column>'")
    return f"{d.base}.{col}"


def _dated_by_conditions(d: Work, table: str) -> str | None:
    """The one date column of ``table`` the request's conditions compare ("registered since January" →
    registered_on), or None (none, or several)."""
    info = d.catalog.table(table)
    used = {f.column for f in d.filters if isinstance(f, Filter) and "." in f.column
            and f.column.split(".", 1)[0].lower() == info.name.lower()
            and info.has_column(f.column.split(".", 1)[1])
            and info.column(f.column.split(".", 1)[1]).family in TEMPORAL_FAMILIES}  # fmt: skip
    return used.pop() if len(used) == 1 else None


def _generic_date(d: Work, phrase: str) -> str | None:
    """"sorted by date", "by time": the date the conditions use, else the base's one date column (None: not said)."""
    if phrase.strip().lower() not in ("date", "the date", "time", "the time", "day", "when"):
        return None
    if d.base is None:
        return None
    used = _dated_by_conditions(d, d.base)
    if used is not None:
        return used
    temporal = [c.name for c in d.catalog.table(d.base).columns if c.family in TEMPORAL_FAMILIES]
    return f"{d.catalog.table(d.base).name}.{temporal[0]}" if len(temporal) == 1 else None


def _price(d: Work, words: str) -> str:
    hits = d.linker.columns("price", in_play(d) or None) or d.linker.columns("cost", in_play(d) or None)
    if hits:
        return f"{hits[0].table}.{hits[0].column}"
    return _measure(d, words)


def _length(d: Work, words: str) -> str:
    """"the 10 longest appointments": the rows' one column holding a length (duration_min); a table whose length
    is only a start/end pair is asked to name it (an order on a computed span is not planned here)."""
    from datamorph.planner.recognizers.durations import start_end_pair, timed_column

    table = in_play(d)[0]
    timed = timed_column(d.view, table)
    if timed is not None:
        return timed[0]
    pair = start_end_pair(d.view, table)
    hint = (f"ask for the length first, e.g. '{table} with {pair[0].split('.')[1]} minus {pair[1].split('.')[1]} in "
            f"minutes as length', then 'the 10 with the highest length'") if pair else "say 'by <column>'"  # fmt: skip
    raise PlanError(f"'{words}': {table} holds no column of a length", hint=hint)


def _event_date(d: Work, verbs: list[Token]) -> str | None:
    """'hired' → hire_date, 'signed up' → signup_date, 'started' → started_at: the date column of the verb."""
    from datamorph.planner.recognizers.dates import verb_column

    for n in range(len(verbs), 0, -1):
        phrase = " ".join(v.text for v in verbs[:n])
        for m in d.linker.columns(phrase, in_play(d) or None)[:3]:
            if d.catalog.table(m.table).column(m.column).family in TEMPORAL_FAMILIES:
                return f"{m.table}.{m.column}"
    return verb_column(d, verbs[0].low) if verbs else None  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------


def _top_n_at(w: Work, i: int, one: Token | None = None) -> None:
    """The top-N phrase at number token ``i``, if it is one: "top 5", "the 3 biggest", "top 10 ... by X"
    (``one``: the token "the" read as the number 1, "the cheapest product")."""
    d, items = w.view, w.view.tokens.items
    t = one or items[i]
    prev = items[i - 1] if i > 0 and not explained(w, items[i - 1]) else None
    if prev is not None and prev.low in _SUP_FIRST:
        _sup_first(w, i, prev)
        return
    kw = prev.low if prev is not None and prev.low in _TOP_WORDS else ""
    sm = _SUP.match(d.prompt[t.end :])
    sup = re.sub(r"\s+", " ", sm.group("sup").lower()) if sm else ""
    na = _skip_nouns(w, t.end)
    after = _WITH_SUP.match(d.prompt[na:]) if not sup else None  # "top 3 vans with the lowest mileage": ascending
    if after is not None and after.group("verb") and (after.group("verb").lower() in STOPWORDS or not (
            kw or _QUESTION.search(d.prompt, back(t.start), t.start))):  # fmt: skip
        after = None  # "which 5 doctors charge the highest rate": any verb, in a question; "in the highest" no verb
    if not kw and not sup and (after is None or not _open(w, na + after.start(), na + after.end())) or sm and not _open(
            w, t.end, t.end + sm.end()):  # fmt: skip
        return
    mark = len(w.brought)
    start = prev.start if kw and prev is not None else t.start
    end = t.end + (sm.end() if sm else 0)
    if q := _QUALIFIER.match(d.prompt[end:]):  # "the 20 biggest individual transactions": no aggregation
        end += q.end()
    words = d.prompt[start:end]
    noun_end = _skip_nouns(w, end)
    by = _BY.match(d.prompt[noun_end:]) or after and _WITH_SUP.match(d.prompt[noun_end:])
    if by is None and kw in ("best", "worst") and not sup:
        return  # "the best 5 products": best by what is not said (no column is "best")
    if by is None:
        column, desc = _superlative(w, kw, sup, words, t.end + (sm.start("sup") if sm else 0))
    else:  # "the three oldest employees by hire date": the column is said; the superlative says the direction
        column, desc = None, _descending(kw, sup)
    if after is not None:
        desc = after.group("sup").lower() not in ("lowest", "smallest", "shortest", "fewest", "least")
    spans = [(start, end)]
    if by is not None:
        phrase = _phrase_after(d, noun_end + by.end())
        target = order_target(w, phrase) if phrase else None
        if target is None:
            what = " ".join(x.text for x in phrase) or d.prompt[noun_end + by.end() :].split(" ")[0]
            raise PlanError(f"'{words} ... by {what}': no such column or measure",
                            hint="name a column of the table or a measure the request computes")  # fmt: skip
        column = target[0]
        _fits(w, sup or kw, column, words + " ... " + " ".join(x.text for x in phrase[: target[1]]))
        spans.append((noun_end, phrase[target[1] - 1].end))
        words = d.prompt[start : phrase[target[1] - 1].end]
        if said := _said_direction(w, phrase[target[1] - 1].end):  # "top 5 ... by price descending": said again
            if (said[0] == "desc") != desc:
                raise PlanError(f"'{words}{d.prompt[phrase[target[1] - 1].end : said[1]]}': which way?",
                                hint="say 'the N highest' or 'the N lowest' (one direction)")  # fmt: skip
            spans.append((phrase[target[1] - 1].end, said[1]))
    if column is None:
        column = _measure(w, words)
    item = OrderItem(column=column, direction="desc" if desc else "asc", provenance=words.strip())
    edits = (*_brought_since(w, mark), Edit.add("order_by", item), Edit.set("limit", t.value))
    w.claims.append(Claim(tuple(spans), edits, over=True, why="top N"))  # the words after "by" may name a measure


def _said_direction(w: Work, pos: int) -> tuple[str, int] | None:
    """The direction said right after a top N's column ("descending", ", highest first") and where it ends; not a
    date's words ("oldest first" after an amount is read by :func:`standalone`), nor words already explained."""
    dm = _DIR.match(w.view.prompt[pos:])
    if dm is None or re.search(r"newest|latest|oldest|earliest|recent|alphabetical|a\s*-\s*z|z\s*-\s*a", dm.group(0), re.I):
        return None
    if not _open(w, pos, pos + dm.end()):
        return None
    return ("desc" if dm.group("desc") else "asc"), pos + dm.end()


def _descending(kw: str, sup: str) -> bool:
    """Whether the top-N word (``kw``: "top", "oldest") or superlative ("most expensive", "smallest") sorts down."""
    parts = sup.split()
    if kw == "first" and not sup:
        return False
    return not (kw in ("bottom", "worst", "oldest", "earliest") or parts[:1] == ["least"] or parts[:1] and parts[0] in _SUPER_ASC
                or "cheap" in sup)  # fmt: skip


def _fits(d: Work, sup: str, column: str, words: str) -> None:
    """A superlative that implies a kind of column ("oldest": a date, "cheapest": a price) may not order by a
    column of another kind ("the 3 oldest employees by department"): refused."""
    parts = sup.split()
    dated = "recent" in sup or any(p in _DATE_WORDS for p in parts)
    priced = any(p in _PRICE_WORDS for p in parts)
    if not (dated or priced) or column.count(".") != 1:
        return
    table, name = column.split(".")
    try:
        family = d.catalog.table(table).column(name).family
    except CatalogError:  # a name the catalog does not know: nothing to check it against
        return
    if dated and family not in TEMPORAL_FAMILIES or priced and family not in NUMERIC_FAMILIES:
        raise PlanError(f"'{words}': '{sup}' does not order by {column}",
                        hint="say 'the N rows with the highest/lowest <column>'")  # fmt: skip


#: superlatives said before the number, the column after it: "the highest 5 invoice amounts"
_SUP_FIRST = frozenset({"highest", "lowest", "largest", "smallest", "biggest", "greatest"})


def _sup_first(w: Work, i: int, sup: Token) -> None:
    """"the highest 5 invoice amounts", "lowest 3 credit limits": the words after the number must all name one
    column (else no claim: "the largest 3 orders" names none)."""
    d, t = w.view, w.view.tokens.items[i]
    phrase = _phrase_after(d, t.end)
    if not phrase or not _open(w, sup.start, t.end) or not all(w.free(x.start, x.end) for x in phrase):
        return
    text = d.prompt[phrase[0].start : phrase[-1].end]
    if any(h.score >= 0.85 for h in d.linker.tables(text)):
        return  # "the largest 3 orders": a table's rows, no column
    hits = d.linker.columns(text)
    best = {h.table for h in hits if h.score >= hits[0].score} if hits else set()
    if len(best) > 1 and len(best & set(d.table_words)) != 1:
        return  # "the highest 4 unit prices": of products or of order lines? (no table's name said, or both)
    mark = len(w.brought)
    target = order_target(w, phrase)
    if target is None or target[1] != len(phrase) or "." not in target[0]:
        del w.brought[mark:]
        return
    words = d.prompt[sup.start : phrase[-1].end]
    item = OrderItem(column=target[0], direction="asc" if sup.low in ("lowest", "smallest") else "desc", provenance=words)
    edits = (*_brought_since(w, mark), Edit.add("order_by", item), Edit.set("limit", t.value))
    w.claims.append(Claim(((sup.start, phrase[-1].end),), edits, over=True, why="top N"))


def _superlative(d: Work, kw: str, sup: str, words: str, sup_start: int) -> tuple[str | None, bool]:
    """The column a superlative implies (None: the measure, or a later 'by ...') and whether it is descending."""
    parts = sup.split()
    desc = _descending(kw, sup)
    if "recent" in sup or any(p in _DATE_WORDS for p in parts) or kw in _DATE_WORDS:
        if parts[-1:] != ["recently"] and "recently" in parts:
            verbs = [x for x in _toks(d, sup_start, sup_start + len(sup) + 2) if x.low not in _HOW]
            column = _event_date(d, verbs)
            if column is None:
                what = " ".join(v.text for v in verbs)
                raise PlanError(f"'{words}': no date column for '{what}'", hint="say 'by <date column>'")
            return column, desc
        return _date(d, words), desc
    if any(p in _PRICE_WORDS for p in parts):
        return _price(d, words), desc
    if parts[:1] in (["longest"], ["shortest"]) and in_play(d):
        return _length(d, words), parts[0] == "longest"
    if parts[:1] in (["most"], ["least"]) and len(parts) > 1 and parts[1] not in _SUPER_DESC | _SUPER_ASC:
        adj = _toks(d, sup_start + len(parts[0]) + 1, sup_start + len(sup))
        target = order_target(d, adj)
        if target is None:
            raise PlanError(f"'{words}': ranked by which column?", hint="say 'by <column>'")
        return target[0], desc
    return None, desc


def _skip_nouns(w: Work, pos: int) -> int:
    """Past the noun after a top-N ("products", "sales reps") to where a "by ..." may start."""
    for t in w.view.tokens.items:
        if t.start < pos:
            continue
        if t.kind != "word" or t.low in ("by", "based", "according", "in"):
            return t.start
        if not explained(w, t):
            return t.start
        pos = t.end
    return pos


def _sorted_by(w: Work, m: re.Match[str]) -> None:
    d, mark = w.view, len(w.brought)
    pos = m.end()
    end = pos
    items: list[OrderItem] = []
    while True:
        phrase = _phrase_after(d, pos)
        target = order_target(w, phrase) if phrase else None
        if target is None:
            what = " ".join(t.text for t in phrase) or d.prompt[pos:].split(" ")[0]
            raise PlanError(f"'{d.prompt[m.start():pos].strip()} {what}': no such column or measure",
                            hint="name a column of the table or a measure the request computes")  # fmt: skip
        end = phrase[target[1] - 1].end
        direction = "asc"
        dm = _DIR.match(d.prompt[end:])
        if dm is not None:
            direction = "desc" if dm.group("desc") else "asc"
            end += dm.end()
        items.append(OrderItem(column=target[0], direction=direction,  # type: ignore[arg-type]
                               provenance=d.prompt[pos:end].strip()))  # fmt: skip
        nxt = re.match(r"^\s*(?:,\s*)?(?:and\s+(?:then\s+)?(?:by\s+)?|then\s+(?:by\s+)?|,\s*)", d.prompt[end:], re.IGNORECASE)
        if nxt is None or not phrase or not _phrase_after(d, end + nxt.end()):
            break
        after = _phrase_after(d, end + nxt.end())
        if order_target(w, after) is None:
            break
        pos = end + nxt.end()
    edits = (*_brought_since(w, mark), Edit.add("order_by", *items))
    w.claims.append(claim(m.start(), end, *edits, over=True, why="sorted by"))  # the columns may name measures


_DATE_FIRST = {"newest": "desc", "latest": "desc", "most recent": "desc", "oldest": "asc", "earliest": "asc"}


_MEASURE_FIRST = {"most": "desc", "highest": "desc", "largest": "desc", "biggest": "desc", "fewest": "asc",
                  "least": "asc", "lowest": "asc", "smallest": "asc"}  # fmt: skip


def _restates(w: Work, m: re.Match[str]) -> bool:
    """"the 5 most recently hired employees (newest first)": a date word with "first" after a top N whose first
    key is a date said the same way restates it (no second key). Said the other way ("the 5 most recent orders,
    oldest first": the five shown oldest first) it is refused."""
    d = w.view
    word = re.sub(r"\s+", " ", m.group("w").lower())
    measures = {a.alias for a in d.aggregations}
    if word in _MEASURE_FIRST and d.order_by and d.order_by[0].column in measures:  # "top 10 by orders, most first"
        if d.order_by[0].direction != _MEASURE_FIRST[word]:
            raise PlanError(f"'{m.group(0)}' after '{d.order_by[0].provenance or d.order_by[0].column}': sorted the "
                            "other way?", hint="say 'sorted by <measure> ascending/descending'")  # fmt: skip
        return True
    if word not in _DATE_FIRST or d.limit is None or not d.order_by or d.order_by[0].column.count(".") != 1:
        return False
    table, name = d.order_by[0].column.split(".")
    try:
        family = d.catalog.table(table).column(name).family
    except CatalogError:
        return False
    if family not in TEMPORAL_FAMILIES:
        return False
    if d.order_by[0].direction != _DATE_FIRST[word]:
        raise PlanError(f"'{m.group(0)}' after '{d.order_by[0].provenance or d.order_by[0].column}': the rows picked, "
                        "shown in the other order?", hint="say 'sorted by <column> ascending/descending' after the top N")
    return True


def _standalone(w: Work, m: re.Match[str]) -> OrderItem:
    w_ = re.sub(r"\s+", " ", m.group("w").lower())
    words = m.group(0)
    if w_ in ("newest", "latest", "most recent", "oldest", "earliest"):
        column = _date(w, words)
        desc = w_ in ("newest", "latest", "most recent")
    elif w_ in ("cheapest", "most expensive"):
        column, desc = _price(w, words), w_ != "cheapest"
    else:
        column, desc = _measure(w, words), _MEASURE_FIRST[w_] == "desc"
    return OrderItem(column=column, direction="desc" if desc else "asc", provenance=words)

"""Ordering and top-N: "top 10 products by revenue", "the 5 most expensive products",
"five most recently hired employees", "sorted by amount descending", "newest first", "limit 20".

The order column is looked up among the names the request defined (aggregation
aliases, derived columns, windows) first, then among the source columns.
Superlatives without a column use what they imply: "most expensive" → a price,
"newest"/"most recent" → the table's main date, "biggest"/"highest" → the only
measure the request computed, else the table's main measure.
"""

from __future__ import annotations

import re

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch
from datamorph.planner.recognizers.common import in_play
from datamorph.planner.recognizers.phrases import reserved
from datamorph.planner.text import Token
from datamorph.spec import OrderItem

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
_TOP_WORDS = {"top", "bottom", "first", "last", "latest", "newest", "oldest", "earliest"}
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
    r"most\s+expensive)\s+(?:ones\s+)?first\b",
    re.IGNORECASE,
)
_ALPHA = re.compile(r"\b(?:(?:sorted|ordered|sort|order|listed|arranged)\s+)?(?:alphabetically|in\s+alphabetical\s+order|"
                    r"a\s*-\s*z|from\s+a\s+to\s+z)\b", re.IGNORECASE)  # fmt: skip
_QUALIFIER = re.compile(r"^\s+(?:individual|single|separate|one-off|specific)\b", re.IGNORECASE)
_HARMLESS = frozenset({"gross"})  # qualifies a measure name without changing it ("by gross revenue")
_BY = re.compile(r"^\s*(?:by|in\s+terms\s+of|based\s+on|ranked\s+by|according\s+to)\s+", re.IGNORECASE)


def recognize(d: Draft) -> None:
    """Set ``d.order_by`` and ``d.limit`` from top-N phrases, "sorted by", "X first" and "limit N"."""
    _top_n(d)
    _sorted_by(d)
    _standalone(d)
    _alphabetical(d)
    _limit(d)


# ------------------------------------------------------------------------------------------------


def _toks(d: Draft, start: int, end: int) -> list[Token]:
    return [t for t in d.tokens.overlapping(start, end)]


def _free(d: Draft, start: int, end: int) -> bool:
    held = reserved(d)
    return not any(t.used or id(t) in held for t in _toks(d, start, end) if t.kind != "punct")


def _mark(d: Draft, start: int, end: int) -> None:
    for t in _toks(d, start, end):
        t.used = True


def _number_at(d: Draft, start: int, end: int) -> int | None:
    for t in _toks(d, start, end):
        if t.kind == "number" and isinstance(t.value, (int, float)) and float(t.value).is_integer():
            return int(t.value)
    return None


def _phrase_after(d: Draft, pos: int, max_words: int = 4) -> list[Token]:
    """The unused words right after ``pos`` (up to a punctuation, a used word or a connector)."""
    out: list[Token] = []
    for t in d.tokens.items:
        if t.start < pos:
            continue
        if t.kind not in ("word", "quoted") or t.low in ("and", "then", "with", "for", "in", "where", "who",
                                                       "that", "from", "of", "desc", "asc", "descending",
                                                       "ascending", "first", "into", "limit", "only"):
            break
        out.append(t)
        if len(out) == max_words:
            break
    return out


def order_target(d: Draft, tokens: list[Token]) -> tuple[str, int] | None:
    """The order column a phrase names (a defined name first) and how many of its tokens it used."""
    defined = {**{a.alias.lower(): a.alias for a in d.aggregations}, **{x.name.lower(): x.name for x in d.derived},
               **{w.name.lower(): w.name for w in d.windows}}  # fmt: skip
    if len(tokens) > 1 and tokens[0].low in _HARMLESS:
        inner = order_target(d, tokens[1:])
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
        if hits and _whole(hits[0], phrase):
            grouped = [g for g in d.group_by if g.split(".")[-1] == hits[0].column]
            if d.group_by and f"{hits[0].table}.{hits[0].column}" not in d.group_by and len(grouped) == 1:
                return grouped[0], n  # a grouped key shared by two tables: sort by the one that is grouped
            if hits[0].table not in in_play(d):
                d.use_table(hits[0].table)
            return f"{hits[0].table}.{hits[0].column}", n
    return None


def _whole(m: ColumnMatch, phrase: str) -> bool:
    return len(phrase.split()) == 1 or m.text.strip().lower() == phrase.strip().lower()


def _measure(d: Draft, words: str) -> str:
    """What "biggest"/"highest" rank by: the one computed measure, else the base table's main measure."""
    if len(d.aggregations) == 1:
        return d.aggregations[0].alias
    if len(d.aggregations) > 1:
        names = ", ".join(a.alias for a in d.aggregations)
        raise PlanError(f"'{words}': ranked by which measure? ({names})", hint="say 'by <measure>'")
    from datamorph.planner.recognizers.filters import main_measure

    if d.base is None:
        raise PlanError(f"'{words}': ranked by what?", hint="say 'by <column>'")
    return f"{d.base}.{main_measure(d, d.catalog.table(d.base), words)}"


def _date(d: Draft, words: str) -> str:
    from datamorph.planner.recognizers.dates import main_date_column

    if d.base is None:
        raise PlanError(f"'{words}': which date?", hint="name the date column")
    col = main_date_column(d.catalog.table(d.base), words)
    if col is None:
        raise PlanError(f"'{words}': {d.base} has no date column", hint="say 'by <column>'")
    return f"{d.base}.{col}"


def _price(d: Draft, words: str) -> str:
    hits = d.linker.columns("price", in_play(d) or None) or d.linker.columns("cost", in_play(d) or None)
    if hits:
        return f"{hits[0].table}.{hits[0].column}"
    return _measure(d, words)


def _event_date(d: Draft, verbs: list[Token]) -> str | None:
    """'hired' → hire_date, 'signed up' → signup_date, 'started' → started_at: the date column of the verb."""
    from datamorph.planner.recognizers.dates import _verb_column

    for n in range(len(verbs), 0, -1):
        phrase = " ".join(v.text for v in verbs[:n])
        for m in d.linker.columns(phrase, in_play(d) or None)[:3]:
            if d.catalog.table(m.table).column(m.column).family in TEMPORAL_FAMILIES:
                return f"{m.table}.{m.column}"
    return _verb_column(d, verbs[0].low) if verbs else None


# ------------------------------------------------------------------------------------------------


def _top_n(d: Draft) -> None:
    items = d.tokens.items
    for i, t in enumerate(items):
        if t.kind != "number" or t.used or not isinstance(t.value, int) or t.value <= 0:
            continue
        prev = items[i - 1] if i > 0 and not items[i - 1].used else None
        kw = prev.low if prev is not None and prev.low in _TOP_WORDS else ""
        sm = _SUP.match(d.prompt[t.end :])
        sup = re.sub(r"\s+", " ", sm.group("sup").lower()) if sm else ""
        if not kw and not sup or sm and not _free(d, t.end, t.end + sm.end()):
            continue
        start = prev.start if kw and prev is not None else t.start
        end = t.end + (sm.end() if sm else 0)
        if q := _QUALIFIER.match(d.prompt[end:]):  # "the 20 biggest individual transactions": no aggregation
            end += q.end()
        words = d.prompt[start:end]
        column, desc = _superlative(d, kw, sup, words, t.end + (sm.start("sup") if sm else 0))
        noun_end = _skip_nouns(d, end)
        by = _BY.match(d.prompt[noun_end:])
        if by is not None:
            phrase = _phrase_after(d, noun_end + by.end())
            target = order_target(d, phrase) if phrase else None
            if target is None:
                what = " ".join(x.text for x in phrase) or d.prompt[noun_end + by.end() :].split(" ")[0]
                raise PlanError(f"'{words} ... by {what}': no such column or measure",
                                hint="name a column of the table or a measure the request computes")  # fmt: skip
            column = target[0]
            _mark(d, noun_end, phrase[target[1] - 1].end)
            words = d.prompt[start : phrase[target[1] - 1].end]
        if column is None:
            column = _measure(d, words)
        d.order_by.append(OrderItem(column=column, direction="desc" if desc else "asc", provenance=words.strip()))
        d.limit = t.value
        _mark(d, start, end)


def _superlative(d: Draft, kw: str, sup: str, words: str, sup_start: int) -> tuple[str | None, bool]:
    """The column a superlative implies (None: the measure, or a later 'by ...') and whether it is descending."""
    parts = sup.split()
    desc = not (kw in ("bottom", "oldest", "earliest") or parts[:1] == ["least"] or parts[:1] and parts[0] in _SUPER_ASC
                or "cheap" in sup)  # fmt: skip
    if kw == "first" and not sup:
        desc = False
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
    if parts[:1] in (["most"], ["least"]) and len(parts) > 1 and parts[1] not in _SUPER_DESC | _SUPER_ASC:
        adj = _toks(d, sup_start + len(parts[0]) + 1, sup_start + len(sup))
        target = order_target(d, adj)
        if target is None:
            raise PlanError(f"'{words}': ranked by which column?", hint="say 'by <column>'")
        return target[0], desc
    return None, desc


def _skip_nouns(d: Draft, pos: int) -> int:
    """Past the noun after a top-N ("products", "sales reps") to where a "by ..." may start."""
    for t in d.tokens.items:
        if t.start < pos:
            continue
        if t.kind != "word" or t.low in ("by", "based", "according", "in"):
            return t.start
        if not t.used:
            return t.start
        pos = t.end
    return pos


def _sorted_by(d: Draft) -> None:
    for m in _SORT.finditer(d.prompt):
        if not _free(d, m.start(), m.end()):
            continue
        pos = m.end()
        end = pos
        items: list[OrderItem] = []
        while True:
            phrase = _phrase_after(d, pos)
            target = order_target(d, phrase) if phrase else None
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
            nxt = re.match(r"^\s*(?:,\s*)?(?:and\s+|then\s+(?:by\s+)?|,\s*)", d.prompt[end:], re.IGNORECASE)
            if nxt is None or not phrase or not _phrase_after(d, end + nxt.end()):
                break
            after = _phrase_after(d, end + nxt.end())
            if order_target(d, after) is None:
                break
            pos = end + nxt.end()
        d.order_by.extend(items)
        _mark(d, m.start(), end)


def _standalone(d: Draft) -> None:
    for m in _STANDALONE.finditer(d.prompt):
        if not _free(d, m.start(), m.end()):
            continue
        w = re.sub(r"\s+", " ", m.group("w").lower())
        words = m.group(0)
        if w in ("newest", "latest", "most recent", "oldest", "earliest"):
            column = _date(d, words)
            desc = w in ("newest", "latest", "most recent")
        elif w in ("cheapest", "most expensive"):
            column, desc = _price(d, words), w != "cheapest"
        else:
            column, desc = _measure(d, words), w in ("highest", "largest", "biggest")
        d.order_by.append(OrderItem(column=column, direction="desc" if desc else "asc", provenance=words))
        _mark(d, m.start(), m.end())


def _alphabetical(d: Draft) -> None:
    """"sorted alphabetically" / "in alphabetical order" without a column: the table's one name column."""
    for m in _ALPHA.finditer(d.prompt):
        word = re.search(r"alphabetic\w*|a\s*-\s*z|a\s+to\s+z", m.group(0), re.IGNORECASE)
        if word is None or not _free(d, m.start() + word.start(), m.start() + word.end()) or d.base is None:
            continue
        table = d.catalog.table(d.base)
        names = [c.name for c in table.columns if c.family == "text" and "name" in c.name.lower()]
        if len(names) != 1:
            raise PlanError(f"'{m.group(0)}': alphabetically by which column of {table.name}?",
                            hint="say 'sorted by <column>'")  # fmt: skip
        d.order_by.append(OrderItem(column=f"{table.name}.{names[0]}", provenance=m.group(0)))
        _mark(d, m.start(), m.end())


def _limit(d: Draft) -> None:
    for m in _LIMIT.finditer(d.prompt):
        n = _number_at(d, m.start("n"), m.end("n"))
        if n is None or not _free(d, m.start(), m.end()):
            continue
        d.limit = n
        _mark(d, m.start(), m.end())

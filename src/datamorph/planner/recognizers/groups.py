"""Groups of an aggregate request: "per status", "by department name", "one row per channel", "for each
customer", "grouped by the depot_id on the vehicle record", "monthly", "member_id and how many loans they
hold" (the columns listed before a measure), "across all their accounts" (the path to the group).
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.budget import back
from datamorph.planner.lexicon import NUMBER_PATTERN, STOPWORDS
from datamorph.planner.linking import ColumnMatch
from datamorph.planner.matches import S_INITIALS
from datamorph.planner.meaning import word_class
from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.dateparts import FORMAT_WORDS, PERIOD_EXAMPLE, formatted
from datamorph.planner.recognizers.dates import date_by_stem, event_before, main_date_column, verb_column
from datamorph.planner.recognizers.derived import snake
from datamorph.planner.recognizers.derivekit import period_sql
from datamorph.planner.recognizers.measures import HAVE, Ctx, one_ranked, top_later
from datamorph.planner.refs import owner_table, split_column
from datamorph.planner.text import Token
from datamorph.spec import DerivedColumn, Filter

_GROUP = re.compile(
    r"\b(?:(?:one|a\s+single|1)\s+(?:row|line|record|entry|result)\s+(?:per|for\s+(?:each|every))|"
    r"(?:in|within|for)\s+(?:that|the\s+same)|per|by|for\s+(?:each|every|every\s+single)|in\s+(?:each|every)|of\s+each|within\s+(?:each|every)|across(?!\s+(?:all|every)\b|\s+(?:the\s+)?\w+\s+(?:table|dataset)\b)|grouped\s+by|"
    r"group(?:ed)?\s+(?:it\s+|them\s+)?by|broken\s+down\s+by|break\s*down\s+by|breakdown\s+by|split\s+by|"
    r"each)\s+(?:the\s+|their\s+|its\s+|each\s+|every\s+|individual\s+)?"
    r"(?:(?:combination|pairing|pair|mix)\s+of\s+(?:the\s+)?)?", re.I)  # fmt: skip  # "for each combination of A and B"
#: a grouping verb split around its object: "break the invoices down by", "split tickets up by"
_SPLIT_VERB = re.compile(r"(?:^|(?<=[.;:!?\n])\s*|\b(?:please|then|and|also|just)\s+)(?P<v>break|split)"
                         r"(?:\s+(?P<p>down|up)\s+[^.;:!?\n]{1,80}?|\s+[^.;:!?\n]{1,80}?\s(?P<q>down|up))\s+$", re.I)  # fmt: skip
_BY_NOT_GROUP = re.compile(
    r"\b(?:sort|sorted|order|ordered|arrange|arranged|organi[sz]ed?|rank|ranked|ranking|placed|made|created|hired|managed|owned|partition|"
    r"partitioned|dedupe|deduplicate|deduplicated|unique|followed|top\s+\d+|bottom\s+\d+|then|filtered|multiplied|"
    r"divided|increase|increased|decrease|decreased|round|rounded|sorting|ordering|descending|ascending|"
    r"broken|settled|resolved)\s+$",
    re.I)  # fmt: skip
_LEVEL = re.compile(r"\b(?P<w>[a-z_]+)\s*-\s*level\b", re.I)
_DATE_UNITS = {"year": "year", "month": "month", "quarter": "quarter", "week": "week", "day": "day",
               "date": "day", "years": "year", "months": "month", "quarters": "quarter", "weeks": "week",
               "days": "day", "weekday": "weekday", "weekdays": "weekday"}  # fmt: skip
_OF_THE_WEEK = re.compile(r"^\s+of\s+(?:the\s+)?week\b", re.I)  # "per day of the week": the weekday
_DATE_OF = re.compile(r"^\s*(?:of|in|by)\s+(?:the\s+|their\s+|its\s+|each\s+|his\s+|her\s+)?(?P<c>[a-z_]+(?:\s+[a-z_]+)?)",
                      re.I)  # fmt: skip
_NAMES = re.compile(r"^\s*(?:names?\b|,?\s*(?:with|and|showing|plus)\s+(?:their|its|the)\s+names?\b)", re.I)
_ON_RECORD = re.compile(r"^\s*(?:on|in|of|from)\s+(?:the\s+|each\s+|every\s+|their\s+)?(?P<t>[A-Za-z_]\w*)(?:'s)?\s+"
                        r"(?:records?|rows?|tables?|entry|entries|side)\b", re.I)  # fmt: skip
_EACH_HAS = re.compile(r"\s*(?:each|apiece|they|it)\s+(?:each\s+)?(?:has|have|had|made|placed|holds?|owns?|got|"
                       r"received|gets?)\b|\s*(?:each|apiece)\b", re.I)  # fmt: skip
_ENDS_WITH_PRONOUN = re.compile(r"\b(?:they|it|he|she)(?:\s+[a-z]+)?\s*$", re.I)
_LIST_LEAD = re.compile(r"(?:^|\b(?:return|show|list|give\s+me|get|output|select|display|with)\b|[:;.?!])\s*(?:the\s+)?"
                        r"(?=[^:;.?!]*$)", re.I)  # fmt: skip
_OVER_THEIR = re.compile(r"\b(?:across|over|on|in|from)\s+(?:all|every|each)\s+(?:of\s+)?(?:their|his|her|its)\s+"
                         r"(?P<t>[A-Za-z_]\w*)", re.I)  # fmt: skip
#: a verb saying only that the counted rows belong to the group, ending its clause: "how many accounts does each
#: customer hold?", "how many order lines each product appears on", "for every product, how many lines mention it"
_BELONG_VERB = (r"(?:ha(?:s|ve|d)|holds?|held|owns?|owned|contain(?:s|ed)?|includ(?:e|es|ed)|gets?|got|receiv(?:e|es|ed)|"
                r"mak(?:e|es)|made|plac(?:e|es|ed)|(?:appear(?:s|ed)?|show(?:s|ed)?\s+up|featur(?:e|es|ed)|is|was|are|"
                r"were)\s+(?:on|in))")  # fmt: skip
_BELONG_TAIL = re.compile(rf"\s*{_BELONG_VERB}\s*(?=[?.!;]|$)", re.I)
_BELONG_IT = re.compile(rf"\s*(?:{_BELONG_VERB}|mention(?:s|ed)?|referenc(?:e|es|ed)|refer(?:s|red)?\s+to|cit(?:e|es|ed))"
                        r"\s+(?:it|them|him|her)\s*(?=[?.!;]|$)", re.I)  # fmt: skip
_SHAPE = re.compile(r"(?:one|a\s+single|1)\s+(?:row|line|record|entry|result)\b", re.I)
#: what joins further grouping keys: "by status and channel", "by status, then by channel", "by status x channel"
_MORE_KEYS = re.compile(r"^\s*(?:,|and|&|then(?:\s+by)?|,\s*and|x|×)\s+(?:by\s+|per\s+|the\s+)?", re.I)


_UNIT = r"(?P<u>year|month|quarter|week|day)"
# "Give each quarter as a date, the first day of that quarter", "show each week as its first day",
# "the month as the first of the month", "the year as a number"; then maybe "in a column called period_start"
_PERIOD_FORM = re.compile(
    rf"\b(?:(?:represent|show|give|express|format|display|output|report|return|write|encode|store)\s+)?"
    rf"(?:the\s+|each\s+|every\s+)?{_UNIT}s?\s+(?:should\s+be\s+|must\s+be\s+|is\s+)?"
    rf"(?:(?:shown|represented|given|expressed|formatted|displayed|reported|written)\s+)?(?:as|like)\s+"
    rf"(?:(?P<date>(?:a|the|its|their)\s+(?:date|day)(?:\s+value)?)(?:\s*,\s*|\s+)?)?"
    rf"(?P<first>(?:(?:on|for|at|=|i\.e\.?)\s+)?(?:the\s+|its\s+)?(?:first|1st|start(?:ing)?|beginning)\s+"
    rf"(?:day\s+|date\s+)?(?:of\s+)?(?:that|the|each|its|every|this)\s+(?P=u))?"
    rf"|\b(?:truncate[ds]?|trunc|rounded\s+down)\s+(?:it\s+|them\s+)?to\s+(?:the\s+)?(?:first\s+(?:day\s+)?of\s+"
    rf"(?:the\s+)?)?(?P<u2>year|month|quarter|week|day)", re.I)  # fmt: skip
_YEAR_FORM = re.compile(r"^(?:(?:a|an)\s+)?(?:number|integer|int|four[-\s]digit\s+(?:number|year))\b", re.I)
_IN_COLUMN = re.compile(r"^\s*,?\s*(?:(?:and\s+)?(?:put\s+(?:it\s+)?)?(?:in|into|as|under)\s+(?:a\s+|the\s+)?(?:column|field)\s+)?"
                        r"(?:called|named|labell?ed|titled)\s+[`'\"]?(?P<n>[A-Za-z_]\w*)[`'\"]?", re.I)  # fmt: skip
_NEXT_TO = re.compile(r"^\s*,?\s*(?:next\s+to|alongside|beside|besides|together\s+with)\s+(?=[A-Za-z_]+_[A-Za-z_])",
                      re.I)  # fmt: skip


def period_forms(d: Work, ctx: Ctx) -> None:
    """How a date group is shown, when it is the way it is computed anyway (the period's opening day, as a
    date; the year as a number), or as an example shows it ("2024-Q3"), and the column name given to it
    ("in a column called period")."""
    for m in PERIOD_EXAMPLE.finditer(d.prompt):
        note = m.group("note")
        end = m.end() if note is None or set(re.findall(r"\w+", note.lower().replace("'s", ""))) <= FORMAT_WORDS else m.end("ex")
        if not d.free(m.start(), end):
            continue
        unit = m.group("u").lower()
        ctx.period_formats[unit] = m.group("ex")
        called = _IN_COLUMN.match(d.prompt[end:])
        if called and not ph.d_has(d, called.group("n")):
            ctx.period_names[unit] = called.group("n")
            end += called.end()
        d.take(m.start(), end)
    for m in _PERIOD_FORM.finditer(d.prompt):
        unit = (m.group("u") or m.group("u2")).lower()
        end = m.end()
        if m.group(0).lower().startswith(("trunc", "rounded")):
            pass
        elif unit == "year":
            yf = _YEAR_FORM.match(d.prompt[end:])
            if m.group("date") or m.group("first") or yf is None:
                continue
            end += yf.end()
        elif not (m.group("date") or m.group("first")):
            continue
        taken = not d.free(m.start(), end)
        if taken and ph.derived_at(d, m.start(), end) is None:
            continue  # (read by the derived recognizer as that period's date: the group reuses it)
        rest = d.prompt[end:]
        gap = re.match(r"^\s*\((?:e\.g\.?|eg|for\s+example|for\s+instance|like|such\s+as|i\.e\.?)[^)]*\)", rest, re.I)
        after = end + (gap.end() if gap else 0)
        called = _IN_COLUMN.match(d.prompt[after:])
        if called and not ph.d_has(d, called.group("n")):
            ctx.period_names[unit] = called.group("n")
            if gap:
                d.take(end, after)
            end = after + called.end()
            nxt = _NEXT_TO.match(d.prompt[end:])
            if nxt:
                end += nxt.end()
        d.take(m.start(), end)


_RANKING_WORD = r"(?:top|bottom|best|worst|leading|biggest|largest|highest|greatest|smallest|lowest|busiest)"
#: "top 10 products by revenue", "the 5 largest departments by headcount", "our ten biggest clients by spend"
_TOP_ENTITY = re.compile(
    rf"\b(?:(?:the\s+|our\s+)?{_RANKING_WORD}\s+(?P<n>\d+|[a-z]+)|(?:the|which|what|our)\s+(?P<n2>"
    + NUMBER_PATTERN + rf")(?:\s+{_RANKING_WORD})?|(?P<n3>" + NUMBER_PATTERN + rf")\s+{_RANKING_WORD})\s+"
    r"(?P<w>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?=by\b|ranked\s+by\b|in\s+terms\s+of\b|based\s+on\b|according\s+to\b|"
    + HAVE + r"\s+the\s+(?:highest|most|largest|biggest|greatest|lowest|"
    r"fewest|smallest|least)\b)", re.I)  # fmt: skip


#: "the browser with the fewest sessions", "which doctor has the most appointments": the one group asked for
#: (:func:`measures.one_ranked`)
_ONE_ENTITY = re.compile(rf"\b(?:the|which|what)\s+(?P<w>[A-Za-z_]+(?:\s+(?!who\b|that\b|which\b)[A-Za-z_]+)?)\s+(?={HAVE}\s+the\s+"
                         r"(?:most|fewest|least|highest|lowest|largest|biggest|smallest|greatest)\b)", re.I)  # fmt: skip


#: "doctors with the most visits in 2025, top 5": the things ranked, how many said after (:func:`measures.top_later`)
_LATER_ENTITY = re.compile(rf"(?:^|[.;:!?]\s*|\b(?:show|list|give|find|get|return)\s+(?:me\s+)?(?:the\s+|all\s+)?)"
                           rf"(?P<w>[A-Za-z_]+(?:\s+(?!who\b|that\b|which\b)[A-Za-z_]+)?)\s+(?={HAVE}\s+the\s+"
                           r"most\b)", re.I)  # fmt: skip ("the fewest ..., top 3": which way?)


#: "rank the stores by their total sales": with a measure, the things ranked are the groups (the verb is the
#: rank window's, read later by ``windows.rank``)
_RANK_VERB = re.compile(r"\s*(?:dense[\s_-]?)?rank(?:ed)?\s+(?:the\s+|all\s+|those\s+|these\s+)?", re.I)
_RANK_ENTITY = re.compile(r"\b(?:dense[\s_-]?)?rank(?:ed)?\s+(?:the\s+|all\s+|those\s+|these\s+)?"
                          r"(?P<w>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?=by\b|on\b|according\s+to\b|based\s+on\b)", re.I)  # fmt: skip


#: "members ranked by how many loans they took", "shops sorted by their total sales": the table named before the
#: verb is what is ranked, when a measure follows (the table's name is all the words before the verb)
_RANKED_ENTITY = re.compile(r"(?:^|[.:;]\s*)(?:\w+\s+){0,2}?(?P<w>[A-Za-z_]+)\s+(?:ranked|sorted|ordered|listed)\s+"
                            r"(?=by\b|on\b|according\s+to\b|based\s+on\b)", re.I)  # fmt: skip


def _top_entities(d: Work, ctx: Ctx) -> None:
    """ "top 10 products by revenue", "the 5 browsers with the most sessions", "rank the stores by their total
    sales": the ranked things are the groups."""
    if not ctx.measures and not ctx.ratios:
        return
    ranked = [m for m in _RANKED_ENTITY.finditer(d.prompt) if ph.table_of(d, m.group("w")) is not None]
    one = [m for m in _ONE_ENTITY.finditer(d.prompt) if one_ranked(d.prompt, m.end("w") + 1)]
    one += [m for m in _LATER_ENTITY.finditer(d.prompt) if top_later(d.prompt, m.end())]
    for m in [*_TOP_ENTITY.finditer(d.prompt), *_RANK_ENTITY.finditer(d.prompt), *ranked, *one]:
        words = [t for t in d.tokens.starting(m.start("w"), m.end("w"))]
        if any(not d.free(t.start, t.end) and not ph.table_of(d, t.text) for t in words) or any(
            x.start <= m.start("w") < x.end for x in ctx.measures
        ):
            continue
        phrase = m.group("w")
        table = ph.table_of(d, phrase)
        mtables = [x.table for x in ctx.measures if x.table]
        col = None if table else (ph.column_of(d, phrase, mtables) if mtables else None) or ph.column_of(d, phrase)
        if table is not None and table not in mtables:
            key: tuple[str, str | None] = ("", table)
            d.use_table(table)
        elif col is not None and (ph.family(d, col) not in ph.NUMERIC or ph.is_key(d, col)):
            key = (col, owner_table(d.catalog, col))
        else:
            continue
        if key not in ctx.keys:
            ctx.keys.append(key)
        d.take(m.start("w"), m.end("w"))
        ctx.spans.append((m.start("w"), m.end("w"), None if key[0] else f"entity:{key[1]}"))


def find(d: Work, ctx: Ctx) -> None:
    """The group keys of the request into ``ctx.keys`` (their words taken)."""
    _which_period(d, ctx)
    _groups(d, ctx)
    _top_entities(d, ctx)
    _over_their(d, ctx)
    _each_has(d, ctx)
    _belongs_to_group(d, ctx)
    _their_measure(d, ctx)


#: "members and their total fines", "shops, with their average rent", "pilots along with their flight count"
_AND_THEIR = re.compile(r"\b(?P<t>[A-Za-z_]\w*)\s*(?:,\s*)?(?:and|with|plus|along\s+with|together\s+with|,)\s+"
                        r"(?:also\s+)?(?:their|its|his|her)\s+$", re.I)  # fmt: skip


_AND_THE = re.compile(r"\b(?P<t>[A-Za-z_]\w*)\s*(?:,\s*)?(?:and|with|plus|along\s+with|together\s+with|,)\s+"
                      r"(?:also\s+)?(?:the\s+)?$", re.I)  # fmt: skip
_OF_THEIR = re.compile(r"\s*\b(?:of|on|from|across|over)\s+(?:all\s+)?(?:of\s+)?(?:their|its|his|her)\b", re.I)


_POSSESSIVE = re.compile(r"(?:their|its|his|her)\s+", re.I)


def _measured_before(ctx: Ctx, pos: int) -> bool:
    return any(x.end <= pos for x in ctx.measures)


def _belongs_to_group(d: Work, ctx: Ctx) -> None:
    """ "for every product, how many order lines mention it": after a count, a verb and a pronoun of the group
    named before it say only that the counted rows belong to that group."""
    for x in ctx.measures:
        tail = _BELONG_IT.match(d.prompt, x.end)
        if tail is None or not d.free(x.end, tail.end()) or x.function not in ("count", "count_distinct"):
            continue
        if any(end <= x.start and entity for _, end, entity in ctx.spans):
            d.take(x.end, tail.end())


def _their_measure(d: Work, ctx: Ctx) -> None:
    """ "drivers and their total km": the measure belongs to each row of the table named before "their" — one
    group per row of it (without this it was one grand total over all of them: a wrong table)."""
    if ctx.keys:
        return
    for m in ctx.measures:
        own = _POSSESSIVE.match(d.prompt, m.start)  # "their order count": the measure's words open with "their"
        at = own.end() if own else m.start
        lead = _AND_THEIR.search(d.prompt, back(at), at)
        if lead is None and (_OF_THEIR.search(d.prompt, m.start, m.end) or _OF_THEIR.match(d.prompt, m.end)):
            # "members and the total of their fines"
            lead = _AND_THE.search(d.prompt, back(m.start), m.start)
        named = lead.group("t") if lead else ""
        column = any(t.has_column(named) for t in d.catalog.tables.values())  # "customer_id and their count"
        table = ph.table_of(d, named) if lead and not column else None
        end = min(lead.end(), m.start) if lead else 0  # (the measure may hold "their" already)
        if lead is None or table is None or table == m.table or not d.free(lead.end("t"), end):
            continue
        d.use_table(table)
        ctx.keys.append(("", table))
        d.take(lead.end("t"), end)
        return


def _groups(d: Work, ctx: Ctx) -> None:
    """Keys after a grouping word ("per", "by", "for each"...), level words and "monthly"."""
    for m in _GROUP.finditer(d.prompt):
        word = m.group(0).split()[0].lower()
        if word == "by" and _BY_NOT_GROUP.search(d.prompt[max(0, m.start() - 25) : m.start()]):
            continue
        if word == "by" and any(t.end() == m.start() for t in _TOP_ENTITY.finditer(d.prompt, back(m.start()), m.end())):
            continue  # "the ten biggest clients by revenue": what they are ranked by, not a grouping
        if ph.planned(d, m.start(), m.end()):
            continue
        split = _SPLIT_VERB.search(d.prompt, max(0, m.start() - 100), m.start()) if word == "by" else None
        pos, first = m.end(), True
        if _SHAPE.match(m.group(0)):
            ctx.spans.append((m.start(), m.end(), None))
        while True:
            found = _key_at(d, ctx, pos)
            kind = _kind_of_entity(d, pos) if found is None and first else None
            if found is None and kind is None:
                break
            if found is not None:
                key, end = found
            else:
                assert kind is not None
                key, end = kind[0], kind[1]
            if key not in ctx.keys:
                ctx.keys.append(key)
            d.take(m.start() if first else pos, end)
            if kind is not None:  # "for every trial-plan member": only the members on the trial plan
                d.filters.extend(c for c in kind[2] if c not in d.filters)
            if first and split is not None:  # "break the invoices down by status": the verb and its particle
                particle = "p" if split.group("p") else "q"
                d.take(split.start("v"), split.end("v"))
                d.take(split.start(particle), split.end(particle))
            ctx.spans.append((pos, end, None if key[0] else f"entity:{key[1]}"))
            tail = _BELONG_TAIL.match(d.prompt, end) if first and _measured_before(ctx, m.start()) else None
            if tail is not None and d.free(end, tail.end()):  # "how many accounts does each customer hold?"
                d.take(end, tail.end())
                break
            first = False
            more = _MORE_KEYS.match(d.prompt[end:])
            if not more or _RANK_VERB.match(d.prompt, end + more.end()):
                break  # "within each region, rank the stores by ...": the verb opens a rank (its object: below)
            nxt = ph.tokens_from(d, end + more.end(), 1)
            if nxt and not d.free(nxt[0].start, nxt[0].end):
                break  # "per month, months shown as 'Mar 2024'": words a key already took are no further key
            pos = end + more.end()
            d.take(end, pos)
    for m in _LEVEL.finditer(d.prompt):
        table = ph.table_of(d, m.group("w"))
        if table is not None and (m.group("w"), table) not in ctx.keys:
            ctx.keys.append(("", table))
            d.take(m.start(), m.end())
    for m in re.finditer(r"\b(monthly|yearly|annual|annually|quarterly|weekly|daily)\b", d.prompt, re.I):
        if _opens_a_name(d, m.start(), m.end()):
            continue  # "monthly recurring revenue" (mrr), "annual salary": a column's name, not a grouping
        unit = {"monthly": "month", "yearly": "year", "annual": "year", "annually": "year", "quarterly": "quarter",
                "weekly": "week", "daily": "day"}[m.group(1).lower()]  # fmt: skip
        date_key = _date_key(d, ctx, unit, None, unit)
        if date_key is not None:
            ctx.keys.append(date_key)
            d.take(m.start(), m.end())


#: "In which years did we enlist more than 40 sailors?", "during what months were over 800 parcels sent", "on which
#: weekdays ...": one group per that part of the event's date (see :func:`_which_period`)
WHICH_PERIOD = re.compile(r"\b(?:(?:in|during|on|for)\s+)?(?:which|what)\s+(?P<u>(?:year|month|quarter|week|weekday|day)s?|"
                           r"days?\s+of\s+the\s+week)\b(?!\s+(?:of|in)\s+(?:the\s+)?[A-Za-z_])", re.I)  # fmt: skip
_CLAUSE_END = re.compile(r"[?.!;:\n]|\s[-\u2013\u2014]\s")


def _which_period(d: Work, ctx: Ctx) -> None:
    """"In which years did we enlist more than 40 sailors?": the groups are the years of the event's date column —
    the one a word of the question names ("hire" → hire_date, "placed" → order_date, "launch" → launch_date),
    else the one date of the rows counted; rows without that date (no event) are no group. Two columns named, or a table with several dates and none named,
    ask which (a question of the same rows with another date is another table)."""
    for m in WHICH_PERIOD.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        unit = re.sub(r"s$", "", m.group("u").lower())
        unit = "weekday" if unit.startswith("day") and "week" in unit else unit
        end = _CLAUSE_END.search(d.prompt, m.end())
        clause = [t for t in d.tokens.within(m.end(), end.start() if end else len(d.prompt))
                  if t.kind == "word" and d.free(t.start, t.end)]  # fmt: skip
        tables = list(dict.fromkeys([x.table for x in ctx.measures if x.table] + d.in_play()))
        named = _event_columns(d, clause, tables)
        if len({c for c, _ in named}) > 1:
            cols = sorted({c for c, _ in named})
            raise PlanError(f"'{m.group(0).strip()}': {unit}s of which date ({', '.join(cols)})?",
                            hint=f"name the date, e.g. 'per {unit} of {cols[0].split('.')[-1]}'")  # fmt: skip
        if named:
            col = named[0][0]
        elif not tables:
            continue
        else:
            found = _main_or_dated(d, tables[0], m.group(0))  # several dates and none named: asks which
            if found is None:
                continue
            col = f"{d.catalog.table(tables[0]).name}.{found}"
        key = _date_key(d, ctx, unit, col, unit)
        if key is None:
            continue
        if key not in ctx.keys:
            ctx.keys.append(key)
        d.take(m.start(), m.end())
        for _, ws in named:
            d.take(ws[0].start, ws[-1].end)
        ctx.spans.append((m.start(), m.end(), None))
        said = " ".join([m.group(0).strip(), *(ph.text_of(d, ws) for _, ws in named)])
        happened = Filter(column=col, operator="is_not_null", provenance=said)  # rows without the event have no year
        if happened not in d.filters:
            d.filters.append(happened)


def _event_columns(d: Work, words: list[Token], tables: list[str]) -> list[tuple[str, list[Token]]]:
    """The date columns of ``tables`` the words name as an event ("hire", "hired", "placed", "launch", "signed
    up"), with the words: a column the linker ties them to, or whose name has the verb's stem. A word that is
    also a data value of those tables ("scheduled": a status and scheduled_at) asks which it means."""
    out: list[tuple[str, list[Token]]] = []
    for i, t in enumerate(words):
        if t.low in STOPWORDS or ph.table_of(d, t.text) is not None or any(t in ws for _, ws in out):
            continue
        pair = words[i : i + 2] if i + 1 < len(words) and words[i + 1].low in _PARTICLES else [t]
        for ws in ([pair, [t]] if len(pair) > 1 else [[t]]):
            col = _event_column(d, ph.text_of(d, ws), tables)
            if col is not None:
                out.append((col, ws))
                break
    for col, ws in out:
        table = owner_table(d.catalog, col)
        if any(v.score >= 0.9 and v.table == table for v in d.linker.values(ph.text_of(d, ws))):
            raise PlanError(f"'{ph.text_of(d, ws)}' is a value of {table} and the date {col.split('.')[-1]}: "
                            f"which one does the question mean?",
                            hint=f"say 'per <period> of {col.split('.')[-1]}', or name the value's column")  # fmt: skip
    return out


_PARTICLES = frozenset({"up", "in", "out", "off", "on"})


def _event_column(d: Work, phrase: str, tables: list[str]) -> str | None:
    hits = [f"{h.table}.{h.column}" for h in d.linker.columns(phrase, tables)
            if h.score >= 0.85 and ph.family(d, f"{h.table}.{h.column}") in ph.TEMPORAL]  # fmt: skip
    return hits[0] if hits else verb_column(d.as_draft(), phrase.lower(), tables) if " " not in phrase else None


_WORDS_AHEAD = re.compile(r"[A-Za-z_]\w*")
_JOINER = re.compile(r"^[\s-]+$")


def _kind_of_entity(d: Work, pos: int) -> tuple[tuple[str, str | None], int, list[Filter]] | None:
    """ "for every trial-plan member", "per gold-tier customer": the entity is the table named last; the
    words before it name data values of that table (and maybe the column holding them). The key, where
    the words end, and the conditions on the entity's rows they say (one value of one column each)."""
    words = list(_WORDS_AHEAD.finditer(d.prompt, pos, min(len(d.prompt), pos + 80)))[:4]
    if not words or words[0].start() - pos > 1:
        return None
    n = next((i for i, (a, b) in enumerate(zip(words, words[1:], strict=False), 1)
              if not _JOINER.match(d.prompt[a.end() : b.start()])), len(words))  # fmt: skip
    for k in range(n - 1, 0, -1):  # the last noun of the compound is its head: "gold-plan member" is a member
        table = ph.table_of(d, words[k].group())
        if table is None:
            continue
        lead = [w.group() for w in words[:k]]
        if not d.free(words[0].start(), words[k].end()) or ph.table_of(d, " ".join(lead)) is not None:
            continue
        values = {w: [v for v in d.linker.values(w, [table]) if v.score >= 0.9] for w in lead}
        named = {ph.column_of(d, w, [table]) for w in lead if not values[w]}
        if None in named or not any(values.values()) or len(named) > 1:
            continue
        conds: list[Filter] = []
        for vs in values.values():
            picks = {(v.column, str(v.value)) for v in vs if v.score == vs[0].score} if vs else set()
            if len(picks) > 1 or named and vs and f"{table}.{vs[0].column}".lower() != str(next(iter(named))).lower():
                return None  # a value of several columns, or not of the column named with it: not read
            if vs:
                conds.append(Filter(column=f"{table}.{vs[0].column}", operator="=", value=vs[0].value,
                                    provenance=d.prompt[words[0].start() : words[k - 1].end()]))  # fmt: skip
        return ("", table), words[k].end(), conds
    return None


def _over_their(d: Work, ctx: Ctx) -> None:
    """ "per customer across all their accounts": the rows aggregated reach the group through that table."""
    for m in _OVER_THEIR.finditer(d.prompt):
        table = ph.table_of(d, m.group("t"))
        if (
            table is not None
            and ctx.keys
            and d.free(m.start(), m.start("t"))
        ):
            d.use_table(table)
            d.take(m.start(), m.end())


def _each_has(d: Work, ctx: Ctx) -> None:
    """ "member_id and how many loans they hold": the columns listed before the measure are the groups;
    "doctors and how many patients they saw": the rows named before the measure, each a group (by their key)."""
    for m in ctx.measures:
        lead = _LIST_LEAD.search(d.prompt, back(m.start), m.start)
        if lead is None:
            continue
        pieces = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", d.prompt[lead.end() : m.start]) if p.strip()]
        each = _EACH_HAS.match(d.prompt[m.end :])
        if each is None:
            rows = _rows_named(d, pieces, m.table) if _ENDS_WITH_PRONOUN.search(d.prompt, m.start, m.end) else None
            if rows is not None:  # the pronoun at the measure's end is those rows (the verb after is not read here)
                d.use_table(rows[1])
                ctx.keys.extend(k for k in [rows] if k not in ctx.keys)
            continue
        keys = []
        for piece in pieces:
            col = (ph.column_of(d, piece, [m.table]) if m.table else None) or ph.column_of(d, piece)
            if col is None:
                break
            keys.append((col, owner_table(d.catalog, col)))
        if keys and len(keys) == len(pieces):
            ctx.keys.extend(k for k in keys if k not in ctx.keys)
            # the measure is an item of the output list: leave its words to the columns recognizer,
            # which finds the measure by them (what it cannot read stays reported)
            d.give_back(m.start, m.end)
            d.take(m.end, m.end + each.end())


def _rows_named(d: Work, pieces: list[str], measured: str | None) -> tuple[str, str] | None:
    """The key of the one table the words before a measure name whole ("doctors"), other than the measured."""
    rows = ph.whole_table(d, pieces[0]) if len(pieces) == 1 else None
    info = d.catalog.table(rows) if rows is not None and rows != measured else None
    if info is None or len(info.primary_key) != 1:
        return None
    return f"{info.name}.{info.primary_key[0]}", info.name


def _key_at(d: Work, ctx: Ctx, pos: int) -> tuple[tuple[str, str | None], int] | None:
    words = ph.tokens_from(d, pos, 4)
    if words and any(m.start <= words[0].start < m.end for m in ctx.measures):
        return None  # "each channel and how many orders it has": a measure, not a further key
    if not words:
        dn = ph.derived_at(d, pos, pos + 2)
        return None if dn is None else ((dn, None), pos)
    dn = ph.derived_at(d, words[0].start, words[0].end)
    if dn is not None:
        return (dn, None), words[0].end
    measured = {m.alias.lower() for m in ctx.measures if m.named} | {str(m.column).lower() for m in ctx.measures}
    if snake(ph.text_of(d, words[:2])) in measured or snake(words[0].text) in measured:
        return None  # "top 5 categories by revenue" where revenue is the measure: an order, not a group
    for n in range(len(words), 0, -1):
        phrase = ph.text_of(d, words[:n])
        if any(
            re.match(r"^(?:total|sum|average|avg|mean|count|number|max|min|highest|lowest)$", w.low)
            for w in words[:n]
        ):
            continue
        if words[n - 1].low in _DATE_UNITS and n <= 2:
            week = _OF_THE_WEEK.match(d.prompt[words[n - 1].end :]) if words[n - 1].low == "day" else None
            of = None if week else _DATE_OF.match(d.prompt[words[n - 1].end :])
            col_words = of.group("c") if of else (ph.text_of(d, words[: n - 1]) if n == 2 else None)
            # "orders shipped per week": by the date of that event, when no words after the unit name one
            event = event_before(d.as_draft(), pos, [m.table for m in ctx.measures if m.table] + d.in_play())
            if event is None:  # "hires per year": the count of a date's rows is grouped by that date
                event = _counted_date(d, ctx, pos)
            unit = "weekday" if week else _DATE_UNITS[words[n - 1].low]
            key = _date_key(d, ctx, unit, col_words, "weekday" if week else snake(phrase),
                            None if col_words else event and event[0])  # fmt: skip
            if key is None and of is not None and n == 1:  # "per month of 2024": the words after are not a date
                of, key = None, _date_key(d, ctx, unit, None, snake(phrase), event and event[0])
            if key is not None and event is not None and not (of or n == 2):
                _only_with_event(d, event[0])
                if d.free(*event[1]):
                    d.take(*event[1])
            if key is not None:
                return key, words[n - 1].end + (of.end() if of else week.end() if week else 0)
        written = _written_out(d, phrase, [*(m.table for m in ctx.measures if m.table), *d.in_play()])
        if written is not None and not _ON_RECORD.match(d.prompt[words[n - 1].end :]):  # "per category_group": that
            d.use_table(owner_table(d.catalog, written))  # column, not the categories table its first word names
            return (written, owner_table(d.catalog, written)), words[n - 1].end
        table = ph.table_of(d, phrase)
        rec = _ON_RECORD.match(d.prompt[words[n - 1].end :])  # "the depot_id on the vehicle record"
        owner = ph.table_of(d, rec.group("t")) if rec else None
        if rec and owner:
            col = ph.column_of(d, phrase, [owner])
            if col is not None:
                d.use_table(owner)
                return (col, owner), words[n - 1].end + rec.end()
        if table is not None and _own_column_named(d, ctx, phrase) is not None:
            table = None  # "users by country and plan": the users' plan column, not the plans table
        if table is not None:
            end = words[n - 1].end
            names = _NAMES.match(d.prompt[end:])
            if names:
                name_col = _name_column(d, table)
                if name_col:
                    return (name_col, table), end + names.end()
            return ("", table), end
        mtables = [m.table for m in ctx.measures if m.table]
        named = _table_before_grouping(d, pos)  # "every category by name": the category's name
        col = (ph.column_of(d, phrase, [named]) if named else None) or (
            ph.column_of(d, phrase, mtables) if mtables else None) or ph.column_of(d, phrase)
        if col is not None and _order_words_outside(words[:n], col):
            continue  # "per page url, most viewed first": an order of the groups, not a key named 'viewed'
        if col is not None:
            end = words[n - 1].end
            d.use_table(owner_table(d.catalog, col))
            if named and owner_table(d.catalog, col) == named and ("", named) in ctx.keys:
                ctx.keys.remove(("", named))  # "every category by name": each category shown by its name
            return (col, owner_table(d.catalog, col)), end
    return None


def _written_out(d: Work, phrase: str, near: list[str]) -> str | None:
    """"per category_group": a column's own snake_case name written out is that column (of the tables near the
    measure if one of them has it, else of the one table that has it), never a near name in play (category_id)."""
    name = phrase.strip()
    if "_" not in name or " " in name:
        return None
    owners = [t.name for t in d.catalog.tables.values() if t.has_column(name)]
    mine = [t for t in owners if t in near]
    pick = mine[0] if len(mine) == 1 else owners[0] if len(owners) == 1 and not mine else None
    return f"{pick}.{d.catalog.table(pick).column(name).name}" if pick else None


def _own_column_named(d: Work, ctx: Ctx, phrase: str) -> str | None:
    """A column of the measured rows (or of the base) whose name is exactly ``phrase``."""
    tables = [m.table for m in ctx.measures if m.table] or [t for t in [d.base] if t]
    name = snake(phrase)
    for t in tables:
        info = d.catalog.table(t)
        if info.has_column(name):
            return f"{info.name}.{info.column(name).name}"
    return None


def _opens_a_name(d: Work, start: int, end: int) -> bool:
    """The word at ``start:end`` is in a column's name of several words (a mention of the linker), not its last."""
    return any(isinstance(m, ColumnMatch) and m.score >= S_INITIALS and m.start <= start and m.end > end
               for m in d.mentions)  # fmt: skip


def _order_words_outside(words: list[Token], column: str) -> bool:
    """Whether a word that orders, compares or counts ("most", "first", "fewest") is in ``words`` but not
    in the name of the ``column`` they were matched to ("by first name" is first_name; "most viewed" is no key)."""
    parts = set(column.lower().replace(".", "_").split("_"))
    return any(word_class(w.text) in ("ordering", "comparison", "quantifier") and w.low not in parts for w in words)


def _counted_date(d: Work, ctx: Ctx, pos: int) -> tuple[str, tuple[int, int]] | None:
    """The date column a count right before the grouping at ``pos`` counts ("hires | per year": hire_date)."""
    before = [m for m in ctx.measures if m.end <= pos and not d.prompt[m.end : pos].strip(" ,").split()[1:]]
    m = before[-1] if before else None
    if m is None or m.function != "count" or not m.column or "." not in m.column or ph.family(d, m.column) not in (
            "date", "timestamp"):  # fmt: skip
        return None
    return m.column, (m.end, m.end)


def _only_with_event(d: Work, column: str) -> None:
    """Rows grouped by the date of an event ("loans returned per month") are the rows the event happened to: the
    rows without its date (not returned yet) are no group of their own, unless a condition on the date is there."""
    if not any(isinstance(f, Filter) and f.column == column for f in d.filters):
        d.filters.append(Filter(column=column, operator="is_not_null", provenance=f"{split_column(d.catalog, column)[1]} "
                                                                                     "is set"))


def _table_before_grouping(d: Work, pos: int) -> str | None:
    """The table named by the word right before the grouping word that ends at ``pos`` ("each category | by
    name")."""
    before = [t for t in d.tokens.overlapping(max(0, pos - 60), pos) if t.end <= pos][-2:]
    if len(before) == 2 and before[-1].low == "by" and before[0].kind == "word":
        return ph.table_of(d, before[0].text)
    return None


def _name_column(d: Work, table: str) -> str | None:
    info = d.catalog.table(table)
    names = [
        c.name for c in info.columns if c.name.lower() in ("name", f"{ph.singular(table)}_name", "title")
    ]
    return f"{info.name}.{names[0]}" if names else None


def _main_or_dated(d: Work, table: str, words: str) -> str | None:
    """The table's main date; when it has several, the one the request's period is on ("daily rentals for May
    2024 (by the date of returned_at)"), else the question stands."""
    try:
        return main_date_column(d.catalog.table(table), words)
    except PlanError:
        dated = {f.column for f in d.filters if isinstance(f, Filter) and owner_table(d.catalog, f.column) == table
                 and ph.family(d, f.column) in ph.TEMPORAL}  # fmt: skip
        if len(dated) != 1:
            raise
        return split_column(d.catalog, dated.pop())[1]


def _date_key(d: Work, ctx: Ctx, unit: str, col_words: str | None, name: str,
              event: str | None = None) -> tuple[str, None] | None:
    col = ph.column_of(d, col_words) if col_words else event
    if col is not None and ph.family(d, col) not in ph.TEMPORAL:
        col = ph.column_of(d, f"{col_words} date")
    if col_words and (col is None or ph.family(d, col) not in ph.TEMPORAL):  # "start time" → started_at
        col = date_by_stem(d.as_draft(), col_words, [m.table for m in ctx.measures if m.table] + d.in_play())
        table = None if col else ph.table_of(d, col_words)  # "per month of orders": that table's date
        found = main_date_column(d.catalog.table(table), col_words) if table else None
        col = col or (f"{d.catalog.table(table).name}.{found}" if table and found else None)
        if col is None:
            return None
    if col is None:
        tables = [m.table for m in ctx.measures if m.table] + d.in_play()
        for t in tables:
            found = _main_or_dated(d, t, name)
            if found:
                col = f"{d.catalog.table(t).name}.{found}"
                break
    if col is None or ph.family(d, col) not in ph.TEMPORAL:
        return None
    expr = period_sql(unit, col)
    if unit in ctx.period_formats:  # "months shown as 'Mar 2024'": the groups are written that way
        expr = formatted(col, ctx.period_formats[unit], [unit])
    name = ctx.period_names.get(unit, name)
    same = next((x for x in d.derived if x.expression.replace(" ", "") == expr.replace(" ", "")), None)
    if same is not None:  # "... Show the month as the first day of the month": that column is the group
        if unit in ctx.period_names:
            d.derived[d.derived.index(same)] = same = same.model_copy(update={"name": name})
        return same.name, None
    if name in d.defined_names():
        return name, None
    d.derived.append(DerivedColumn(name=name, expression=expr, provenance=name.replace("_", " ")))
    return name, None

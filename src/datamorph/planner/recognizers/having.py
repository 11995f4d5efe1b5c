"""Conditions on measures (having): "customers with more than 3 orders", "teams whose average
score is above 70", "channels where the total is over 50k".
"""

from __future__ import annotations

import re

from lemminflect import getInflection, getLemma

from datamorph.errors import PlanError
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.budget import back
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.recognizers import measures as ms
from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.groups import WHICH_PERIOD
from datamorph.planner.recognizers.measures import Ctx
from datamorph.planner.refs import owner_table
from datamorph.planner.text import Token

_CMP = re.compile(
    r"(?P<op>more\s+than|greater\s+than|higher\s+than|larger\s+than|bigger\s+than|over|above|exceed(?:s|ing|ed)?|"
    r"in\s+excess\s+of|at\s+least|no\s+(?:less|fewer)\s+than|a\s+minimum\s+of|fewer\s+than|less\s+than|lower\s+than|"
    r"smaller\s+than|under|below|at\s+most|no\s+more\s+than|a\s+maximum\s+of|exactly|equal\s+to|equals|between|"
    r">=|<=|>|<|=|==)\s*(?:of\s+)?(?:[$€£¥]\s*|(?:usd|eur|gbp)\s+)?$", re.I)  # fmt: skip
_OPS = [(r"at\s+least|no\s+(?:less|fewer)|a\s+minimum|>=", ">="), (r"at\s+most|no\s+more|a\s+maximum|<=", "<="),
        (r"fewer|less|lower|smaller|under|below|<", "<"), (r"exactly|equal|=", "="), (r"between", "between"),
        (r".", ">")]  # fmt: skip
_OR_MORE = re.compile(
    r"^\s*(?:\+|or\s+(?P<d>more|above|greater|higher|over|fewer|less|below|under|lower))", re.I
)
_LINK = re.compile(
    r"(?:\b(?:with|having|who|that|which|whose|where|and)\s+)?(?:(?:have|has|had|placed|made|got|received|are|were|is|was|get|gets|"
    r"ordered|bought|purchased|been|appear(?:s|ed)?|used|appearing|sold|contain(?:s|ing)?|included|"
    r"show(?:s|ed)?\s+up|turn(?:s|ed)?\s+up|occur(?:s|red)?|feature[sd]?|featuring|listed|seen)\s+)*"
    r"(?:(?:in|on|across)\s+)?(?:(?:a|an|the|their|its)\s+)?$", re.I)  # fmt: skip
#: between a measure and its comparison: a participle that says only what the rows are ("total quantity sold is
#: more than 60"), then a verb of being
_VERB_GAP = re.compile(r"^\s*(?:(?:sold|ordered|bought|purchased|shipped|booked|billed|invoiced|paid|collected|earned|spent|"
                       r"received|delivered|made|generated)\s+(?=is\b|are\b|was\b|were\b|comes?\b|came\b|adds?\b|"
                       r"totals?\b|amounts?\b|reache[sd]\b|exceeds?\b))?(?:(?:is|are|was|were|be|of|comes?\s+to|came\s+to|adds?\s+up\s+to|totals?|"
                       r"amounts?\s+to|reaches|reached|that\s+is|which\s+is)\s+)*$", re.I)  # fmt: skip
_LEAD = re.compile(r"\b(?:(?:only|just|keep|show|list|return)\s+)+(?:(?:the|those|ones)\s+)?(?:(?P<t>[A-Za-z_]+)\s+)?$",
                   re.I)  # fmt: skip
_UNITS = re.compile(r"^\s*(?:dollars?|usd|eur|euros?|gbp|pounds?|bucks)\b", re.I)
_ONLY = re.compile(r"\b(?:only|just|keep|show|list)?\s*(?:(?:the\s+)?(?:ones|those|groups|them)\s+)?$", re.I)


def has_count_condition(d: Work) -> bool:
    """ "customers with more than 3 orders": a condition on a count, with no other measure word."""
    for t in d.tokens.items:
        after = _OR_MORE.match(d.prompt[t.end :])  # "3 or more orders", "5+ sessions"
        if t.kind == "number" and d.free(t.start, t.end) and (
                after or _CMP.search(d.prompt[max(0, t.start - 40) : t.start])):
            at = t.end + (after.end() if after else 0)
            cm = None if after else _CMP.search(d.prompt[max(0, t.start - 40) : t.start])
            op_start = t.start - min(40, t.start) + cm.start() if cm else t.start
            if _TIMES.match(d.prompt, at) and (_kind_counted(d, op_start) is not None or _verb_rows(d, op_start)):
                return True  # "had a refund 3 or more times", "ordered 3 or more times" ("times" ends a phrase)
            nxt = _past_values(d, ph.tokens_from(d, at, 4))
            if nxt and (
                ph.table_of(d, nxt[0].text) or nxt[0].low in ("times", "distinct", "different", "unique")
            ):
                return True
    return False


_MAX_VALUE_WORDS = 2  # "3 or more cancelled orders", "over 2 posted card transactions"


def _past_values(d: Work, words: list[Token]) -> list[Token]:
    """``words`` after the data values that open them ("cancelled orders" → "orders"): the counted rows' own
    condition, read by the row filters later; at most two such words, and only before a table's word."""
    k = 0
    while k < min(_MAX_VALUE_WORDS, len(words) - 1) and ph.table_of(d, words[k].text) is None and (
            d.linker.values(words[k].text) or _state_of_next_table(d, words, k)):  # fmt: skip
        k += 1
    return words[k:] if k and ph.table_of(d, words[k].text) else words


def _state_of_next_table(d: Work, words: list[Token], k: int) -> bool:
    """``words[k]`` names a true/false column of the table the following words name ("10 insured drivers")."""
    table = next((t for n in range(k + 1, min(len(words), k + 3)) if (t := ph.table_of(d, words[n].text))), None)
    return table is not None and ph.state_word(d, words[k].text, table) is not None


def _op_of(text: str) -> str:
    return next(op for pat, op in _OPS if re.search(pat, text, re.I))


def find(d: Work, ctx: Ctx) -> None:
    toks = d.tokens.items
    for i, t in enumerate(toks):
        if t.kind != "number" or not d.free(t.start, t.end) or ph.planned(d, t.start, t.end) or not isinstance(t.value, (int, float)):
            continue
        window = d.prompt[max(0, t.start - 40) : t.start]
        cm = _CMP.search(window)
        after = _OR_MORE.match(d.prompt[t.end :])
        if cm is None and after is None:
            continue
        op_start = t.start - len(window) + cm.start() if cm else t.start
        op = _op_of(cm.group("op")) if cm else ("<=" if after and after.group("d") and
                                                   re.match(r"fewer|less|below|under|lower", after.group("d")) else ">=")  # fmt: skip
        value: object = t.value
        end = t.end + (after.end() if after else 0)
        unit = _UNITS.match(d.prompt[end:])
        end += unit.end() if unit else 0
        if op == "between":
            m2 = re.match(r"\s*(?:and|to|-)\s*", d.prompt[t.end :])
            nxt = toks[i + 1 : i + 3]
            two = next((x for x in nxt if x.kind == "number"), None)
            if m2 is None or two is None:
                continue
            value, end = [t.value, two.value], two.end
        meas, subject_start, noun_end, values = _count_noun(d, ctx, end, op_start)
        linked = True
        if meas is not None:
            end = noun_end
        else:
            meas, subject_start, linked = _subject_measure(d, ctx, op_start)
        if meas is None:
            continue
        _subject_group(d, ctx, subject_start, meas, restate=bool(ctx.keys))
        lead = _LEAD.search(d.prompt, back(subject_start), subject_start)
        if lead and lead.group("t") and ph.table_of(d, lead.group("t")) is None and not _names_key(d, ctx, lead.group("t")):
            lead = None
        subject_start = lead.start() if lead else subject_start
        words = d.prompt[subject_start:end].strip()
        ctx.having.append((meas, op, value, words))
        if not linked and meas.column and meas.function in ("sum", "avg", "min", "max"):
            # "average salary above 50,000 per department": the average, or the salaries above 50,000?
            # The aggregate is planned; the rows reading is checked on the warehouse (planner/ambiguity.py).
            d.doubts.append(Doubt("condition", words, ""))
        d.take(subject_start, end)
        for v in values:  # left for the row filters: they narrow the rows counted
            d.give_back(v.start, v.end)


def _names_key(d: Work, ctx: Ctx, word: str) -> bool:
    """``word`` names a column the rows are grouped by ("only countries with at least 50 customers" after "per
    country"): the groups the condition keeps."""
    col = ph.column_of(d, ph.singular(word)) or ph.column_of(d, word)
    return col is not None and any(k.lower() == col.lower() for k, _ in ctx.keys if k)


def _count_noun(d: Work, ctx: Ctx, end: int, op_start: int) -> tuple[ms.Measure | None, int, int, list[Token]]:
    """ "with more than 15 orders", "used in over 1,000 sessions", "ordered at least 3 times".

    Also the data values before the counted table's word ("3 or more cancelled orders"): they are the
    counted rows' own condition, left for the row filters (returned last).
    """
    words = ph.tokens_from(d, end, 5)
    rest = _past_values(d, words)
    values = words[: len(words) - len(rest)]  # "cancelled" in "3 or more cancelled orders": the rows' own condition
    words = rest[:3]
    distinct = bool(words) and words[0].low in ("distinct", "different", "unique", "separate")
    if distinct:
        words = words[1:]
    table = None
    stop = end
    for n in range(len(words), 0, -1):
        table = ph.table_of(d, ph.text_of(d, words[:n]))
        if table is not None:
            stop = words[n - 1].end
            break
    times = _TIMES.match(d.prompt, end)
    kind = _kind_counted(d, op_start) if table is None and times else None
    if kind is not None and times is not None:  # "members who had a late return 3 or more times": those rows
        table, vstart = kind
        link = _LINK.search(d.prompt, back(vstart), vstart)
        meas = ms._entity_measure(d, "count", end, times.end(), table, [])
        meas.start = end
        kinds = [t for t in d.tokens.within(vstart, op_start) if t.kind == "word" and t.low not in ("a", "an", "the")]
        return ctx.add(meas), link.start() if link and link.group(0).strip() else vstart, meas.end, kinds
    if table is None and words and words[0].low == "times":
        group_tables = {k[1] for k in ctx.keys if k[1]}
        table = next((m.table for m in ctx.measures if m.entity and m.table), None) or _verb_rows(d, op_start) or next(
            (t for t in d.in_play() if t not in group_tables), None)  # fmt: skip
        stop = words[0].end
    elif table is None and times is not None and (verb_rows := _verb_rows(d, op_start)) is not None:
        table, stop = verb_rows, times.end()  # "customers who ordered more than 5 times": their orders counted
        op_start = verb.start if (verb := _verb_before(d, op_start)) else op_start  # "ships booked 3 times"
    if table is None:
        return None, op_start, end, []
    link = _LINK.search(d.prompt, back(op_start), op_start)
    subject_start = link.start() if link and link.group(0).strip() else op_start
    total = _IN_TOTAL.match(d.prompt, stop)  # "over 3,000 sessions in total": the count, said again
    stop = total.end() if total and d.free(total.start(), total.end()) else stop
    meas = ms._entity_measure(d, "count_distinct" if distinct else "count", end, stop, table, [])
    meas.start = end
    return ctx.add(meas), subject_start, meas.end, values


_IN_TOTAL = re.compile(r"\s*(?:in\s+total|altogether|all\s+told|combined|overall)\b", re.I)


def _verb_before(d: Work, op_start: int) -> Token | None:
    """The word right before ``op_start`` (nothing but spaces between), if any."""
    prev = [t for t in d.tokens.within(back(op_start), op_start) if t.kind != "punct"][-1:]
    if not prev or prev[-1].kind != "word" or d.prompt[prev[-1].end : op_start].strip():
        return None
    return prev[-1]


def _verb_rows(d: Work, op_start: int) -> str | None:
    """Which table a verb right before the comparison names by its lemma ("ordered more than 5 times": orders), when
    that table is not the base (whose rows the verb is said of): its rows are what is counted."""
    verb = _verb_before(d, op_start)
    if verb is None:
        return None
    lemma = getLemma(verb.low, upos="VERB")[0]  # "ordered" → orders; "booked" → bookings (the -ing noun)
    table = next((t for w in (lemma, *getInflection(lemma, tag="VBG")) if (t := ph.table_of(d, w)) is not None), None)
    return table if table is not None and table != d.base else None


_TIMES = re.compile(r"\s*times\b", re.I)
_WORDS_BEFORE = re.compile(r"((?:[A-Za-z_]\w*[\s-]+){1,3})$")


def _kind_counted(d: Work, op_start: int) -> tuple[str, int] | None:
    """ "had a late return 3 or more times", "been a no-show twice or more": the words before the comparison
    name a data value of one table, whose rows are what is counted (the value stays free: the row filters
    read it as those rows' condition). The table and where the words start; None if no value, or the
    value of several tables."""
    lo = back(op_start)
    m = _WORDS_BEFORE.search(d.prompt[lo:op_start])
    if m is None:
        return None
    best: tuple[float, int, str] | None = None  # the best-scored phrase; the shortest of equal scores
    for w in reversed(list(re.finditer(r"[A-Za-z_]\w*", m.group(1)))):
        start = lo + m.start(1) + w.start()
        phrase = d.prompt[start:op_start].strip()
        if phrase.lower() in ("a", "an", "the") or not d.free(start, op_start):
            continue
        found = [v for v in d.linker.values(phrase) if v.score >= 0.9]
        if not found or best is not None and found[0].score <= best[0]:
            continue
        tables = {v.table for v in found if v.score == found[0].score}
        if len(tables) != 1:
            return None  # a value of several tables: which rows are counted is not clear
        best = (found[0].score, start, found[0].table)
    return (best[2], best[1]) if best else None


def _subject_group(d: Work, ctx: Ctx, subject_start: int, meas: ms.Measure, restate: bool = False) -> None:
    """ "customers with more than 3 orders", "departments whose average salary...": the subject is the group.
    ``restate``: the groups are known already; the subject is read only when it names one of them."""
    before = ph.tokens_before(d, subject_start, 2)
    if not before:
        return
    whole = ph.table_of(d, ph.text_of(d, before))
    owner = whole or ph.table_of(d, before[-1].text)
    if owner is None and (past := _subject_past_values(d, subject_start)) is not None:
        before, whole, owner = [past], None, ph.table_of(d, past.text)  # "customers from Germany with more than 3 orders"
    if owner is not None and owner != meas.table:
        if restate and ("", owner) not in ctx.keys:
            return
        if ("", owner) not in ctx.keys:
            ctx.keys.append(("", owner))
        d.use_table(owner)
        d.take(before[0].start if whole else before[-1].start, before[-1].end)  # "acounts" (a typo)
        return
    if owner is not None or meas.table is None:
        return
    for n in (2, 1):  # "browsers used in over 1,000 sessions", "channels with more than 100 orders"
        words = before[-n:]
        if len(words) < n or not d.free(words[0].start, words[-1].end):
            continue
        col = ph.column_of(d, ph.text_of(d, words), [meas.table])
        owner = meas.table
        if col is None and (parent := _parent_column(d, ph.text_of(d, words), meas.table)):
            col, owner = parent  # "cities with an average order amount over 200": the city of each order's customer
        if col is not None and (ph.family(d, col) not in ph.NUMERIC or ph.is_key(d, col)):
            if restate and not any(k[0] == col for k in ctx.keys):
                return
            if not any(k[0] == col for k in ctx.keys):
                ctx.keys.append((col, owner))
            if owner != meas.table:
                d.use_table(owner)
            d.take(words[0].start, words[-1].end)
            return
    _which_subject(d, ctx, subject_start, meas, restate)


_VALUE_GLUE = frozenset({"from", "in", "of", "at", "with", "or", "and", "based", "located", "living"})


def _subject_past_values(d: Work, pos: int) -> Token | None:
    """The word naming a table that opens the clause before ``pos``, when only data values and the small words
    that place them come between ("customers from Germany or France | with more than 3 orders")."""
    toks = [t for t in d.tokens.items if t.end <= pos]
    k = len(toks)
    while k > 0 and toks[k - 1].kind in ("word", "quoted") and (
            toks[k - 1].low in _VALUE_GLUE or toks[k - 1].kind == "quoted" or d.linker.values(toks[k - 1].text)):
        k -= 1  # fmt: skip
    if k == 0 or k == len(toks) or toks[k - 1].kind != "word" or ph.table_of(d, toks[k - 1].text) is None:
        return None
    return toks[k - 1] if d.free(toks[k - 1].start, toks[k - 1].end) else None


def _parent_column(d: Work, phrase: str, table: str) -> tuple[str, str] | None:
    """The one column ``phrase`` names among the tables ``table`` refers to (one row of each per row of it: no
    row counted twice), when it names none of ``table`` itself; with its table."""
    parents = sorted({fk.ref_table for fk in d.catalog.table(table).foreign_keys if d.catalog.has_table(fk.ref_table)})
    hits = [h for h in d.linker.columns(phrase, parents) if h.score >= 0.85] if parents else []
    if not hits or len(hits) > 1 and hits[1].score >= hits[0].score - 0.005:
        return None
    return f"{hits[0].table}.{hits[0].column}", hits[0].table


#: "Which browsers saw more than 2,000 sessions?", "what traffic sources produced over 3,000 sessions": a question's
#: subject, then one verb that only says the counted rows are the group's
_WHICH_SUBJECT = re.compile(r"\b(?:which|what)\s+(?P<g>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?:(?:have|has|had)\s+)?"
                            r"(?P<v>[A-Za-z]+)\s+$", re.I)  # fmt: skip


def _which_subject(d: Work, ctx: Ctx, subject_start: int, meas: ms.Measure, restate: bool) -> None:
    """The column a question asks about ("which browsers") is the group of a count compared right after its verb,
    when the verb names nothing of the warehouse (no table, column or value: "cancelled" would be the rows'
    condition, "placed" a date): it says only that the rows counted are the group's."""
    m = _WHICH_SUBJECT.search(d.prompt, back(subject_start), subject_start)
    if m is None or meas.table is None or meas.function not in ("count", "count_distinct") or not d.free(m.start(), m.end()):
        return
    verb = m.group("v")
    owner = ph.table_of(d, m.group("g"))
    if owner is not None and owner != meas.table and meas.function == "count" and d.linker.values(verb, [meas.table]) \
            and any(fk.ref_table.lower() == owner.lower() for fk in d.catalog.table(meas.table).foreign_keys):
        # "Which patients have missed three or more visits?": the visits point at their patient; "missed" is the
        # visits' own value (a row condition, read by the filters)
        if restate and ("", owner) not in ctx.keys:
            return
        if ("", owner) not in ctx.keys:
            ctx.keys.append(("", owner))
        d.use_table(owner)
        d.take(m.start("g"), m.end("g"))
        return
    if verb.lower() in ("of", "in", "per", "by", "for") or d.linker.values(verb) or ph.table_of(d, verb) or any(
            h.score >= 0.7 for h in d.linker.columns(verb)):  # fmt: skip
        return
    if owner is not None:
        return  # "which doctors treated more than 100 patients": rows of another table, related in a way not said
    col = ph.column_of(d, m.group("g"), [meas.table])
    if col is None or owner_table(d.catalog, col) != meas.table or ph.family(d, col) in ph.NUMERIC and not ph.is_key(d, col):
        return
    if restate and not any(k[0] == col for k in ctx.keys):
        return
    if not any(k[0] == col for k in ctx.keys):
        ctx.keys.append((col, meas.table))
    d.take(m.start("g"), m.end("v"))


_ROWS_GAP = re.compile(r"^\s*(?:sold|ordered|bought|paid|billed|collected|earned|spent)?\s*(?:across|over|from|in|on|of)\s+"
                       r"(?:all\s+)?(?:(?:the|their|its)\s+)?(?P<t>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+", re.I)  # fmt: skip


def _past_rows(d: Work, start: int, end: int) -> str:
    """The words between a measure and its comparison, without a phrase that only names the measured rows'
    table ("total quantity sold across all order items is more than 60"); a phrase with any other word
    ("over completed orders": a condition) is kept, and the gap then ties nothing."""
    gap = d.prompt[start:end]
    m = _ROWS_GAP.match(gap)
    if m is None or ph.table_of(d, m.group("t")) is None:
        return gap
    lead = m.group(0)[: m.start("t") - m.start()].split()
    verb = lead[0] if lead and lead[0].lower() not in ("across", "over", "from", "in", "on", "of") else ""
    return f"{verb} {gap[m.end():]}" if verb else gap[m.end() :]


def _subject_measure(d: Work, ctx: Ctx, op_start: int) -> tuple[ms.Measure | None, int, bool]:
    """ "whose average fee is above", "with total > 40", "only members above 400".

    The flag says whether the words tie the comparison to the measure: a link before it ("with",
    "whose", "having", "that have"), a bare aggregate word ("whose total is"), or the group itself
    ("customers above 1,000"). Without one ("average salary above 50,000 per department") the
    comparison may be on each row as well.
    """
    for m in ctx.measures:  # "total fine exceeds 10": the comparison word is not part of the measure's name
        if m.start < op_start < m.end and _CMP.match(d.prompt[op_start : m.end].strip() + " "):
            m.end = op_start - (len(d.prompt[:op_start]) - len(d.prompt[:op_start].rstrip()))
            d.give_back(op_start, op_start + len(d.prompt[op_start:].split(None, 1)[0]))
    for m in sorted(ctx.measures, key=lambda x: -x.end):
        if m.function == "count" and ph.table_of(d, d.prompt[m.start : m.end]) and d.prompt[m.end : op_start].strip() == "":
            continue  # "2 orders over 500": a row's value ("orders over 500"), never a count of them over 500
        if m.end <= op_start and _VERB_GAP.match(_past_rows(d, m.end, op_start)):
            link = _LINK.search(d.prompt, back(m.start), m.start)
            linked = bool(link and link.group(0).strip())
            return m, link.start() if link and linked else m.start, linked
    before = d.prompt[max(0, op_start - 40) : op_start]
    bare = re.search(r"\b(?:a\s+|the\s+|their\s+|its\s+)?(?:combined\s+|overall\s+|grand\s+)?(?P<w>total|sum|average|"
                     r"avg|mean|count|number|maximum|max|minimum|min)\s*(?:(?:is|was|of|comes\s+to)\s+)*$", before, re.I)  # fmt: skip
    if bare:
        fn = {"total": "sum", "sum": "sum", "average": "avg", "avg": "avg", "mean": "avg", "count": "count",
              "number": "count", "maximum": "max", "max": "max", "minimum": "min", "min": "min"}[bare.group("w").lower()]  # fmt: skip
        cands = [
            m for m in ctx.measures if m.function == fn or fn == "count" and m.function == "count_distinct"
        ]
        if len(cands) == 1:
            start = op_start - len(before) + bare.start()
            link = _LINK.search(d.prompt, back(start), start)
            return cands[0], link.start() if link and link.group(0).strip() else start, True
        return None, op_start, True
    named = _measure_named(d, ctx, op_start)
    if named is not None:
        return named
    mtables = {m.table for m in ctx.measures}
    group_tables = {k[1] for k in ctx.keys if k[1] and (not k[0] or k[1] not in mtables)}
    link = _LINK.search(d.prompt, back(op_start), op_start)
    subj = ph.tokens_before(d, link.start() if link and link.group(0).strip() else op_start, 3)
    words = [
        w
        for w in subj
        if w.low not in ("only", "just", "the", "those", "ones", "keep", "groups", "show", "list")
    ]
    if (
        len(ctx.measures) == 1
        and subj
        and (not words or ph.table_of(d, ph.text_of(d, words)) in group_tables
             or len(words) == 1 and _names_group(d, ctx, words[0]))  # "only months above 1000" (per month)
    ):
        return ctx.measures[0], subj[0].start, True
    return None, op_start, True


def _measure_named(d: Work, ctx: Ctx, op_start: int) -> tuple[ms.Measure, int, bool] | None:
    """ "order revenue per month, only months with revenue above 1000": the words right before the comparison are
    the one measure's own words (its name said again). Tied to the measure when the groups are named before the
    link ("months with"); else the rows reading is a doubt ("orders with revenue above 1000")."""
    if len(ctx.measures) != 1:
        return None
    meas = ctx.measures[0]
    own = {w.lower() for w in re.findall(r"[A-Za-z_]+", d.prompt[meas.start : meas.end])} - STOPWORDS
    copula = re.search(r"\b(?:is|are|was|were)\s+$", d.prompt[max(0, op_start - 10) : op_start])
    end = op_start - (len(copula.group(0)) if copula else 0)
    said: list[Token] = []
    for t in reversed([t for t in d.tokens.overlapping(max(0, end - 60), end) if t.end <= end]):
        if t.kind != "word" or t.low in STOPWORDS or len(said) == 3:
            break  # the words right before the comparison, up to a grammar word ("whose", "with")
        said.insert(0, t)
    said = said[next((i for i, t in enumerate(said) if t.low in own), len(said)):]
    if not said or not all(t.low in own and t.kind == "word" for t in said) or said[0].start <= meas.start < op_start:
        return None
    if any(ph.table_of(d, t.text) for t in said):
        return None  # "2 trips over 50 km": the counted rows' own value, never their count
    link = _LINK.search(d.prompt, back(said[0].start), said[0].start)
    start = link.start() if link and link.group(0).strip() else said[0].start
    group = ph.tokens_before(d, start, 1)
    if group and meas.table and ph.table_of(d, group[0].text) == meas.table:
        return None  # "average fee of members with fee over 40": the rows measured, each with its own fee
    return meas, start, bool(group) and _names_group(d, ctx, group[0])


def _names_group(d: Work, ctx: Ctx, t: Token) -> bool:
    """The word names the groups: a grouped column ("channels" per channel) or a grouped period ("months")."""
    return t.kind == "word" and (_names_key(d, ctx, t.text) or any(
        ph.singular(t.low) in (k or "").split(".")[-1].split("_") for k, _ in ctx.keys))  # fmt: skip


# -- "which payment methods collected more than 10,000 in total" ----------------------------------------
#: A verb of money coming in or going out, right before a comparison: what is compared is the sum of the rows'
#: money column per group.
_MONEY_WORDS = (r"collect(?:ed)?|t(?:ake|ook)\s+in|br(?:ing|ought)\s+in|earn(?:ed)?|generated?|gross(?:ed)?|raised?|"
                r"bill(?:ed)?|spen[dt]|paid(?:\s+out)?|pa(?:y|ys)|ma(?:k|d)e")
_MONEY_VERB = re.compile(rf"\b(?P<v>{_MONEY_WORDS})\s+(?:a\s+total\s+of\s+)?$", re.I)
#: the verb after the amount, in the passive: "in which years was more than 1,000,000 collected on paid invoices"
_MONEY_AFTER = re.compile(r"\s+(?:(?:was|were|been|got)\s+)?(?P<v>collected|taken\s+in|brought\s+in|earned|generated|"
                          r"raised|billed|spent|paid\s+out|made)\b", re.I)  # fmt: skip
_ROWS_AFTER = re.compile(r"\s*(?:across|from|on|over|through|in)\s+(?:all\s+)?(?:(?:the|their|its|his|her)\s+)?"
                         r"(?P<w>(?:[A-Za-z_]+\s+){0,2}[A-Za-z_]+)\b", re.I)  # fmt: skip
_WHICH_BEFORE = re.compile(r"\b(?:which|what)\s+(?P<g>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?:(?:have|has|had)\s+)?$"
                           r"|\b(?P<t>[A-Za-z_]+)\s+(?:who|that|which)\s+(?:have\s+|has\s+|had\s+)?$", re.I)  # fmt: skip


def money_sums(d: Work, ctx: Ctx) -> None:
    """ "Which kiosks collected more than 8,000 in total?", "which vendors took in over 20,000 across
    posted transactions", "customers who spent more than 1,000 on orders": the sum of the rows' money column (its
    only one, or its only money-like one: else asked) per the subject, compared (having). The subject must be a
    column of those rows asked about ("which vendors") or another table ("customers who ..."); the rows'
    own words ("orders that brought in over 500") stay a condition on each row (the filters read it)."""
    for t in d.tokens.items:
        if t.kind != "number" or not isinstance(t.value, (int, float)) or not d.free(t.start, t.end):
            continue
        cm = _CMP.search(d.prompt, max(0, t.start - 40), t.start)
        if cm is None or cm.end() != t.start and d.prompt[cm.end() : t.start].strip():
            continue
        end = t.end
        unit = _UNITS.match(d.prompt, end)
        end = unit.end() if unit else end
        nxt = ph.tokens_from(d, end, 1)
        if nxt and nxt[0].start - end <= 1 and ph.table_of(d, nxt[0].text) is not None:
            continue  # "made more than 5 orders": a count of the rows (the count conditions read it)
        verb: re.Match[str] | None = _MONEY_VERB.search(d.prompt, back(cm.start()), cm.start())
        if verb is None and (after := _MONEY_AFTER.match(d.prompt, end)) and d.free(end, after.end()):
            verb, end = after, after.end()
        elif verb is None or not d.free(verb.start("v"), cm.start()):
            continue
        total = _IN_TOTAL.match(d.prompt, end)
        end = total.end() if total else end
        rows = _ROWS_AFTER.match(d.prompt, end)
        table = d.base
        values: list[Token] = []
        if rows is not None:
            words = [w for w in d.tokens.within(rows.start("w"), rows.end("w")) if w.kind == "word"]
            for k in range(len(words), 0, -1):  # "from completed appointments (in total)": values, then the table
                named, lead = ph.table_of(d, words[k - 1].text), words[: k - 1]
                if named is not None and all(d.linker.values(w.text) and d.free(w.start, w.end) for w in lead):
                    table, values, end = named, lead, words[k - 1].end
                    again = _IN_TOTAL.match(d.prompt, end)
                    end = again.end() if again else end
                    break
        if table is None:
            continue
        if total and table == d.base:  # "which customers spent over 500 in total": their orders' amounts (without
            table = _measured_child(d, table) or table  # "in total", one order over 500 or their sum: asked)
        subject_at = min(verb.start("v"), cm.start())
        key = _money_subject(d, subject_at, table)
        if key is None and not _period_asked(d, subject_at):
            continue
        from datamorph.planner.recognizers.filters import main_measure

        col = f"{d.catalog.table(table).name}.{main_measure(d.as_draft(), d.catalog.table(table), d.prompt[verb.start('v') : end])}"
        meas = ctx.add(ms.Measure("sum", col, ph.default_alias("sum", col, None, []), subject_at, end, table=table))
        span = (subject_at, end)
        if key is not None:
            col_key, span = key
            if col_key not in ctx.keys:
                ctx.keys.append(col_key)
            if col_key[1]:
                d.use_table(col_key[1])
        d.use_table(table)
        ctx.having.append((meas, _op_of(cm.group("op")), t.value, d.prompt[span[0] : end].strip()))
        d.take(span[0], end)
        for v in values:  # "posted": the summed rows' own condition, read by the row filters
            d.give_back(v.start, v.end)


def _measured_child(d: Work, table: str) -> str | None:
    """The one table whose rows point at ``table`` and carry the money a verb speaks of, when ``table`` itself
    has no measure ("customers" spend through their orders); None when ``table`` has one, or several children do."""
    from datamorph.planner.recognizers.filters import MONEY, main_measure

    def measured(name: str) -> bool:  # its one measure is money (an amount, a fee: not a limit, not a rating)
        try:
            return MONEY.search(main_measure(d.as_draft(), d.catalog.table(name), "")) is not None
        except PlanError:
            return False

    if measured(table):
        return None
    children = [t for t in d.catalog.table_names() if t != table and measured(t) and any(
        fk.ref_table.lower() == table.lower() for fk in d.catalog.table(t).foreign_keys)]  # fmt: skip
    return children[0] if len(children) == 1 else None


def _period_asked(d: Work, pos: int) -> bool:
    """The sentence before ``pos`` asks "in which years/months/..." (the groups: :func:`groups.WHICH_PERIOD`)."""
    start = max(d.prompt.rfind(c, 0, pos) for c in ".?!;\n") + 1
    return any(d.free(m.start(), m.end()) for m in WHICH_PERIOD.finditer(d.prompt, start, pos))


def _money_subject(d: Work, verb_start: int, table: str) -> tuple[tuple[str, str | None], tuple[int, int]] | None:
    """The group a money verb's subject names, and the words to take: "which vendors" (a column of the rows,
    not a number), "customers who" (another table)."""
    m = _WHICH_BEFORE.search(d.prompt, back(verb_start), verb_start)
    if m is None:
        return None
    subject = m.group("t") or m.group("g")
    owner = ph.table_of(d, subject)
    if owner is not None:  # "customers who spent ...", "which doctors earned ... from appointments": another table
        at = m.start("t") if m.group("t") else m.start("g")
        if owner == table or not d.free(at + len(subject), verb_start):
            return None  # (the rows' own words: "orders that brought in over 500" is a condition on each order)
        return ("", owner), (at + len(subject), verb_start)
    if m.group("t") or not d.free(m.start("g"), m.end("g")):
        return None
    col = ph.column_of(d, m.group("g"), [table]) or ph.column_of(d, m.group("g"))
    if col is None or ph.family(d, col) in ph.NUMERIC and not ph.is_key(d, col):
        return None
    owner = owner_table(d.catalog, col)
    if owner != table and not any(fk.ref_table.lower() == owner.lower() for fk in d.catalog.table(table).foreign_keys):
        return None  # ("which specialties" of the doctors each appointment refers to: one doctor per row, no repeats)
    return (col, owner), (m.start(), verb_start)

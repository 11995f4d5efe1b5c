"""Row states and restatements: boolean columns ("active products"), event dates used as verbs
("terminated", "not terminated"), "current"/"still employed"/"former" on a table with an end date,
a condition stated twice, and "only" next to a condition ("Using only current contract rows").

Steps of the row filters (see :mod:`filters`): ``booleans`` runs before the NULL tests and values,
``states``, ``restated`` and ``only`` after them.
"""

from __future__ import annotations

import functools
import re
from typing import cast

from lemminflect import getAllInflections, getInflection, getLemma

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.linking import ColumnMatch, TableMatch
from datamorph.planner.recognizers.common import in_play, named_table
from datamorph.planner.recognizers.filter_base import NEGATION as _NEGATION
from datamorph.planner.recognizers.filter_base import Mention as _Mention
from datamorph.planner.recognizers.filter_base import Play, claimed_by
from datamorph.planner.recognizers.filter_base import info as _info
from datamorph.planner.recognizers.filter_base import mention_spans as _mention_spans
from datamorph.planner.refs import owner_table
from datamorph.planner.text import Token
from datamorph.spec import Condition, ExpressionCondition, Filter, Operator

_STATE = re.compile(
    r"\b(?:(?P<cur>still|currently|current|active|ongoing|open)|(?P<gone>no\s+longer))(?:\s+(?P<verb>[a-z]+ed|active|open|working|"
    r"(?:works?|working)(?:\s+(?:here|there|for\s+us|with\s+us|at\s+the\s+company|for\s+the\s+company))?|"
    r"(?:here|with\s+us|with\s+the\s+company|on\s+(?:the\s+)?(?:staff|payroll|the\s+books))))?\b"
    r"|\b(?P<former>former|ex)\b",
    re.IGNORECASE,
)
_END_COLUMN = re.compile(r"(?:^|_)(?:termination|terminated|end|ended|ending|closed|close|left|leave|exit|exited|"
                         r"churn|churned|cancel+ed|cancel+ation|expir\w*|deleted|resign\w*|departure|separation|"
                         r"valid_to|until|to_date)(?:_|$)", re.IGNORECASE)  # fmt: skip

# ------------------------------------------------------------------------------------------------
# 5. states: booleans, events, current/former


_LINK_VERB = r"(?:\s+(?:is|are|was|were|has\s+been|have\s+been|got|gets|been))?(?P<neg>\s+(?:not|never))?\s+"


#: a possessive or article between a participle and the rest of its column's name ("verified their email")
_OWNER = r"(?:their|its|his|her|your|our|the|an?)"

#: a negation right before a yes/no column, or before the verb that sets it ("not set to auto-archive",
#: "isn't marked as paid")
_NOT_SET = re.compile(r"(?:\b(?P<neg>isn't|aren't|wasn't|weren't|not|no\s+longer)\s*)?(?P<set>\b(?:be\s+)?(?:(?:set|marked|"
                      r"flagged|configured|switched|turned)\s+(?:to|as|on)|(?P<off>(?:switched|turned|set)\s+off|disabled|"
                      r"deactivated)|enabled|activated)\s+)?$", re.I)  # fmt: skip

#: the value a yes/no column is said to have after its name ("auto renew turned off", "alerts are enabled",
#: "is_legacy is true"); a bare on/off/yes/no only before the end of the clause ("auto renew on the yearly
#: plan" is no state)
_SAID_STATE = re.compile(
    r"\s*(?:(?:is|are|was|were|has\s+been|have\s+been|been|got|gets|be)\s+)?(?P<neg>(?:not|no\s+longer)\s+)?"
    r"(?:(?:(?:set|turned|switched)\s+(?:to\s+)?)?(?:(?P<on>true|enabled|activated)|(?P<off>false|disabled|deactivated))\b"
    r"|(?P<verb>(?:set|turned|switched)\s+(?:to\s+)?)?(?:(?P<on2>on|yes)|(?P<off2>off|no))"
    r"(?=\s*(?:$|[,;.)!?]|(?:and|or|but|with|who|that|which)\b)))",
    re.I,
)


def booleans(d: View) -> list[Claim]:
    """A boolean column named in words is a test of its value, read once and before values and NULL tests:
    "users whose email is verified" / "with a verified email" → email_verified = TRUE, "email is not
    verified" / "without a verified email" → FALSE. The words of the column's name around the participle
    ('email') are part of it, not a data value ('email' as a referral source)."""
    w = Play.of(d)
    for s in _mention_spans(d):
        if not isinstance(s.m, ColumnMatch) or not w.open(s.start, s.end):
            continue
        if _info(d, s.m.table, s.m.column).family != "boolean":
            continue
        word = d.prompt[s.start : s.end].lower()
        rest = [w for w in re.split(r"[_\s]+", s.m.column.lower()) if w and w != "is" and w not in word]
        a, b, negated = s.start, s.end, False
        if rest:
            names = r"\s+".join(map(re.escape, rest))
            before = re.compile(r"\b" + names + _LINK_VERB + "$", re.I).search(d.prompt, back(s.start), s.start)
            after = re.match(r"\s+(?:" + _OWNER + r"\s+)?" + names + r"\b", d.prompt[s.end :], re.I)
            if before is not None and w.open(before.start(), before.end()):
                a = before.start()
                negated = bool(before.group("neg"))
            elif after is not None and w.open(s.end, s.end + after.end()):
                b = s.end + after.end()
                verb_neg = _NEGATION.search(d.prompt, back(a), a)
                if verb_neg is not None and w.open(verb_neg.start(), a):
                    a, negated = verb_neg.start(), True  # "never verified their email": the verb is negated
            else:
                continue
        lead = re.search(r"\b(?P<w>with|without|has|have|having)\s+(?:an?\s+)?$", d.prompt[:a], re.I)
        if lead is not None and w.open(lead.start(), a):
            negated = negated != (lead.group("w").lower() == "without")
            a = lead.start()
        said = _SAID_STATE.match(d.prompt, b)
        if said is not None and (said.group("verb") or said.group("on") or said.group("off")
                                 or said.group(0).split()[0].lower() not in ("on", "off", "yes", "no")
                                 ) and w.open(b, said.end()):  # fmt: skip
            b = said.end()  # "auto renew turned off", "alerts are enabled", "is_legacy is true": the value said after
            negated = negated != (bool(said.group("off") or said.group("off2")) != bool(said.group("neg")))
        neg = _NOT_SET.search(d.prompt, back(a), a)
        if neg is not None and (neg.group("set") or neg.group("neg")) and w.open(neg.start(), a):
            a = neg.start()  # "is NOT set to auto-archive", "not accepting ...", "turned off": the verb and negation
        negated = (negated or bool(neg and neg.group("neg"))) != bool(neg and neg.group("off"))
        if re.match(r"^(?:in|un|non[- ]?)", word) and not re.match(r"^(?:is_)?(?:in|un|non)", s.m.column.lower()):
            negated = not negated
        cond = Filter(column=f"{s.m.table}.{s.m.column}", operator="=", value=not negated, provenance=d.prompt[a:b])
        w.take_free(a, b, Edit.add("filters", cond), why="a yes/no column")
    _particle_columns(w)
    return w.claims


#: a verb's particle and the one that says the opposite ("opt in" / "opt out", "log on" / "log off")
_PARTICLES = {"in": "out", "out": "in", "on": "off", "off": "on"}


def _particle_columns(w: Play) -> None:
    """A yes/no column whose name ends in a verb and its particle (marketing_opt_in, newsletter_opted_out), said
    as that verb with either particle before the rest of the name: "opted into marketing" is true, "opted out of
    marketing" false (the other particle). The rest may be a data value elsewhere ("Marketing" as a department):
    the verb and particle make it the column's."""
    d = w.view
    for table in w.in_play():
        for col in d.catalog.table(table).columns:
            words = [x for x in col.name.lower().split("_") if x and x != "is"]
            if col.family != "boolean" or len(words) < 2 or words[-1] not in _PARTICLES or not words[-2].isalpha():
                continue
            verb, particle, rest = words[-2], words[-1], words[:-2]
            forms = {verb, *(f for fs in getAllInflections(verb, upos="VERB").values() for f in fs)}
            verbs = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
            names = r"\s+".join(map(re.escape, rest))
            tail = rf"(?:\s+(?:of|to|for|from))?\s+(?:{_OWNER}\s+)?{names}" if rest else ""
            pattern = re.compile(rf"\b(?:{verbs})[\s-]+(?P<p>in(?:to)?|out|on(?:to)?|off){tail}\b", re.I)
            for m in pattern.finditer(d.prompt):
                if not w.open(m.start(), m.end()):
                    continue
                a = m.start()
                neg = _NEGATION.search(d.prompt, back(a), a)
                negated = m.group("p").lower().removesuffix("to") != particle
                if neg is not None and w.open(neg.start(), a):
                    a, negated = neg.start(), not negated  # "never opted into marketing"
                cond = Filter(column=f"{table}.{col.name}", operator="=", value=not negated, provenance=d.prompt[a : m.end()])
                w.take_free(a, m.end(), Edit.add("filters", cond), why="a yes/no column said as its verb")


def states(d: View) -> list[Claim]:
    """Boolean and event-date columns named alone ("active", "terminated", "not terminated"), booleans
    negated by a prefix ("inactive users"), and "current"/"former" on a table with an end date."""
    w = Play.of(d)
    spans = _mention_spans(d)
    _column_states(w, spans)
    _column_states(w, _negated_verbs(w), spans)
    _prefixed_booleans(w)
    _current(w)
    return w.claims


def _negated_verbs(w: Play) -> list[_Mention]:
    """"whose doctor didn't prescribe anything", "users who don't log in": a verb in its base form after a
    negation, whose past participle names an event date ("prescribed" → prescribed_on), as that column's mention."""
    d = w.view
    out = []
    for t in d.tokens.items:
        if t.kind != "word" or w.held(t) or not NO_EVENT.search(d.prompt, back(t.start), t.start):
            continue
        participle = (getInflection(t.low, tag="VBN") or ("",))[0]
        if participle == t.low or not participle.endswith("ed"):
            continue  # not a verb in its base form ("didn't log": "logged"; "never prescribed": named already)
        for cm in d.linker.columns(participle, None)[:1]:
            if cm.score >= 0.7 and _info(d, cm.table, cm.column).family in TEMPORAL_FAMILIES:
                out.append(_Mention(t.start, t.end, cm))
    return out


#: negations that say an event did not happen at all, before its verb ("didn't borrow", "has never been
#: paid"): shared with the dates recognizer ("never borrowed in 2024": no loan in 2024)
NO_EVENT = re.compile(r"\b(?:never|hasn't|haven't|hadn't|didn't|don't|doesn't|(?:has|have|had|did|do|does)\s+not)"
                      r"(?:\s+(?:been|be|yet|ever))*\s+$", re.IGNORECASE)  # fmt: skip


def _column_states(w: Play, spans: list[_Mention], context: list[_Mention] | None = None) -> None:
    """The states ``spans`` name (``context``: the request's mentions, when ``spans`` are other words')."""
    d = w.view
    for s in spans:
        if not isinstance(s.m, ColumnMatch) or not w.open(s.start, s.end):
            continue
        info = _info(d, s.m.table, s.m.column)
        word = d.prompt[s.start : s.end].lower()
        if context is not None:
            word = (getInflection(word, tag="VBN") or (word,))[0]  # a verb's base form: its participle
        neg = _NEGATION.search(d.prompt, back(s.start), s.start)
        negated = neg is not None and w.open(neg.start(), s.start)
        start = neg.start() if negated and neg is not None else s.start
        column = f"{s.m.table}.{s.m.column}"
        if info.family == "boolean":
            if re.match(r"^(?:in|un|non[- ]?)", word) and not re.match(r"^(?:is_)?(?:in|un|non)", s.m.column.lower()):
                negated = not negated
            cond = Filter(column=column, operator="=", value=not negated, provenance=d.prompt[start : s.end])
            edits = [Edit.add("filters", cond)]
        elif info.family in TEMPORAL_FAMILIES and re.search(r"ed$", word) and (
            negated or _predicate(d, context or spans, s)
        ):
            cond = Filter(column=column, operator="is_null" if negated else "is_not_null",
                          provenance=d.prompt[start : s.end])  # fmt: skip
            edits = [Edit.add("filters", cond)]
            if negated and d.base is not None and s.m.table != d.base:
                edits = anti_join(d, s.m.table, d.prompt[start : s.end])
        else:
            continue
        w.take_free(start, s.end, *edits, why="a state of the row")


def _prefixed_booleans(w: Play) -> None:
    """"inactive users", "unverified accounts": a boolean column, false."""
    d = w.view
    for t in d.tokens.items:
        pre = re.match(r"^(?:in|un|non-?)(?P<rest>[a-z]{4,})$", t.low)
        if w.held(t) or t.kind != "word" or pre is None:
            continue
        for cm in d.linker.columns(pre.group("rest"), in_play(d) or None)[:1]:
            if _info(d, cm.table, cm.column).family == "boolean" and pre.group("rest") in cm.column.lower():
                cond = Filter(column=f"{cm.table}.{cm.column}", operator="=", value=False, provenance=t.text)
                w.take_free(t.start, t.end, Edit.add("filters", cond), why="a yes/no column, negated")


def _current(w: Play) -> None:
    """"current contract rows", "still employed", "former employees": the end date is NULL (or not)."""
    d = w.view
    for m in _STATE.finditer(d.prompt):
        if not w.open(m.start(), m.start() + len(m.group("cur") or m.group("gone") or m.group("former"))):
            continue
        if m.group("gone") and not m.group("verb"):
            continue  # "no longer" alone: no longer what?
        cur = (m.group("cur") or "").lower()
        if cur in ("active", "open") and not m.group("verb") and (
                re.match(r"\s*(?:,|and\b|or\b|/)", d.prompt[m.end():]) or re.search(r"(?:,|\band|\bor|/)\s*$", d.prompt[: m.start()])):
            continue  # "open and closed accounts", "active or frozen": one of several states, not the end date alone
        end = m.end()
        noun = re.match(r"\s+([A-Za-z_]\w*)(?:\s+(?:records?|rows?|entries|lines?|history))?\b", d.prompt[end:])
        end_column = _end_column(d, _noun_table(d, noun.group(1)) if noun else None)
        if end_column is None:
            continue
        former = bool(m.group("former") or m.group("gone"))  # "no longer with us": the end date is filled
        owner = owner_table(d.catalog, end_column)
        if noun and owner == named_table(d, noun.group(1)) and not any(
                c.score >= 0.9 for c in d.linker.columns(noun.group(1), [owner])[:1]):  # fmt: skip
            end += noun.end()  # "current contract rows": the rows of the table with the end date ("current wage":
            #                    the wage column, asked for, stays the output's)
        cond = Filter(column=end_column, operator="is_not_null" if former else "is_null",
                      provenance=d.prompt[m.start() : end])  # fmt: skip
        w.take_free(m.start(), end, Edit.add("filters", cond), why="current or former rows")


def anti_join(d: View, table: str, words: str) -> list[Edit]:
    """"products never ordered": base rows with no row in ``table`` (outer joins, then its key is NULL).

    The event's date column may be filled on every row of ``table``, so it says nothing about the
    rows that have no match; the missing match is what the request means.
    """
    info = d.catalog.table(table)
    key = info.primary_key[0] if info.primary_key else info.columns[0].name
    cond = Filter(column=f"{table}.{key}", operator="is_null", provenance=words)
    return [Edit.set("preserve_base", True), Edit.add("anti_tables", table), Edit.add("filters", cond)]


def _predicate(d: View, spans: list[_Mention], s: _Mention) -> bool:
    """'who were terminated' / 'terminated employees': an event word used as a yes/no property of the row."""
    prev = re.search(r"(?<![A-Za-z'])([A-Za-z']++)\W*$", d.prompt[: s.start])
    prev_word = prev.group(1).lower() if prev else ""
    if prev_word in ("was", "were", "is", "are", "been", "be", "being", "who", "that", "which", "got", "get", "have",
                     "has", "had", "already"):  # fmt: skip
        return True
    nxt = next((x for x in spans if x.start >= s.end), None)
    adjective = nxt is not None and isinstance(nxt.m, TableMatch) and not d.prompt[s.end : nxt.start].strip()
    return adjective and prev_word in ("", "all", "the", "any", "show", "list", "find", "get", "me", "of")


def _noun_table(d: View, word: str) -> str | None:
    """Which table a noun names, or whose column it names ("current wage": the wages' rows)."""
    columns = [c.table for c in d.linker.columns(word, in_play(d) or None)[:1] if c.score >= 0.9]
    return named_table(d, word) or (columns[0] if columns else None)


def _end_column(d: View, said: str | None = None) -> str | None:
    """The one nullable date column that marks a row's end (termination_date, end_date, closed_at...): of the
    table ``said`` (the rows "current" is said of) when it has one, else of the first table in play that has."""
    for table in [*([said] if said else []), *in_play(d)]:
        info = d.catalog.table(table)
        ends = [c.name for c in info.columns if c.family in TEMPORAL_FAMILIES and _END_COLUMN.search(c.name)]
        if len(ends) == 1:
            return f"{table}.{ends[0]}"
    return None


# ------------------------------------------------------------------------------------------------
# 5b. two dates of a row compared in words

#: a date column that holds when something was due (what "late" and "on time" compare with)
_DEADLINE = re.compile(r"(?:^|_)(?:due|deadline|expected|promised|scheduled|target|planned)(?:_|$)", re.I)
_TIMING = re.compile(
    r"\s+(?:(?P<late>late|overdue|after\s+(?:the\s+)?deadline|past\s+(?:the\s+)?deadline)"
    r"|(?P<ontime>on\s+time|in\s+time|by\s+the\s+deadline|before\s+the\s+deadline)|(?P<early>early|ahead\s+of\s+time))\b"
    r"|\s+(?P<cmp>after|later\s+than|past|before|earlier\s+than|on\s+or\s+before|by|no\s+later\s+than)\s+"
    r"(?:the\s+|its\s+|their\s+)?(?=[a-z])"
    r"|\s+(?:on\s+)?the\s+same\s+(?:day|date)(?P<same>)"
    r"|\s+(?P<gap>more\s+than|over|at\s+least|less\s+than|under|within|fewer\s+than)\s+(?P<n>\d+|[a-z]+)\s+"
    r"(?P<unit>days?|weeks?|months?|years?)\s+(?P<rel>after|of|from)\s+(?:the\s+|its\s+|their\s+)?(?=[a-z])",
    re.I,
)
_CMP_OP = {"after": ">", "later than": ">", "past": ">", "before": "<", "earlier than": "<", "on or before": "<=",
           "by": "<=", "no later than": "<="}  # fmt: skip
_SAME_AS = re.compile(r"\s+(?:as\s+(?:the\s+|its\s+|their\s+)?|(?:that|when|on\s+which)\s+(?=[a-z])|(?=(?:it|they|being)\s))",
                      re.I)  # fmt: skip
_BEING = re.compile(r"(?:(?:it|they)\s+(?:(?:was|were|got|had)\s+)?|being\s+)?", re.I)


#: words before a condition that make it a value shown for each row ("a column saying whether ...", "flag if ...")
_FLAG_LEAD = re.compile(r"\b(?:whether|if|flag(?:ged|s)?|indicat(?:e|es|ing|or)|say(?:s|ing)?|show(?:s|ing)?|"
                        r"mark(?:s|ing)?|true|false)\b[^.;:!?]{0,60}$", re.I)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _participle(word: str) -> bool:
    """An irregular past participle ("paid", "done", "sent", "written"): the verb of an event, like "-ed"."""
    return any(word in getInflection(lemma, "VBN") for lemma in getLemma(word, "VERB") if lemma != word)


def two_dates(d: View) -> list[Claim]:
    """Two dates of a row compared in words, after the verb of the first one's event: "invoices paid late" (the
    paid date after the table's one due date), "paid on time" (on or before it), "paid after the due date",
    "orders shipped the same day they were placed" (the row's own date), "shipped more than 3 days after the
    order date" / "within 2 days of ordering". The event names one date column of a table in play by its stem;
    the other date is named, or is the one deadline ("late", "on time") or the row's own date ("the same day"
    alone). Anything else is left alone (the words then make the plan fail)."""
    w = Play.of(d)
    for t in d.tokens.items:
        if t.kind != "word" or w.held(t) or not (t.low.endswith("ed") or _participle(t.low)):
            continue
        first = verb_column_of(d, t.low, w.in_play())
        m = _TIMING.match(d.prompt, t.end)
        if first is None or m is None or _FLAG_LEAD.search(d.prompt, back(t.start), t.start):
            continue  # "a column saying whether they were paid late": a yes/no value of each row, not a filter
        table = first.split(".", 1)[0]
        end = m.end()
        other: str | None
        if m.group("late") or m.group("ontime") or m.group("early"):
            other, op = _deadline(d, table, first), (">" if m.group("late") else "<=" if m.group("ontime") else "<")
        elif m.group("cmp"):
            other, end = _date_named(d, table, first, end)
            op = _CMP_OP[" ".join(m.group("cmp").lower().split())]
        elif m.group("same") is not None:
            said = _SAME_AS.match(d.prompt, end)
            if said is not None:
                other, end = _date_named(d, table, first, said.end())
            else:
                other = f"{table}.{c}" if (c := _own_date(d, table)) else None
            op = "="
        else:
            other, end = _date_named(d, table, first, end)
            op = "gap"
        if other is None or other == first or not w.open(t.start, end):
            continue
        words = d.prompt[t.start : end]
        cond: Condition
        if op == "gap":
            n = int(m.group("n")) if m.group("n").isdigit() else NUMBER_WORDS.get(m.group("n").lower()) or (
                1 if m.group("n").lower() in ("a", "an", "one") else None)  # fmt: skip
            if n is None or m.group("rel").lower() != "after" and m.group("gap").lower() != "within":
                continue  # "more than 3 days of ordering" says no direction
            if _family(d, first) != "date" or _family(d, other) != "date":
                continue  # between two times, "a day" may be 24 hours or a change of date: left to durations
            unit = m.group("unit").lower().rstrip("s")
            gap = " ".join(m.group("gap").lower().split())
            sym = {"more than": ">", "over": ">", "at least": ">=", "less than": "<", "under": "<", "fewer than": "<",
                   "within": "<="}[gap]  # fmt: skip
            bound = f"{other} + INTERVAL {n} {unit.upper()}"  # a calendar step: "a month after" 31 Jan is 29 Feb
            low = f"{first} >= {other} AND " if sym in ("<", "<=") else ""  # "within 3 days of": not before it
            cond = ExpressionCondition(expression=f"{low}{first} {sym} {bound}", provenance=words)
        elif op == "=" and _family(d, first) != "date" or op == "=" and _family(d, other) != "date":
            cond = ExpressionCondition(expression=f"CAST({first} AS DATE) = CAST({other} AS DATE)", provenance=words)
        else:
            cond = Filter(column=first, operator=cast(Operator, op), value_column=other, provenance=words)
        w.take_free(t.start, end, Edit.add("filters", cond), why="two dates of the row compared")
    return w.claims


def verb_column_of(d: View, word: str, tables: list[str]) -> str | None:
    """The one date column an event verb names among ``tables`` (see :func:`dates.verb_column`)."""
    from datamorph.planner.recognizers.dates import verb_column

    return verb_column(d, word, tables) if tables else None


def _family(d: View, column: str) -> str:
    table, col = column.split(".", 1)
    return _info(d, table, col).family


def _deadline(d: View, table: str, first: str) -> str | None:
    """The one date column of ``table`` holding when something was due (due_on, promised_at...)."""
    hits = [c.name for c in d.catalog.table(table).columns
            if c.family in TEMPORAL_FAMILIES and _DEADLINE.search(c.name) and f"{table}.{c.name}" != first]  # fmt: skip
    return f"{table}.{hits[0]}" if len(hits) == 1 else None


def _own_date(d: View, table: str) -> str | None:
    from datamorph.planner.recognizers.dates import main_date_column

    try:
        return main_date_column(d.catalog.table(table), table)
    except PlanError:
        return None


def _date_by_words(d: View, table: str, words: list[str]) -> str | None:
    """The one date column of ``table`` whose name's words are ``words`` but for words that only say it is a
    date ("due date" → due_on, "order day" → ordered_at is not: the words must be the same)."""
    from datamorph.planner.recognizers.dates import _GENERIC_TIME

    said = [x for x in words if x not in _GENERIC_TIME]
    if not said or said == words and len(words) > 1:
        return None
    hits = [c.name for c in d.catalog.table(table).columns if c.family in TEMPORAL_FAMILIES
            and [x for x in c.name.lower().split("_") if x and x not in _GENERIC_TIME] == said]  # fmt: skip
    return f"{table}.{hits[0]}" if len(hits) == 1 else None


def _date_named(d: View, table: str, first: str, at: int) -> tuple[str | None, int]:
    """The date column of ``table`` named at ``at``: by its words ("the due date", "order date", "due_on"), by
    an event verb ("ordering", "they were placed", "being ordered": the verb's column, or the row's own date for
    a verb of making the row); and where its words end."""
    from datamorph.planner.recognizers.dates import _EVENT_VERBS

    toks = [x for x in d.tokens.items if x.start >= at][:3]
    for n in range(len(toks), 0, -1):
        if any(x.kind != "word" for x in toks[:n]):
            continue
        phrase = d.prompt[toks[0].start : toks[n - 1].end]
        hits = [c for c in d.linker.columns(phrase, [table])[:1] if c.score >= 0.8]
        if hits and _info(d, hits[0].table, hits[0].column).family in TEMPORAL_FAMILIES:
            return f"{hits[0].table}.{hits[0].column}", toks[n - 1].end
        if (col := _date_by_words(d, table, [x.low for x in toks[:n]])) is not None:
            return col, toks[n - 1].end  # "the due date" of due_on: the words of the name but the kind of date
    being = _BEING.match(d.prompt, at)
    verb = [x for x in d.tokens.items if x.start >= being.end()][:1] if being else []
    if verb and verb[0].kind == "word" and verb[0].start == being.end():  # type: ignore[union-attr]
        v = verb[0]
        col = verb_column_of(d, v.low, [table])
        if col is None and v.low in _EVENT_VERBS | {"creating", "placing", "making", "ordering"}:
            own = _own_date(d, table)
            col = f"{table}.{own}" if own else None
        if col is not None:
            return col, v.end
    return None, at


# ------------------------------------------------------------------------------------------------
# 6. restatements and "only"

_ONLY = frozenset({"only", "just", "solely", "exclusively"})
_RESTATE = frozenset({"i.e", "ie", "namely", "meaning"})  # "(i.e. end_date is null)": the condition said again
_SKIP = frozenset({"the", "those", "these", "rows", "records", "ones", "entries", "lines", "that", "which", "who", "are",
                   "is", "were", "was", "with", "whose", "where", "having"})  # fmt: skip


def restated(d: View) -> list[Claim]:
    """A condition stated twice ("current contract rows (end_date is null)") is kept once."""
    seen: dict[str, int] = {}
    out: list[Condition] = []
    for f in d.filters:
        key = f.model_dump_json(exclude={"provenance"})
        if key in seen:
            first = out[seen[key]]
            if f.provenance and first.provenance and f.provenance not in first.provenance:
                out[seen[key]] = first.model_copy(update={"provenance": f"{first.provenance}; {f.provenance}"})
            continue
        seen[key] = len(out)
        out.append(f)
    if len(out) == len(d.filters):
        return []
    return [Claim((), (Edit.set("filters", out),), over=True, why="a condition stated twice is kept once")]


_ONLY_LEAD = re.compile(r"\b(?:using|use|considering|consider|counting|count|taking|take|looking\s+at|look\s+at|"
                        r"based\s+on|keeping|keep|from|among|out\s+of|restricted\s+to|restrict(?:ing)?\s+to|"
                        r"limited\s+to|for)\s+$", re.I)  # fmt: skip


def _only_lead(w: Play, only: Token) -> None:
    """ "Using only current contract rows", "considering only web orders": the verb that frames "only"."""
    lead = _ONLY_LEAD.search(w.view.prompt, back(only.start), only.start)
    if lead and w.open(lead.start(), only.start):
        w.take_free(lead.start(), only.start, why="frames 'only'")


#: The steps whose words are row conditions ("only" next to them restates them).
CONDITION_STEPS = ("filters.", "filter_states.")


def only(d: View) -> list[Claim]:
    """"only cancelled orders", "current salaries only": "only" restricts to the condition next to it.

    A condition is what the row-filter steps claimed (not the illustrations they set aside) or what
    ``dates`` recorded in ``condition_spans``.
    """
    w = Play.of(d)
    items = d.tokens.items
    spans = [*claimed_by(d, CONDITION_STEPS, but=("filters.examples",)), *d.condition_spans]
    cond = {t.start for a, b in spans for t in d.tokens.overlapping(a, b)}
    for i, t in enumerate(items):
        if w.held(t) or t.low not in _ONLY | _RESTATE:
            continue
        for step in (1, -1) if t.low in _ONLY else (1,):
            j, skipped = i + step, 0
            while 0 <= j < len(items) and skipped <= 2 and (items[j].kind == "punct" or items[j].low in
                                                            _SKIP or w.explained(items[j]) and items[j].start not in cond
                                                            and items[j].kind == "word"):  # fmt: skip
                j, skipped = j + step, skipped + 1
            if 0 <= j < len(items) and items[j].start in cond:
                w.take_free(t.start, t.end, over=True, why="restricts to the condition next to it")
                if step == 1:
                    _only_lead(w, t)
                break
    return w.claims

"""Row states and restatements: boolean columns ("active products"), event dates used as verbs
("terminated", "not terminated"), "current"/"still employed"/"former" on a table with an end date,
a condition stated twice, and "only" next to a condition ("Using only current contract rows").

Steps of the row filters (see :mod:`filters`): ``booleans`` runs before the NULL tests and values,
``states``, ``restated`` and ``only`` after them.
"""

from __future__ import annotations

import re

from lemminflect import getInflection

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.linking import ColumnMatch, TableMatch
from datamorph.planner.recognizers.common import in_play
from datamorph.planner.recognizers.filter_base import NEGATION as _NEGATION
from datamorph.planner.recognizers.filter_base import Mention as _Mention
from datamorph.planner.recognizers.filter_base import Play, claimed_by
from datamorph.planner.recognizers.filter_base import info as _info
from datamorph.planner.recognizers.filter_base import mention_spans as _mention_spans
from datamorph.planner.refs import owner_table
from datamorph.planner.text import Token
from datamorph.spec import Condition, Filter

_STATE = re.compile(
    r"\b(?P<cur>still|currently|current|active|ongoing)(?:\s+(?P<verb>[a-z]+ed|active|open|working|"
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
_NOT_SET = re.compile(r"(?:\b(?P<neg>isn't|aren't|wasn't|weren't|not)\s*)?(?P<set>\b(?:be\s+)?(?:set|marked|flagged|"
                      r"configured|switched)\s+(?:to|as|on)\s+)?$", re.I)  # fmt: skip


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
        neg = _NOT_SET.search(d.prompt, back(a), a)
        if neg is not None and neg.group("set") and w.open(neg.start(), a):
            a = neg.start()  # "is NOT set to auto-archive", "set to auto-archive": the verb (and negation) are the test's
        negated = negated or bool(neg and neg.group("neg"))
        if re.match(r"^(?:in|un|non[- ]?)", word) and not re.match(r"^(?:is_)?(?:in|un|non)", s.m.column.lower()):
            negated = not negated
        cond = Filter(column=f"{s.m.table}.{s.m.column}", operator="=", value=not negated, provenance=d.prompt[a:b])
        w.take_free(a, b, Edit.add("filters", cond), why="a yes/no column")
    return w.claims


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
        if not w.open(m.start(), m.start() + len(m.group("cur") or m.group("former"))):
            continue
        end_column = _end_column(d)
        if end_column is None:
            continue
        former = bool(m.group("former"))
        end = m.end()
        noun = re.match(r"\s+([A-Za-z_]\w*)(?:\s+(?:records?|rows?|entries|lines?|history))?\b", d.prompt[end:])
        if noun and owner_table(d.catalog, end_column) in [t.table for t in d.linker.tables(noun.group(1))[:1] if t.score >= 0.85]:
            end += noun.end()  # "current contract rows": the rows of the table with the end date
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


def _end_column(d: View) -> str | None:
    """The one nullable date column that marks a row's end (termination_date, end_date, closed_at...)."""
    for table in in_play(d):
        info = d.catalog.table(table)
        ends = [c.name for c in info.columns if c.family in TEMPORAL_FAMILIES and _END_COLUMN.search(c.name)]
        if len(ends) == 1:
            return f"{table}.{ends[0]}"
    return None


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

"""Glue: verbs and idioms that restate what a table holds, around words other recognizers grounded.

Runs late, after the conditions are grounded, and consumes a phrase only when what it leans on
was understood by someone else:

- where someone or something is: "customers who live in Berlin", "accounts based in Paris",
  "people working in Engineering", "how many contractors work there" (the value after the
  preposition must already be a condition, or the verb must sit in a per-group count);
- the activity a row records: "orders that were bought in store", "products sold", "items
  purchased", "units sold per category" (right after the table or measure they restate). A
  date right after such a verb is a condition on *when it happened*: if the date was grounded
  in a column that records something else (``created_at``...), the verb is left unused and the
  request is refused rather than answered about the wrong date;
- "on file", "on record", "in the system", "in our database", "ever recorded", "of all time"
  after a table or measure.

Nothing is added to the spec: a phrase whose neighbour nobody understood stays unused, so the
request is still refused. A claim takes the phrase's words no claim explains yet; "understood by
someone else" is read from the words' ``used`` flag (explained, shared or not).
"""

from __future__ import annotations

import re

from datamorph.planner.claims import Claim, Pending, View
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.recognizers.common import explained
from datamorph.planner.refs import column_refs
from datamorph.planner.text import Token
from datamorph.spec import Filter

_REL = r"(?:(?:who|that|which|whom)\s+)?(?:(?:is|are|was|were|have\s+been|has\s+been|had\s+been|currently|still|all)\s+){0,4}"
_PLACE = re.compile(
    rf"\b{_REL}(?P<v>live|lives|living|lived|reside|resides|residing|resident|based|located|situated|"
    r"headquartered|work|works|working|worked|employed|staffed|sitting|sit|sits)\s+"
    r"(?P<p>in|at|out\s+of|from|within|for|there|here)\b",
    re.IGNORECASE,
)
_ACTIVITY = re.compile(
    rf"\b{_REL}(?:(?:got|get|being|been|be)\s+)?(?P<v>bought|purchased|sold|placed|paid\s+for|ordered|made|spent)\b"
    r"(?P<via>\s+(?:in|at|through|via|on|over|by)(?=\s))?",
    re.IGNORECASE,
)
_RECORDED = re.compile(
    r"\b(?:(?:that|which|who)\s+)?(?:(?:is|are|was|were|we\s+have|we've\s+got|we\s+hold|we\s+keep)\s+){0,4}"
    r"(?:on\s+(?:file|record|the\s+books)|in\s+(?:the|our)\s+(?:system|database|db|records|warehouse|books)|"
    r"ever\s+(?:recorded|logged|seen|registered|made|placed|paid|earned|received|given|sold|bought)|"
    r"ever(?=\s*(?:[,.;:?!]|$|for\b|per\b|by\b|in\s+each\b))|to\s+date|of\s+all\s+time|on\s+our\s+books)\b",
    re.IGNORECASE,
)
_DATE_AFTER = re.compile(r"^\s*(?:in|during|on|since|before|after|between|from|this|last|over|within)\b", re.I)
_CREATION = re.compile(r"(?:^|_)(?:created|creation|added|inserted|updated|modified|loaded|signup|registered)(?:_|$)",
                       re.IGNORECASE)  # fmt: skip


_AGENT = re.compile(rf"\b{_REL}(?P<v>[A-Za-z]{{3,}}(?:ed|en))\s+by\b", re.IGNORECASE)


def agent(d: View) -> list[Claim]:
    """"patients insured by Medicover", "books published by Penguin", "teams managed by Ito": a participle
    naming the column (insurer, publisher, manager) of the condition right after "by" restates it."""
    p = Pending(d)
    for m in _AGENT.finditer(d.prompt):
        if not p.free(m.start("v"), m.end("v")) or not _next_used(p, m.end()):
            continue
        stem = re.sub(r"(?:ed|en)$", "", m.group("v").lower())
        after = re.sub(r"^(?:the|a|an)\s+", "", d.prompt[m.end() :].lstrip().lower())
        conds = [f for f in d.filters if isinstance(f, Filter) and f.provenance and after.startswith(f.provenance.lower())]
        if any(_same_stem(stem, c.lower()) for _, c in column_refs(conds, [])):
            _take(p, m.start(), m.end(), "the column of the condition after it, said as a verb")
    return p.claims


def _same_stem(stem: str, column: str) -> bool:
    """A word of the column's name grows from the verb's stem: insur(ed) ~ insurer, own(ed) ~ owner."""
    return len(stem) >= 3 and any(part.startswith(stem) and len(part) - len(stem) <= 3
                                  or len(stem) >= 4 and stem.startswith(part) and len(part) >= 4
                                  for part in column.split("_"))  # fmt: skip


def place(d: View) -> list[Claim]:
    """"customers who live in Berlin", "how many contractors work there"."""
    p = Pending(d)
    for m in _PLACE.finditer(d.prompt):
        if not p.free(m.start("v"), m.end("v")):
            continue
        prep = m.group("p").lower()
        if prep in ("there", "here"):
            if not (d.group_by or d.aggregations):
                continue
        elif not _next_used(p, m.end()):
            continue
        _take(p, m.start(), m.end(), "where someone or something is")
    return p.claims


def activity(d: View) -> list[Claim]:
    """"orders that were bought in store", "products sold" (right after what they restate)."""
    p = Pending(d)
    for m in _ACTIVITY.finditer(d.prompt):
        if not p.free(m.start("v"), m.end("v")) or not _prev_used(p, m.start()):
            continue
        end = m.end("v")
        if m.group("via"):
            if not _next_used(p, m.end()):
                continue
            end = m.end()
        if _DATE_AFTER.match(d.prompt[m.end("v") :]) and _other_date(d, m.end("v")):
            continue
        _take(p, m.start(), end, "the activity a row records")
    return p.claims


def recorded(d: View) -> list[Claim]:
    """"on file", "in the system", "ever recorded", "of all time" after a table or measure."""
    p = Pending(d)
    for m in _RECORDED.finditer(d.prompt):
        if p.free(m.start(), m.end()) and _prev_used(p, m.start()):
            _take(p, m.start(), m.end(), "what the table holds anyway")
    return p.claims


_UNIT = re.compile(r"\b(?:(?:measured|expressed|given|shown)\s+)?in\s+(?:(?:whole|full)\s+)?(?P<u>seconds|secs|minutes|mins|hours|"
                   r"hrs|days|weeks|months|years|dollars|usd|euros|eur|cents|percent|kg|kilograms|grams|meters|km)\b",
                   re.IGNORECASE)  # fmt: skip
_UNIT_NAMES = {"seconds": {"sec", "secs", "second", "seconds", "s"}, "secs": {"sec", "secs", "seconds"},
               "minutes": {"min", "mins", "minute", "minutes"}, "mins": {"min", "mins", "minutes"},
               "hours": {"hr", "hrs", "hour", "hours", "h"}, "hrs": {"hr", "hrs", "hours"},
               "days": {"day", "days", "d"}, "weeks": {"week", "weeks", "wk"}, "months": {"month", "months", "mo"},
               "years": {"year", "years", "yr", "yrs"}, "dollars": {"usd", "dollar", "dollars"},
               "usd": {"usd"}, "euros": {"eur", "euro", "euros"}, "eur": {"eur"}, "cents": {"cents", "cent"},
               "percent": {"pct", "percent", "percentage"}, "kg": {"kg"}, "kilograms": {"kg"},
               "grams": {"g", "grams"}, "meters": {"m", "meters"}, "km": {"km"}}  # fmt: skip


def units(d: View) -> list[Claim]:
    """"average time on page in seconds" where the column is ``time_on_page_sec``: the unit the column
    already records is restated, nothing to convert. Any other unit stays unread (refused). Runs late."""
    p = Pending(d)
    for m in _UNIT.finditer(d.prompt):
        if not p.free(m.start(), m.end()) or not _prev_used(p, m.start()):
            continue
        names = _UNIT_NAMES[m.group("u").lower()]
        prev = [t for t in _tokens(d) if t.end <= m.start()][-1]
        cols = _columns_near(d, prev)
        if cols and all(names & set(c.lower().split("_")) for c in cols):
            _take(p, m.start(), m.end(), "the unit the column records")
    return p.claims


def _columns_near(d: View, prev: Token) -> list[str]:
    """The source columns of the draft element whose words end at ``prev``."""
    found: list[str] = []
    for el in [*d.aggregations, *d.columns, *d.derived, *d.filters, *d.order_by]:
        prov = getattr(el, "provenance", None) or ""
        if not prov or not d.prompt[: prev.end].rstrip().lower().endswith(prov.strip().lower()):
            continue
        found += [c for t, c in column_refs([el]) if t]
    return found


_ONLY_WORDS = frozenset({"only", "just", "solely"})
_SENTENCE_PUNCT = frozenset({".", ";", "!", "?", "\n"})


def only(d: View) -> list[Claim]:
    """"user_id and username only" (closing an output list); "Only countries with at least 100 customers."
    (opening a sentence that states a condition): "only" restricts to what its neighbours already say.
    Runs after the output list; the claim builds on what the neighbours' claims explain (``over``)."""
    p = Pending(d)
    items = d.tokens.items
    for i, t in enumerate(items):
        if explained(p, t) or t.low not in _ONLY_WORDS:
            continue
        nxt = items[i + 1] if i + 1 < len(items) else None
        prev = items[i - 1] if i > 0 else None
        if (nxt is None or nxt.text in _SENTENCE_PUNCT) and prev is not None and explained(p, prev) \
                and prev.kind == "word":
            if any(_covers(c.provenance, d.prompt, prev.start, prev.end) for c in d.columns):
                p.take(t.start, t.end, over=True, why="'only' closing the output list")
            continue
        before = items[i - 2] if i > 1 else None  # "..., but only the wards with 5 beds": a clause of its own
        if prev is None or prev.text in _SENTENCE_PUNCT or prev.low == "but" and (before is None or before.kind == "punct"):
            end = next((k.start for k in items[i + 1 :] if k.text in _SENTENCE_PUNCT), len(d.prompt))
            sentence = d.prompt[t.end : end].lower()
            conds = [c.provenance for c in [*d.filters, *d.having] if c.provenance]
            if any(c.strip().lower() in sentence for c in conds):
                p.take(t.start, t.end, over=True, why="'only' opening a stated condition")
    return p.claims


def _covers(provenance: str | None, prompt: str, start: int, end: int) -> bool:
    """The word at [start, end) is the last word of an output item's provenance."""
    if not provenance:
        return False
    return prompt[:end].rstrip().lower().endswith(provenance.strip().lower())


def _tokens(d: View) -> list[Token]:
    return [t for t in d.tokens.items if t.kind in ("word", "number", "quoted", "date")]


def _take(p: Pending, start: int, end: int, why: str) -> None:
    """Claim the words lying in [start, end) that no claim explains yet (the others are what it leans on)."""
    spans = tuple((t.start, t.end) for t in p.view.tokens.within(start, end) if not explained(p, t))
    if spans:
        p.claims.append(Claim(spans, why=why))


def _next_used(p: Pending, pos: int) -> bool:
    """The first word after ``pos`` that is not a filler was understood by another recognizer."""
    for t in _tokens(p.view):
        if t.start < pos:
            continue
        if t.low in ("the", "a", "an", "our", "their", "its", "his", "her"):
            continue
        return explained(p, t)
    return False


def _prev_used(p: Pending, pos: int) -> bool:
    """The last content word before ``pos`` was understood (a table, column or measure)."""
    before = [t for t in _tokens(p.view) if t.end <= pos]
    for t in reversed(before):
        if t.kind == "word" and t.low in STOPWORDS and not explained(p, t):
            continue
        return explained(p, t) and t.kind == "word"
    return False


def _other_date(d: View, pos: int) -> bool:
    """A date condition right after ``pos`` grounded in a column that records something else (creation...)."""
    window = d.prompt[pos : pos + 60]
    for f in d.filters:
        prov = getattr(f, "provenance", None) or ""
        column = getattr(f, "column", None) or ""
        if prov and prov.strip() and prov.strip().lower() in window.lower() and _CREATION.search(column.split(".")[-1]):
            return True
    return False

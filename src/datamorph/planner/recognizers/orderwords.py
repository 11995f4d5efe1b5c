"""How an order and its tie-breakers are said: the one reader that the sorted output (``ordering``), the
windows (``windows``: ranks, row numbers, running totals) and the row picked per key (``dedupe``) share.

An order key is a column and a direction. After the main key a request may give the next one:

- after "then": "sorted by hire_date, then the smallest employee_id" (:func:`then_key`);
- as a tie-breaker, the tie words before the column ("ties broken by the lower id", "ties: lowest id",
  "breaking ties with id", "on a tie, the higher id", "tie-break by the smallest id") or after it ("id
  breaking ties", "the lower id winning ties", "with id as the tie-breaker", "lowest id on ties");
- next to a clause that says two rows are equal on the keys before: "for the same day, on order_id",
  "when two were hired the same day, the higher employee_id comes first", "where last names match, on
  first_name", "equal sums ordered by employee_id ascending", "by order_date for equal amounts".

The direction is said by a word before the column (lower, smallest, earliest → ascending; higher,
largest, newest → descending) or after it (ascending, descending); said by neither, the key ascends.
A main key may also be said "in <column> order" (:func:`in_order`), and its direction after it
(:func:`direction_after`: "descending", "from highest to lowest", "newest first").

This module finds the words; which column they name each recognizer decides (``resolve``: a column's
phrase to its reference, or None), since each looks columns up in its own tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Resolve = Callable[[str], "str | None"]

#: the words before a column that say which way it is ordered (the row with the lower value first, ...)
ASC_WORDS = frozenset({"lower", "lowest", "smaller", "smallest", "earlier", "earliest", "older", "oldest", "least",
                       "fewest", "minimum"})  # fmt: skip
DESC_WORDS = frozenset({"higher", "highest", "larger", "largest", "bigger", "biggest", "greater", "greatest", "later",
                        "latest", "newer", "newest", "most recent", "maximum"})  # fmt: skip
ADJ = (r"lower|lowest|smaller|smallest|earlier|earliest|older|oldest|least|fewest|minimum|"
        r"higher|highest|larger|largest|bigger|biggest|greater|greatest|later|latest|newer|newest|most\s+recent|maximum")
#: a direction said after a column ("amount descending", "credit_limit from highest to lowest", "newest first")
DESC = (r"desc(?:ending)?|in\s+descending\s+order|(?:from\s+)?(?:highest|largest|biggest|most|high|newest|latest)\s+"
        r"(?:to|first|->)\s*(?:lowest|smallest|least|low|oldest|earliest)?|(?:highest|largest|biggest|newest|latest|"
        r"most\s+recent)\s+first|reversed?|z\s*-\s*a")  # fmt: skip
ASC = (r"asc(?:ending)?|in\s+ascending\s+order|(?:from\s+)?(?:lowest|smallest|least|low|oldest|earliest)\s+(?:to|first|->)"
       r"\s*(?:highest|largest|biggest|most|high|newest|latest)?|(?:lowest|smallest|oldest|earliest)\s+first|a\s*-\s*z|"
       r"alphabetical(?:ly)?|in\s+alphabetical\s+order")  # fmt: skip
_DIRECTION = re.compile(rf"\s*+,?\s*+(?:(?P<desc>{DESC})|(?P<asc>{ASC}))(?:\s+order)?\b", re.I)

_W = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?"
#: words that end a column's phrase (after its first word)
_STOP = (r"(?:and|then|when|whenever|if|for|on|in|as|with|first|last|wins?|winning|ahead|comes?|goes|go|ranks?|is|are|"
         r"asc|desc|ascending|descending|breaking|breaks|being|to|per|by|where|so|but|or|the|a|an|among|"
         r"settling|deciding|resolving|splitting|ties?|should|gets?|takes?)\b")  # fmt: skip
_POST = r"asc(?:ending)?|desc(?:ending)?|in\s+(?:ascending|descending)\s+order"
#: the key after its lead words: "[the] [lower] <column>"
_KEY_AFTER = rf"(?:\bthe\s+)?(?:\b(?P<dir>{ADJ})\s+)?\b(?P<col>{_W}(?:\s+(?!{_STOP}){_W}){{0,2}})"
#: the key before the words that make it a tie-breaker: "[with] [the] [lower] <column> [descending]"
_KEY_BEFORE = (rf"(?:\b(?:with|and|using)\s+)?(?:\b(?:by|on)\s+)?(?:\b(?:the|a)\s+)?(?:\b(?P<dir>{ADJ})\s+)?"
               rf"\b(?!{_STOP})(?P<col>{_W}(?:\s+(?!{_STOP}){_W})?)(?:\s+(?P<post>{_POST}))?")  # fmt: skip
_INTRO = r"(?:by|on|using|ordered\s+by|sorted\s+by|order\s+by|sort\s+by|go\s+by|take|use|prefer|pick|keep|put)"
#: a clause saying rows are equal on the keys before: "for the same day", "when two were hired the same day",
#: "where last names match", "among invoices due the same day", "for equal amounts"
_SAME = (r"(?:{preps})\s+(?:[A-Za-z_][\w'/-]*\s+){0,6}?"
         r"(?:(?:the\s+)?same|equal|identical|tied|matching|a\s+tie|match(?:es)?|coincide|clash)\b"
         rf"(?:\s+(?!(?:by|on|then|and|use|take|the|a|sorted|ordered|ranked)\b)(?!{_STOP}){_W})?")

_SAME_LEAD = _SAME.replace("{preps}", "for|among|within|on|with|between|across|when|whenever|where|if")
_SAME_AFTER = _SAME.replace("{preps}", "for|among|within|between|across|when|whenever|where|if")

_LEAD_FORMS = [re.compile(p + _KEY_AFTER, re.I) for p in (
    # "ties broken by", "with ties settled on", "ties are resolved using", "ties decided in favour of"
    r"\b(?:(?:with|and)\s+)?(?:(?:any|the|all)\s+)?ties?\s+(?:(?:are|get|being|to\s+be|should\s+be|will\s+be)\s+)?"
    r"(?:broken|settled|resolved|decided|split)\s+(?:by|on|using|with|via|in\s+favou?r\s+of)\s+",
    # "ties go to"
    r"\b(?:(?:with|and)\s+)?ties?\s+go(?:es|ing)?\s+to\s+",
    # "breaking ties by", "break any ties with"
    r"\b(?:(?:and|while)\s+)?break(?:ing|s)?\s+(?:(?:the|any|all)\s+)?ties\s+(?:by|on|with|using|via)\s+",
    # "ties: lowest id", "(ties -> the higher id)", "on a tie: take the newest"
    r"\b(?:(?:on|for|any)\s+)?(?:a\s+)?ties?\s*+(?::|->|→|=>)\s*+(?:(?:go(?:es)?\s+to|use|take|keep|pick|choose|"
    r"prefer|by|on)\s+)?",
    # "on a tie the higher id", "if tied, take the lower id", "in case of ties, by id"
    r"\b(?:on\s+(?:a\s+)?ties?|in\s+(?:the\s+)?case\s+of\s+(?:a\s+)?ties?|if\s+tied|when\s+tied|if\s+there\s+is\s+a\s+tie|"
    r"for\s+ties)\s*+,?\s*+(?:(?:go\s+by|take|keep|use|pick|choose|prefer|by|on)\s+)?",
    # "tie-break by the smallest id", "tiebreaker: id", "tie breaker is the lower id"
    r"\btie[-\s]?break(?:ers?|s|ing)?\s*+(?::|->|=)?\s*+(?:(?:by|on|with|using|is)\s+)?",
    # "if two share the same time, take the higher id", "when more than one arrived on one date, prefer the smaller id"
    r"\b(?:if|when|whenever)\s+(?:two|several|more\s+than\s+one|both|multiple)\b(?:\s++[\w'/-]+){0,8}?,?\s+"
    r"(?:take|keep|use|pick|choose|prefer)\s+(?:only\s+)?",
    # "for the same day, on order_id", "and, among invoices due the same day, by invoice_id", "when two were hired
    # the same day, the higher employee_id comes first", "where last names match, on first_name"
    rf"\b(?:(?:and|but)\s*+,?\s*+)?{_SAME_LEAD}(?:\s*+,\s*+(?:then\s+)?(?:{_INTRO}\s+)?|\s+(?:then\s+)?{_INTRO}\s+|"
    rf"\s+(?=the\s+(?:{ADJ})\b))",
    # "equal sums ordered by", "rows with the same date are sorted on", "equal limits by"
    rf"\b(?:(?:with|and|but)\s+)?(?:(?:rows|records|entries|ones|those|items)\s+(?:with|having|sharing|on)\s+"
    rf"(?:the\s+)?same|equal|identical|tied|matching)\s+{_W}(?:\s+(?!(?:are|get|by|on|ordered|sorted|ranked)\b){_W})?"
    r"\s+(?:(?:are|get|being|to\s+be|should\s+be)\s+)?(?:(?:ordered|sorted|ranked|broken|settled|listed|decided|"
    r"resolved|arranged|numbered|split)\s+)?(?:by|on|using)\s+",
    # "employees hired the same day sorted by", "orders placed on the same date are ordered on"
    rf"\b(?:(?:and|but)\s+)?(?:[A-Za-z_][\w'-]*\s+){{1,4}}?(?:the\s+)?same\s+{_W}\s+(?:(?:are|get|being|should\s+be)\s+)?"
    r"(?:ordered|sorted|ranked|listed|numbered|arranged|put)\s+(?:by|on)\s+",
)]  # fmt: skip
_TAIL = re.compile(rf"\s+(?P<post>{_POST})\b|\s+(?:(?:comes?|goes|go|ranks?|is|are|should\s+come|being|placed|"
                   r"listed|kept)\s+)?(?:first|ahead|on\s+top|earlier|wins?)\b", re.I)  # fmt: skip
_BEFORE_FORMS = [re.compile(_KEY_BEFORE + p, re.I) for p in (
    # "employee_id breaking ties", "the lower id winning ties", "with transaction_id deciding any ties"
    r"\s+(?:breaking|breaks|break|settling|settles|settle|deciding|decides|decide|resolving|resolves|resolve|"
    r"splitting|splits|winning|wins|win)\s+(?:(?:the|any|all|a)\s+)?ties?\b",
    # "with transaction_id as the tie-breaker", "account_id as the secondary key"
    r"\s+as\s+(?:(?:the|a|an)\s+)?(?:tie[-\s]?breaker|tie[-\s]?break|secondary\s+(?:sort\s+)?(?:key|sort|order|column)|"
    r"second\s+(?:sort\s+)?key|second\s+sort)\b",
    # "lowest appointment_id on ties", "the smaller id ahead on ties", "order_id first when tied"
    r"\s+(?:(?:comes?|goes|going|ranks?|ranked|placed|put|listed|is|are|being)\s+)?(?:(?:first|ahead|on\s+top|earlier|"
    r"wins?)\s+)?(?:(?:on|in|for|at|upon)\s+(?:a\s+)?ties?|(?:if|when)\s+tied|in\s+(?:the\s+)?case\s+of\s+(?:a\s+)?ties?)"
    r"\b",
    # "by order_date for equal amounts", "then order_id when the dates are equal"
    rf"\s+{_SAME_AFTER}",
)]  # fmt: skip
_LEAD = re.compile(r"\s*+[,;]?\s*+(?:and\s+)?(?:,\s*+)?", re.I)
_COMMA = re.compile(rf"\s*+,\s*+{_KEY_AFTER}", re.I)
_CLAUSE_END = re.compile(r"\s*+(?:[,.;:)]|$)")
_THEN = re.compile(rf"\s*+,?\s*+(?:and\s+)?(?:,\s*+)?then\s+(?:(?:by|on)\s+)?{_KEY_AFTER}", re.I)
_IN_ORDER = re.compile(rf"\bin\s+(?:the\s+)?(?:(?:(?P<pre>ascending|descending|increasing|decreasing|reverse)\s+)?"
                       rf"order\s+of\s+(?:the\s+)?(?P<col2>{_W}(?:\s+(?!{_STOP}){_W}){{0,2}})|"
                       rf"(?!(?:ascending|descending|alphabetical|reverse|time|date|chronological|random|any|that|this|"
                       rf"which|the\s+same|sort|natural|insertion)\b)(?P<col>{_W}(?:\s+(?!{_STOP}){_W}){{0,2}})\s+order\b"
                       r"(?!\s+(?:of|by|to|from)\b))", re.I)  # fmt: skip
_WORD = re.compile(rf"\s*+{_W}")
_NEXT_WORD = re.compile(r"\b[A-Za-z_]")
#: a word that speaks of ties
TIE_WORD = re.compile(r"\b(?:ties?|tied|tie[-\s]?break(?:ers?|s|ing)?|tiebreak(?:ers?|s)?)\b", re.I)


@dataclass(frozen=True)
class Key:
    """One order key as the request says it: the words [start, end), the column's words, the reference
    ``resolve`` gave them (None: they name no column), and the direction."""

    start: int
    end: int
    words: str
    column: str | None
    direction: str  # "asc" | "desc"
    said: bool = True  # the direction was said (not the default)


def direction_of(word: str) -> str | None:
    """"lower" → asc, "newest" → desc; None for a word that says no direction."""
    w = re.sub(r"\s+", " ", word.lower().strip())
    return "asc" if w in ASC_WORDS else "desc" if w in DESC_WORDS else None


def direction_after(text: str, pos: int) -> tuple[str, int] | None:
    """The direction said right after ``pos`` ("descending", ", from highest to lowest", "newest first") and
    where its words end."""
    m = _DIRECTION.match(text, pos)
    if m is None:
        return None
    return ("desc" if m.group("desc") else "asc"), m.end()


def ties(text: str, start: int, stop: int, resolve: Resolve, free: Callable[[int, int], bool] | None = None) -> list[Key]:
    """The tie-breakers said in ``text[start:stop]`` whose words are ``free``, in order, none overlapping another
    (those that name a column first); one whose words name no column has ``column`` None (the caller refuses
    it: a tie-break on a column it cannot find)."""
    found: list[Key] = []
    for rx in (*_LEAD_FORMS, *_BEFORE_FORMS):
        read = _after if rx in _LEAD_FORMS else _before
        pos = start
        while (m := rx.search(text, pos, stop)) is not None:
            k = read(text, m, resolve)
            found.append(k)
            if k.column is not None and (free is None or free(k.start, k.end)):
                pos = m.end()
            else:  # it may start too early (on a word of the key before): from the next word
                nxt = _NEXT_WORD.search(text, m.start() + 1)
                pos = nxt.start() if nxt else stop
    found.sort(key=lambda k: (k.start, -(k.end - k.start)))
    out: list[Key] = []
    for named in (True, False):
        for k in found:
            if (k.column is not None) == named and (free is None or free(k.start, k.end)) and not any(
                    o.start < k.end and k.start < o.end for o in out):  # fmt: skip
                out.append(k)
    return sorted(out, key=lambda k: k.start)


def first_tie(text: str, start: int, stop: int) -> int | None:
    """Where the first tie-break clause in ``text[start:stop]`` starts (whatever column it names)."""
    starts = [m.start() for rx in (*_LEAD_FORMS, *_BEFORE_FORMS) for m in [rx.search(text, start, stop)] if m]
    return min(starts) if starts else None


def inside_tie(text: str, pos: int) -> bool:
    """``pos`` lies inside a tie-break clause that starts before it ("equal sums *ordered by* id": that sort verb
    orders the tied rows only)."""
    lo = max(0, pos - 120)
    return any(m.start() < pos < m.end() for rx in _LEAD_FORMS for m in rx.finditer(text, lo, min(len(text), pos + 160)))


def tie_at(text: str, pos: int, resolve: Resolve) -> Key | None:
    """A tie-breaker (or a "then" key) said right after ``pos`` (past a comma, a semicolon or "and")."""
    lead = _LEAD.match(text, pos)
    at = lead.end() if lead else pos
    then = then_key(text, pos, resolve)
    if then is not None:
        return then
    for k in ties(text, at, min(len(text), at + 200), resolve):
        return k if not text[at : k.start].strip() else None
    return None


def then_key(text: str, pos: int, resolve: Resolve) -> Key | None:
    """"..., then the smallest customer_id", "and then by order_id descending": the next key said with "then"."""
    m = _THEN.match(text, pos)
    if m is None:
        return None
    k = _after(text, m, resolve)
    return k if k.column is not None else None


def in_order(text: str, start: int = 0, stop: int | None = None) -> list[tuple[int, int, str, int, str | None]]:
    """"in transaction_date order", "in order of hire date", "in descending order of amount": (start, end, the
    column's words, where they start, the direction said before them or None)."""
    out = []
    for m in _IN_ORDER.finditer(text, start, len(text) if stop is None else stop):
        g = "col" if m.group("col") else "col2"
        pre = (m.group("pre") or "").lower()
        said = "desc" if pre in ("descending", "decreasing", "reverse") else "asc" if pre else None
        out.append((m.start(), m.end(), m.group(g), m.start(g), said))
    return out


def comma_key(text: str, pos: int, resolve: Resolve) -> Key | None:
    """"..., transaction_id desc" right after a key: the next key after a comma, when the column ends the clause
    or a direction follows it."""
    m = _COMMA.match(text, pos)
    if m is None:
        return None
    k = _after(text, m, resolve)
    if k.column is None or not (k.said or _CLAUSE_END.match(text, k.end)):
        return None
    return k


# ------------------------------------------------------------------------------------------------


def _after(text: str, m: re.Match[str], resolve: Resolve) -> Key:
    """A key whose column is said after its lead words: the longest run of the words that names a column."""
    words = m.group("col").split()
    adj = m.group("dir")
    col_start = m.start("col")
    for n in range(len(words), 0, -1):
        phrase = " ".join(words[:n])
        ref = resolve(phrase)
        if ref is None and adj and n == len(words):  # "first name": no direction, a column's words
            both = resolve(f"{adj} {phrase}")
            if both is not None:
                return _tail(text, m.start(), _end_of(text, col_start, n), f"{adj} {phrase}", both, None)
        if ref is not None:
            return _tail(text, m.start(), _end_of(text, col_start, n), phrase, ref, adj)
    return Key(m.start(), m.end(), m.group("col"), None, "asc", False)


def _before(text: str, m: re.Match[str], resolve: Resolve) -> Key:
    """A key whose column comes before the words that make it a tie-breaker (the column's last words that name
    a column, when no direction word precedes them)."""
    words = m.group("col").split()
    adj = m.group("dir")
    post = m.group("post")
    direction = direction_of(adj) if adj else ("desc" if post and post.lower().startswith("desc") else "asc")
    said = bool(adj or post)
    for n in range(len(words), 0, -1) if not adj else (len(words),):
        phrase = " ".join(words[len(words) - n :])
        ref = resolve(phrase)
        if ref is not None:
            start = m.start() if n == len(words) else text.rfind(phrase, m.start("col"), m.end("col"))
            return Key(start, m.end(), phrase, ref, direction or "asc", said)
    return Key(m.start(), m.end(), m.group("col"), None, direction or "asc", said)


def _end_of(text: str, start: int, n: int) -> int:
    """Where the first ``n`` words from ``start`` end."""
    pos = start
    for _ in range(n):
        w = _WORD.match(text, pos)
        if w is None:
            break
        pos = w.end()
    return pos


def _tail(text: str, start: int, end: int, phrase: str, ref: str, adj: str | None) -> Key:
    """The key with the words after its column that belong to it ("descending", "comes first", "wins")."""
    t = _TAIL.match(text, end)
    post = t.group("post") if t else None
    direction = direction_of(adj) if adj else ("desc" if post and post.lower().startswith("desc") else "asc")
    return Key(start, t.end() if t else end, phrase, ref, direction or "asc", bool(adj or post))

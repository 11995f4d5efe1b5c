"""Explicit non-constraints: words that confirm a default and change nothing.

Runs right after ``target``, before anything else reads the request, so the
words it consumes are not mistaken for conditions. One step per kind of phrase
(in ``rules.RULES``, in this order); each claim adds a short note to ``notes`` and
nothing to the spec:

- "regardless of status", "whatever its status", "all statuses and channels", "any channel";
- "including terminated employees", "terminated people included", "counting everyone ever hired",
  "cancelled ones too" (no filter on that state);
- "ignore currency differences", "ignore discounts" (a concept the request uses nowhere else);
- "no need to round", "don't round", "leave the titles just as they appear (no re-casing)",
  "otherwise keep the rows as they are", "as is";
- "(so 'PARIS' and 'Paris' are different values)": values keep their case (the default);
- "both as integers" after date parts (year/month... are integers already);
- list bullets ("- order id") are layout, not a minus sign;
- "columns, in this order: ..." (the list keeps its order; "order" names no table here);
- "Billing team here.", "The logistics team wants ..." (who asks, at the start of a sentence);
- "Two steps: (1) ...; (2) ...", "Step 1: ... Step 2: ...", "a) ... b) ...": the numbering of a request
  written as steps (layout: the clauses between the markers are read as usual).

A phrase is consumed only if its meaning is "do not filter / do not transform":
if the request names a value of the column elsewhere ("all statuses except
cancelled"), the phrase is left for the other recognizers.

:func:`example_spans` finds illustrations ("(e.g. 2024-03-01)", "for example 'web'",
"such as 'web'" in a format description) that ``dates`` and ``filters`` must not
turn into conditions.
"""

from __future__ import annotations

import functools
import re

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.planner.claims import Claim, Edit, Pending, View, claim
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mention_span, mentions

_W = r"[A-Za-z_][\w-]*"
_NW = rf"(?!(?:and|or|nor|except|but|in|for|from|with|where|who|that|which|whose|by|per)\b){_W}"
_NOUNS = rf"(?P<nouns>{_NW}(?:\s+{_NW})?(?:\s*(?:,|and|or|&|/)\s*{_NW}(?:\s+{_NW})?){{0,3}})"
_DET = r"(?:(?:the|its|their|his|her|an?|of)\s+)?"
_REGARDLESS = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        rf"\b(?:regardless|irrespective|independent(?:ly)?)\s+of\s+{_DET}{_NOUNS}",
        rf"\b(?:whatever|whichever|no\s+matter\s+(?:what|which|the)?)\s*{_DET}{_NOUNS}",
        rf"\b(?:(?:across|of|in|for|including|include|incl\.?)\s+)?all\s+(?:the\s+)?{_NOUNS}",
        rf"\b(?:of|in|across|for)\s+any\s+{_NOUNS}",
    )
)
_EVERY_ROW = re.compile(rf"(?:\b(?:include|including|keep|keeping|count|counting|cover|covering)\s+(?:every|all)|"
                        rf"(?:^|\b(?:show|list|give|return|get|fetch|want|need)\s+(?:me\s+)?)every)\s+"
                        rf"(?:(?:the|single)\s+)?(?P<t>{_W})", re.IGNORECASE)  # fmt: skip
_EXCEPTION = re.compile(r"^\s*,?\s*(?:except|but|other\s+than|excluding|apart\s+from|besides|save)\b", re.IGNORECASE)
_INCLUDED_BEFORE = re.compile(
    rf"\b(?:including|include|incl\.?|plus|even|counting)\s+(?:(?:the|those|any|people|ones|employees|staff)\s+)*"
    rf"(?:(?:who|that|which)\s+(?:(?:were|was|are|is|have|has|had|been|got|already)\s+)*)?(?P<state>{_W})",
    re.IGNORECASE,
)
_INCLUDED_AFTER = re.compile(
    rf"\b(?P<state>{_W})(?:\s+(?P<noun>{_W}))?\s+(?:(?:are|is|should\s+be|must\s+be|can\s+be)\s+)?"
    rf"(?:included|too|as\s+well|also\s+count|count\s+too)\b",
    re.IGNORECASE,
)
_EVERYONE = re.compile(rf"\b(?:counting|count|including|include)\s+(?:everyone|everybody|all|anyone)\s+"
                       rf"(?:(?:who\s+(?:was|were|has\s+been|had\s+been)|ever)\s+)*(?P<state>{_W})",
                       re.IGNORECASE)  # fmt: skip
_IGNORE = re.compile(
    rf"\b(?:ignore|ignoring|disregard|disregarding|never\s+mind|don't\s+worry\s+about|do\s+not\s+worry\s+about)\s+"
    rf"(?:the\s+|any\s+)?(?P<what>{_W}(?:\s+(?!differences|variations|mismatch){_W})?)(?P<diff>\s+(?:differences|variations|mismatch(?:es)?))?",
    re.IGNORECASE,
)
_NO_TRANSFORM = re.compile(
    r"\(?\s*\b(?:no\s+(?:rounding|re-?casing|recasing|trimming|conversion|formatting|transformation)(?:\s+(?:is\s+)?"
    r"(?:needed|required|necessary|wanted))?|(?:don't|do\s+not|no\s+need\s+to)\s+(?:round|re-?case|trim|convert|"
    r"reformat|change\s+the\s+case)(?:\s+(?:it|them|anything|the\s+\w+))?|without\s+rounding|unrounded|"
    r"rounding\s+(?:is\s+)?not\s+(?:needed|required|necessary))\b\s*\)?",
    re.IGNORECASE,
)
_AS_THEY_ARE = re.compile(
    rf"\b(?:(?:otherwise|else)\s*,?\s+)?(?:keep|leave|return|show)\s+(?:the\s+|all\s+|other\s+|these\s+|those\s+)?"
    rf"(?P<what>(?:{_W}\s+){{0,2}}?)(?:{_W}\s+)?(?:exactly\s+|just\s+)?"
    rf"(?:as\s+(?:they\s+are|it\s+is|is|they\s+were|they\s+appear|they\s+come)(?:\s+(?:stored|in\s+the\s+\w+))?|as-is|"
    rf"unchanged|untouched|intact|verbatim)\b"
    rf"|\bas[\s-]+is\b|\bas\s+they\s+are(?:\s+stored)?\b|\bexactly\s+as\s+stored\b|\bunchanged\b|\bverbatim\b",
    re.IGNORECASE,
)
_AS_INT = re.compile(r",?\s*\b(?:(?:both|each|all)\s+)?(?:as|being)\s+(?:an?\s+)?(?:integers?|ints?|whole\s+numbers?)\b",
                     re.IGNORECASE)  # fmt: skip
_DATE_PARTS = frozenset({"year", "years", "month", "months", "day", "days", "quarter", "quarters", "week", "weeks",
                         "hour", "hours", "minute", "minutes", "weekday", "dow", "yr", "mon"})  # fmt: skip
_PART_FILLER = frozenset({"and", "or", "both", "each", "the", "as", "separate", "columns", "column", "fields",
                          "numbers", "number", "values", "two", "three", "of", "its", "their", "a", "an", "in"})  # fmt: skip
_PART_OF = re.compile(r"\s+(?:of|from|in)\s+(?:the\s+|each\s+|its\s+|their\s+)?[A-Za-z_]+(?:\s+[A-Za-z_]+)?\s*,?\s*$",
                      re.IGNORECASE)  # fmt: skip
_BULLET = re.compile(r"(?:^|\n|:)\s*(?P<b>[-*•])\s+", re.MULTILINE)
_EXAMPLE = re.compile(
    r"\(\s*(?:e\.?\s?g\.?|for\s+example|for\s+instance|such\s+as|like|say|eg)\s*[:,]?\s*[^()]*\)"
    r"|\b(?P<cue>e\.\s?g\.|for\s+example|for\s+instance|such\s+as)\s*[:,]?\s*(?P<lits>(?:'[^']*'|\"[^\"]*\"|"
    r"\d{4}-\d{2}(?:-\d{2})?|-?\d[\d,.]*|etc\.?)(?:\s*(?:,|or|and|/)\s*(?:'[^']*'|\"[^\"]*\"|\d{4}-\d{2}(?:-\d{2})?"
    r"|-?\d[\d,.]*|etc\.?))*)",
    re.IGNORECASE,
)
_FORMAT_CONTEXT = re.compile(r"\b(?:format\w*|represent\w*|written|shown|displayed?|labell?ed|label|string|text|"
                             r"looks?\s+like|in\s+the\s+form|spelled|styled?)\b", re.IGNORECASE)  # fmt: skip
def example_spans(d: Draft | View) -> list[tuple[int, int]]:
    """Character spans of illustrations in the request: not conditions."""
    return list(_examples(d.prompt))


@functools.lru_cache(maxsize=64)
def _examples(prompt: str) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for m in _EXAMPLE.finditer(prompt):
        if m.group("cue") and m.group("cue").lower().startswith("such"):
            sentence = re.split(r"[.;!?\n]", prompt[: m.start()])[-1]
            if not _FORMAT_CONTEXT.search(sentence):
                continue
        out.append((m.start(), m.end()))
    return tuple(out)


def in_example(d: Draft | View, start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in example_spans(d))


# -- the steps, in the order they run ------------------------------------------------------------


def bullets(d: View) -> list[Claim]:
    """List bullets ("- order id") are layout, not a minus sign."""
    return [claim(m.start("b"), m.end("b"), over=True, why="a list bullet") for m in _BULLET.finditer(d.prompt)]


def regardless(d: View) -> list[Claim]:
    """"regardless of status", "whatever its status", "all statuses and channels": no filter on them."""
    p = Pending(d)
    _regardless(p)
    return p.claims


def every_row(d: View) -> list[Claim]:
    """"include every order", "show me every customer": all rows (the table's name is left to sources)."""
    p = Pending(d)
    for m in _EVERY_ROW.finditer(d.prompt):
        if any(t.score >= 0.85 for t in d.linker.tables(m.group("t"))[:1]):
            _consume(p, m.start(), m.start("t"), f"all rows ('{m.group(0)}')")
    return p.claims


def included(d: View) -> list[Claim]:
    """"including terminated employees", "terminated people included", "counting everyone ever hired"."""
    p = Pending(d)
    _included(p)
    return p.claims


def ignored(d: View) -> list[Claim]:
    """"ignore currency differences", "ignore discounts": a concept not applied (and not used elsewhere)."""
    p = Pending(d)
    _ignore(p)
    return p.claims


def no_transform(d: View) -> list[Claim]:
    """"no need to round", "don't round", "(no re-casing)"."""
    p = Pending(d)
    for m in _NO_TRANSFORM.finditer(d.prompt):
        _consume(p, m.start(), m.end(), f"no transformation ('{m.group(0).strip(' ()')}')")
    return p.claims


def as_is(d: View) -> list[Claim]:
    """"leave the titles just as they appear", "otherwise keep the rows as they are", "as is"."""
    p = Pending(d)
    for m in _AS_THEY_ARE.finditer(d.prompt):
        what = (m.groupdict().get("what") or "").strip()
        if what and _names_condition(d, m.start("what"), m.end("what")):
            continue
        _consume(p, m.start(), m.end(), f"values kept as stored ('{m.group(0).strip()}')")
    return p.claims


# "(so 'PARIS' and 'Paris' are different values)": two spellings of one value that differ only in case,
# said to stay apart — values compared as stored, which is what every comparison does
_CASE_EXAMPLE = re.compile(
    r"\(\s*(?:so|i\.?e\.?|e\.?g\.?|meaning|that\s+is)?\s*,?\s*(?P<a>'[^'()]{1,60}'|\"[^\"()]{1,60}\")\s+(?:and|vs\.?|versus)\s+"
    r"(?P<b>'[^'()]{1,60}'|\"[^\"()]{1,60}\")\s+(?:are|count\s+as|stay|remain|are\s+kept\s+as)\s+(?:two\s+)?"
    r"(?:different|distinct|separate)(?:\s+(?:values|names|entries|items))?\s*\)", re.I)  # fmt: skip
_FOLDS_CASE = re.compile(r"\bcase[-\s]insensitive|\bignor(?:e|es|ing)\s+(?:the\s+)?(?:upper[-\s/]*(?:and\s+|or\s+)?lower[-\s]*)?"
                         r"case|\b(?:upper|lower)[-\s]?cas(?:e|ed|ing)\b", re.I)  # fmt: skip


def case_examples(d: View) -> list[Claim]:
    """"(so 'PARIS' and 'Paris' are different values)": an example that values keep their case; not when
    the request also folds case somewhere (then the example may say something else)."""
    p = Pending(d)
    if _FOLDS_CASE.search(d.prompt):
        return []
    for m in _CASE_EXAMPLE.finditer(d.prompt):
        a, b = m.group("a")[1:-1], m.group("b")[1:-1]
        if a != b and a.lower() == b.lower():
            _consume(p, m.start(), m.end(), f"values compared as stored, case kept ({m.group(0)})")
    return p.claims


_REQUESTER = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:(?:the|our|my)\s+)?(?:(?!(?:per|by|each|every|of|for|in|with|and|or|from|all)\b)"
    r"[A-Za-z][\w&-]*\s+){0,2}?(?:team|department|dept|group|office|desk|"
    r"squad|unit)\s+(?:(?P<here>here)\b\s*[.!]?|(?:wants?|needs?|would\s+like|is\s+asking\s+for|asked\s+for|requests?|"
    r"requested)\b)",
    re.IGNORECASE,
)


#: "For the supplier review, I need ...", "for our quarterly board deck we need ...": what the result is for
_PURPOSE = re.compile(
    r"(?:^|(?<=[.!?\n,;]))\s*(?:(?:hi|hello|hey)\s*[,!]?\s*)?for\s+(?:the|our|my|a|an|this|next|tomorrow's|next\s+week's)\s+"
    r"(?:[A-Za-z][\w-]*\s+){0,3}?(?:review|meeting|deck|presentation|audit|dashboard|newsletter|mailing|campaign|"
    r"workshop|offsite|retro|retrospective|check-?in|sync|standup|board)"
    r"(?=\s*(?:[,.;:]|(?:i|we|you)\b|please\b|can\b|could\b|would\b))", re.IGNORECASE)  # fmt: skip


def requester(d: View) -> list[Claim]:
    """"Billing team here.", "The logistics team wants ...": who asks, at the start of a sentence — not a
    department or a plan of the warehouse that happens to share the word (the rest of the sentence is read).
    "For the supplier review, I need ...": what the result is for, said before the request."""
    p = Pending(d)
    for rx in (_REQUESTER, _PURPOSE):
        for m in rx.finditer(d.prompt):
            start = m.start() + len(m.group()) - len(m.group().lstrip())
            _consume(p, start, m.end(), f"who asks, or what for, not planned ('{m.group().strip()}')")
    return p.claims


_IN_ORDER = re.compile(r"\b(?:columns?|fields?)\s*,?\s*(?P<o>in\s+(?:this|that|the\s+following|the\s+same|exactly\s+this)"
                       r"\s+order|in\s+the\s+order\s+(?:given|listed|shown|below|above))\b", re.IGNORECASE)


def column_order(d: View) -> list[Claim]:
    """"Columns, in this order: ...", "fields in the order listed": the output list keeps the order it is
    written in; the word "order" here names no table and sorts no rows."""
    p = Pending(d)
    for m in _IN_ORDER.finditer(d.prompt):
        _consume(p, m.start("o"), m.end("o"), "columns in the order listed")
    return p.claims


def as_integers(d: View) -> list[Claim]:
    """"year and month, both as integers": date parts are integers already."""
    p = Pending(d)
    _as_integers(p)
    return p.claims


# ------------------------------------------------------------------------------------------------


def _overlapping(rx: re.Pattern[str], text: str) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        out.append(m)
        pos = m.start() + 1
    return out


# a step marker opens a clause: at the start, or after ':' ';' ',' '.' or 'then' / 'and' / 'finally'
_STEP_MARK = re.compile(r"(?:^|(?<=[:;,.\n])|(?<=\bthen)|(?<=\band)|(?<=\bfinally))\s*(?P<m>\(\s*(?P<n>[1-9]|[a-h])\s*\)|"
                        r"(?P<n2>[1-9]|[a-h])\)(?=\s)|\bstep\s+(?P<n3>[1-9])\s*[:.)-]?(?=\s))", re.IGNORECASE)  # fmt: skip
_STEP_COUNT = re.compile(r"(?:^|(?<=[.;:!?\n]))\s*(?P<h>(?:(?:in|it\s+takes|there\s+are|do\s+(?:it|this)\s+in)\s+)?"
                         r"(?P<n>two|three|four|five|six|[2-6])\s+steps?\s*(?::|\.|-|,)?)", re.IGNORECASE)  # fmt: skip


def steps(d: View) -> list[Claim]:
    """"Three steps: (1) count ...; (2) keep ...; (3) rank ...", "step 1: ... step 2: ...": the numbering of a
    request written as steps is layout. Only a run of markers numbered 1, 2, 3... (or a, b, c...) in order, each
    opening a clause, is read so: a lone "(1)" ("worst first (1)") or "(2 decimals)" is left to the others.
    A heading that counts the steps ("In three steps:") is taken with them when the count agrees."""
    run: list[tuple[re.Match[str], str]] = []
    for m in _STEP_MARK.finditer(d.prompt):
        label = (m.group("n") or m.group("n2") or m.group("n3")).lower()
        index = int(label) if label.isdigit() else ord(label) - ord("a") + 1
        if index == len(run) + 1:
            run.append((m, label))
        elif index == 1 and len(run) < 2:
            run = [(m, label)]
    if len(run) < 2:
        return []
    p = Pending(d)
    for m, label in run:
        _consume(p, m.start("m"), m.end("m"), f"step {label}: layout")
    head = _STEP_COUNT.search(d.prompt, 0, run[0][0].start("m") + 1)
    if head is not None:
        word = head.group("n").lower()
        count = int(word) if word.isdigit() else NUMBER_WORDS.get(word, 0)
        if count == len(run):
            _consume(p, head.start("h"), head.end("h"), f"a request in {count} steps: layout")
    return p.claims


def _consume(p: Pending, start: int, end: int, note: str) -> None:
    """Claim [start, end) with its note, when no claim (nor this step's own) holds its words."""
    if p.free(start, end):
        p.take(start, end, Edit.add("notes", note), why=note)


def _spans(d: View) -> list[tuple[int, int, TableMatch | ColumnMatch | ValueMatch]]:
    """The mentions with where they are in the request (the linker's offsets)."""
    return [(*span, m) for m in mentions(d) if (span := mention_span(d, m)) is not None]


def _names_condition(d: View, start: int, end: int) -> bool:
    """A value or a number inside [start, end): a real condition, not a no-op."""
    if any(t.kind in ("number", "quoted", "date") for t in d.tokens.starting(start, end)):
        return True
    if re.search(r"\b(?:only|not|no|except|excluding|without)\b", d.prompt[start:end], re.IGNORECASE):
        return True
    return any(isinstance(m, ValueMatch) and s < end and e > start for s, e, m in _spans(d))


def _columns_named(d: View, start: int, end: int) -> list[tuple[int, int, ColumnMatch]] | None:
    """The column mentions that make up [start, end) (joined by and/or/commas); None if anything else is there."""
    found = [(s, e, m) for s, e, m in _spans(d) if isinstance(m, ColumnMatch) and s >= start and e <= end]
    if not found:
        return None
    rest = d.prompt[start:end]
    for s, e, _ in sorted(found, reverse=True):
        rest = rest[: s - start] + " " * (e - s) + rest[e - start :]
    if re.sub(r"\b(?:and|or|the|its|their)\b|[,&/\s]", "", rest, flags=re.IGNORECASE):
        return None
    return found


def _valued_elsewhere(d: View, cols: list[tuple[int, int, ColumnMatch]], start: int, end: int) -> bool:
    keys = {(m.table, m.column) for _, _, m in cols}
    return any(isinstance(m, ValueMatch) and (m.table, m.column) in keys and not (start <= s < end)
               for s, _, m in _spans(d))  # fmt: skip


def _regardless(p: Pending) -> None:
    d = p.view
    for m in (m for rx in _REGARDLESS for m in _overlapping(rx, d.prompt)):
        ns, ne = m.start("nouns"), m.end("nouns")
        # trim trailing words that are not column mentions ("all statuses and channels in 2024")
        cols = None
        while ne > ns:
            cols = _columns_named(d, ns, ne)
            if cols is not None:
                break
            cut = re.search(r"(?:\s*(?:,|and|or|&|/)\s*|\s+)[\w-]+$", d.prompt[ns:ne])
            if cut is None:
                break
            ne = ns + cut.start()
        if not cols or not p.free(m.start(), ne):
            continue
        if _EXCEPTION.match(d.prompt[ne:]) or _valued_elsewhere(d, cols, m.start(), ne):
            continue
        tail = re.match(r"\s+(?:it|they|he|she)\s+(?:has|have|had|is|are|was|were)\b", d.prompt[ne:], re.IGNORECASE)
        end = ne + (tail.end() if tail else 0)
        names = ", ".join(dict.fromkeys(m2.column for _, _, m2 in cols))
        _consume(p, m.start(), end, f"no filter on {names} (the request says '{d.prompt[m.start():end].strip()}')")


def _state_column(d: View, word: str) -> ColumnMatch | ValueMatch | None:
    """An event/state word: a date column ("terminated"), a boolean ("inactive") or a status value ("cancelled")."""
    low = word.lower()
    stem = re.sub(r"^(?:in|un|non-?)(?=[a-z]{4,})", "", low)
    for w in dict.fromkeys((low, stem)):
        for c in d.linker.columns(w)[:2]:
            fam = d.catalog.table(c.table).column(c.column).family
            if c.score >= 0.8 and (fam in TEMPORAL_FAMILIES and re.search(r"(?:ed|left|quit|gone)$", low)
                                   or fam == "boolean"):  # fmt: skip
                return c
    for v in d.linker.values(word)[:1]:
        if v.score >= 0.9 and not isinstance(v.value, bool):
            return v
    return None


def _included(p: Pending) -> None:
    d = p.view
    for rx, kind in ((_INCLUDED_BEFORE, "before"), (_INCLUDED_AFTER, "after"), (_EVERYONE, "everyone")):
        for m in rx.finditer(d.prompt):
            state = m.group("state")
            if not p.free(m.start(), m.end()):
                continue
            end = m.end()
            if kind == "everyone":
                hit = _state_column(d, state)
                if hit is None or not isinstance(hit, ColumnMatch):
                    continue
            else:
                hit = _state_column(d, state)
                if hit is None:
                    continue
                if kind == "after" and m.group("noun") and not _table_word(d, m.group("noun")):
                    continue
                if kind == "before":
                    nxt = re.match(rf"\s+(?:(?P<t>{_W})|ones)(?:\s+(?:too|as\s+well))?", d.prompt[end:], re.IGNORECASE)
                    if nxt and (nxt.group("t") is None or _table_word(d, nxt.group("t"))):
                        end += nxt.end()
                    elif isinstance(hit, ValueMatch) and not _owner_before(d, m.start(), hit.table):
                        continue  # "orders including laptops": a condition on what they contain
            what = hit.column
            _consume(p, m.start(), end, f"no filter on {what} (the request includes '{state}' rows)")


def _owner_before(d: View, pos: int, table: str) -> bool:
    """A mention of ``table`` (or of one of its columns) among the few words before ``pos``."""
    window = max(0, pos - 40)
    return any(isinstance(m, (TableMatch, ColumnMatch)) and m.table == table and window <= e <= pos + 1
               for _, e, m in _spans(d))  # fmt: skip


def _table_word(d: View, word: str) -> bool:
    if word.lower() in ("ones", "people", "rows", "records", "staff", "those", "too"):
        return True
    return any(t.score >= 0.85 for t in d.linker.tables(word)[:1])


def _ignore(p: Pending) -> None:
    d = p.view
    for m in _IGNORE.finditer(d.prompt):
        words = m.group("what").split()
        end = m.end() if m.group("diff") else m.start("what") + len(words[0])
        if not m.group("diff") and len(words) == 2:
            hits = d.linker.columns(m.group("what"))
            if hits and hits[0].text.lower() == m.group("what").lower():
                end = m.end("what")
        what_start = m.start("what")
        if not p.free(m.start(), end):
            continue
        if _FOLDS_CASE.match(d.prompt, m.start()):
            continue  # "ignoring case" folds case (a comparison without case): never a concept not applied
        if re.match(r"^\s*(?:where|whose|that|which|who|from|with|without|if|when|of|in)\b", d.prompt[end:], re.I):
            continue  # "ignore orders where ...": rows to drop, not a concept
        if any(isinstance(x, (ValueMatch, TableMatch)) and s < end and e > what_start for s, e, x in _spans(d)):
            continue
        stem = re.sub(r"(?:es|s)$", "", words[0].lower())[:6]
        rest = d.prompt[: m.start()] + " " + d.prompt[end:]
        if re.search(rf"\b{re.escape(stem)}", rest, re.IGNORECASE):
            continue  # the concept is used elsewhere in the request
        _consume(p, m.start(), end, f"'{d.prompt[m.start():end]}': nothing applied")


def _as_integers(p: Pending) -> None:
    d = p.view
    for m in _AS_INT.finditer(d.prompt):
        if not p.free(m.start(), m.end()):
            continue
        clause = re.split(r"[.;!?\n]", d.prompt[: m.start()])[-1]
        clause = _PART_OF.sub("", clause)  # "the year and month of the order date" → "the year and month"
        content = [w for w in re.findall(r"[A-Za-z]+", clause.lower()) if w not in _PART_FILLER]
        if content and content[-1] in _DATE_PARTS:
            _consume(p, m.start(), m.end(), "date parts are integers already")

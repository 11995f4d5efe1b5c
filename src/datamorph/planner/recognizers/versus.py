"""Rows compared with an average of their own rows: "subscriptions whose mrr is above the average mrr",
"products with an above-average price", "crew whose hourly rate is above the average hourly rate of their team".

The average is a window over the rows (``AVG(x) OVER ()``, or ``OVER (PARTITION BY key)`` when the group is
said through the row: "of their team", "in their region", "in each region"), and the comparison a
``qualify`` filter on it, so every row keeps its own columns. The slots:

- COMPARE := ROW-COLUMN [is|are|was|were] OP [the] [overall] FN [of [the|all]] [COLUMN] [GROUP]
           | OP-average ROW-COLUMN ("above-average price", "below average rating")
- OP := above | over | more than | greater/higher/bigger/larger than | exceeds (>), at least | at or above (>=),
        below | under | less/lower/smaller than (<), at most | at or below (<=)
- FN := average | mean | avg
- GROUP := (of|in|for|across|within) (its|their|the same|each|every) GROUP-WORDS

ROW-COLUMN is a number column of the rows (the one to three words before OP, after "whose", "with"...);
COLUMN, when said, must name a number column of the same rows (else the same column is averaged). Not read
when the sentence groups rows ("per", "by", "for each" outside the group of the comparison, a total or a
count): the rows compared are then groups, which the aggregates and the having recognizer read.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import STOPWORDS, lemmas, singular
from datamorph.planner.recognizers.partitions import _group_key
from datamorph.planner.recognizers.windows import _name, _State
from datamorph.planner.refs import split_column
from datamorph.spec import Filter, Operator, WindowColumn

_OPS: dict[str, Operator] = {
    "above": ">", "over": ">", "more than": ">", "greater than": ">", "higher than": ">", "bigger than": ">",
    "larger than": ">", "exceeds": ">", "exceed": ">", "exceeding": ">", "at least": ">=", "at or above": ">=",
    "below": "<", "under": "<", "less than": "<", "lower than": "<", "smaller than": "<", "at most": "<=",
    "at or below": "<=",
}  # fmt: skip
_OP = r"(?P<op>at\s+or\s+above|at\s+or\s+below|above|over|more\s+than|greater\s+than|higher\s+than|bigger\s+than|" \
      r"larger\s+than|exceeds?|exceeding|at\s+least|below|under|less\s+than|lower\s+than|smaller\s+than|at\s+most)"
_STOP = r"(?:of|in|for|across|within|and|or|per|by|the|their|its|with|where|who|which|that|sorted|ordered)\b"
_COL = rf"(?P<col>(?!{_STOP})[A-Za-z_]\w*(?:\s+(?!{_STOP})[A-Za-z_]\w*){{0,2}}?)"
_GROUP = (r"(?:\s+(?:of|in|for|across|within)\s+(?P<owner>its|their|the\s+same|each|every)\s+"
          r"(?P<group>[A-Za-z_]\w*(?:\s+(?!(?:and|or|with|by|per|for|in|of|sorted|ordered)\b)[A-Za-z_]\w*)?))?")
_END = r"(?=\s*(?:[,.;:!?()]|$|\b(?:and|or|with|sorted|ordered|showing|listing|including|where|who|which|then)\b))"
_VERSUS = re.compile(rf"\b{_OP}\s+(?:the\s+)?(?:overall\s+|global\s+|company[\s-]wide\s+)?(?P<fn>average|mean|avg)"
                     rf"(?:\s+(?:of\s+(?:the\s+|all\s+)?)?{_COL})?{_GROUP}{_END}", re.I)  # fmt: skip
_ADJECTIVE = re.compile(r"\b(?P<op>above|below)[\s-]average\s+(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)", re.I)
_LEAD_SKIP = frozenset({"is", "are", "was", "were", "be", "been", "being", "a", "an", "the", "whose", "with", "where",
                        "that", "which", "who", "have", "has", "had", "having", "its", "their", "of"})  # fmt: skip
#: the sentence groups the rows: the comparison is of groups (aggregates and having read it)
_GROUPED = re.compile(r"\b(?:per|by|for\s+each|for\s+every|total|totals|sum|count|number\s+of|how\s+many)\b", re.I)


def rule(v: View) -> list[Claim]:
    """A row's number compared with the average of its rows, overall or in its group (see the module docstring)."""
    s = _State.of(v)
    for m in _VERSUS.finditer(v.prompt):  # (the first one read: a request compares a column with its average once)
        if s.free(m.start(), m.end()) and _versus(s, m):
            break
    for m in _ADJECTIVE.finditer(v.prompt):
        if s.free(m.start(), m.end()) and _adjective(s, m):
            break
    return s.done()


#: groups kept against the average of the groups: "keeping channels above the average", "only the weeks below the
#: average of those weekly counts", "(stores) whose total is below the average"
_GROUP_VERSUS = re.compile(
    rf"(?:\b(?:keep(?:s|ing)?|retain(?:s|ing)?|only|show(?:s|ing)?|list(?:s|ing)?|with|whose)\s+(?:only\s+)?(?:the\s+)?"
    rf"(?:(?P<noun>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+)??(?:(?:that|which|who)\s+)?(?:(?:are|is|were|was|come\s+in|came\s+in)\s+)?)?"
    rf"\b{_OP}\s+(?:the\s+)?(?:overall\s+)?(?P<fn>average|mean|avg)(?P<rest>(?:\s+[A-Za-z0-9_'-]+){{0,6}}?){_END}",
    re.I)  # fmt: skip
#: the words after "the average" that only say which average: of the groups' totals ("of those twelve monthly totals")
_OF_GROUPS = frozenset({"of", "those", "these", "the", "all", "them", "their", "its", "total", "totals", "sum", "sums",
                        "count", "counts", "figure", "figures", "value", "values", "amount", "amounts", "revenue",
                        "result", "results", "daily", "weekly", "monthly", "quarterly", "yearly", "annual", "group",
                        "groups", "one", "ones", "across", "over", "every", "each", "month", "months", "week", "weeks",
                        "day", "days", "year", "years", "quarter", "quarters"})  # fmt: skip


def groups(v: View) -> list[Claim]:
    """The groups whose one measure is above (below...) the average of the groups' measures: a window average over
    the groups and a qualify filter on it ("weeks below the average of those weekly counts")."""
    s = _State.of(v)
    if len(v.aggregations) != 1 or not v.group_by:
        return []
    alias = v.aggregations[0].alias
    for m in _GROUP_VERSUS.finditer(v.prompt):
        start = m.start() if m.group("noun") is None or _names_group(s, m.group("noun")) else m.start("op")
        if not s.free(start, m.end()) or not all(_of_groups(s, w) for w in m.group("rest").split()):
            continue
        name, end = _name(s, m.end(), f"avg_{alias}")
        window = WindowColumn(name=name, function="avg", column=alias, frame="partition",
                              provenance=s.prompt[start:end].strip())  # fmt: skip
        op = _OPS[re.sub(r"\s+", " ", m.group("op").lower())]
        s.add_window(window, start, end, Edit.add("qualify", Filter(column=alias, operator=op, value_column=name,
                                                                     provenance=s.prompt[start:end].strip())))  # fmt: skip
        break
    return s.done()


def _names_group(s: _State, words: str) -> bool:
    """``words`` name the groups: a grouped column, its table, or a word of a grouped name ("months" of month)."""
    keys = [g.lower() for g in s.view.group_by]
    for w in words.lower().split():
        if any(b in k.split(".")[-1].split("_") for b in {singular(w), *lemmas(w)} for k in keys):
            continue
        if any(h.score >= 0.85 and any(k.startswith(f"{h.table.lower()}.") for k in keys) for h in s.linker.tables(w)[:1]):
            continue
        return False
    return True


def _of_groups(s: _State, word: str) -> bool:
    low = word.lower().strip("'")
    return low in _OF_GROUPS or low.isdigit() or low in STOPWORDS or _names_group(s, low) or low in {
        x.lower() for x in s.view.aggregations[0].alias.split("_")}


def _versus(s: _State, m: re.Match[str]) -> bool:
    if _grouped(s, m.start(), m.end()):
        return False
    found = _row_column(s, m.start()) or _rows_then_column(s, m)
    if found is None:
        return False
    column, start = found
    table = split_column(s.catalog, column)[0]
    other = _number_column(s, m.group("col"), table) if m.group("col") else column
    if other is None:
        return False  # "above the average of the category": not a column of the rows
    key = _group_key(s, m.group("group"), table, m.group(0).strip()) if m.group("group") else None
    _compare(s, column, other, _OPS[re.sub(r"\s+", " ", m.group("op").lower())], key, start, m.end())
    return True


def _adjective(s: _State, m: re.Match[str]) -> bool:
    """ "products with an above-average price": the column after the adjective against its own average."""
    if _grouped(s, m.start(), m.end()):
        return False
    for n in (2, 1):
        words = m.group("col").split()[:n]
        column = _number_column(s, " ".join(words), None)
        if column is not None:
            end = m.start("col") + len(" ".join(words))
            _compare(s, column, column, ">" if m.group("op").lower() == "above" else "<", None, m.start(), end)
            return True
    return False


def _compare(s: _State, column: str, other: str, op: Operator, key: str | None, start: int, end: int) -> None:
    table, col = split_column(s.catalog, column)
    bare = split_column(s.catalog, other)[1]
    default = f"{key.split('.')[-1].removesuffix('_id')}_avg_{bare}" if key else f"avg_{bare}"
    name, end = _name(s, end, default)
    window = WindowColumn(name=name, function="avg", column=other, partition_by=[key] if key else [],
                          frame=None if key else "partition", provenance=s.prompt[start:end].strip())  # fmt: skip
    keep = Filter(column=col, operator=op, value_column=name, provenance=s.prompt[start:end].strip())
    s.use(table)
    s.add_window(window, start, end, Edit.add("qualify", keep))


_SENTENCE_SPAN = 300  # characters looked through either way for the comparison's sentence


def _grouped(s: _State, start: int, end: int) -> bool:
    """The sentence around the comparison groups rows (outside the comparison's own words)."""
    before = re.split(r"[.;!?\n]", s.prompt[max(0, start - _SENTENCE_SPAN) : start])[-1]
    after = re.split(r"[.;!?\n]", s.prompt[end : end + _SENTENCE_SPAN])[0]
    return bool(_GROUPED.search(before) or _GROUPED.search(after))


def _row_column(s: _State, op_start: int) -> tuple[str, int] | None:
    """The number column of the rows named by the one to three words right before the comparison, and where
    those words start ("whose mrr is | above ...", "with a unit price | over ...")."""
    words = [t for t in s.view.tokens.overlapping(max(0, op_start - 80), op_start) if t.end <= op_start]
    while words and words[-1].kind == "word" and words[-1].low in _LEAD_SKIP:
        words.pop()
    for n in (3, 2, 1):
        part = words[-n:] if len(words) >= n else []
        if not part or any(t.kind != "word" or t.low in STOPWORDS for t in part):
            continue
        phrase = s.prompt[part[0].start : part[-1].end]
        column = _number_column(s, phrase, None) or next(
            (c for w in (lemmas(phrase) if n == 1 else ()) if (c := _number_column(s, w, None))), None)  # "priced"
        if column is not None and s.free(part[0].start, part[-1].end):
            return column, part[0].start
    return None


def _rows_then_column(s: _State, m: re.Match[str]) -> tuple[str, int] | None:
    """ "orders above the average order amount": the rows named right before the comparison, and the number
    column of theirs the average is of (compared with its own average)."""
    words = [t for t in s.view.tokens.overlapping(max(0, m.start() - 40), m.start()) if t.end <= m.start()]
    if not words or words[-1].kind != "word" or not m.group("col"):
        return None
    hits = s.linker.tables(words[-1].text)
    if not hits or hits[0].score < 0.85:
        return None
    column = _number_column(s, m.group("col"), hits[0].table)
    return (column, m.start()) if column is not None else None


def _number_column(s: _State, phrase: str, table: str | None) -> str | None:
    """The number column ``phrase`` names (of ``table``, else of the tables in play), no key."""
    tables = [table] if table else [t for t in (s.base, *s.tables) if t]
    for h in s.linker.columns(phrase, tables or None)[:1]:
        info = s.catalog.table(h.table).column(h.column)
        if h.score >= 0.85 and info.family in NUMERIC_FAMILIES and not h.column.lower().endswith("_id"):
            return f"{h.table}.{h.column}"
    return None

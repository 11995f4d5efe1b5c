"""CASE buckets: labels chosen by conditions on a column ("'heavy' when the weight is 20 or more, ...")."""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, View
from datamorph.planner.recognizers.derivekit import (
    Work,
    add,
    alias_edit,
    clean_phrase,
    column_phrase,
    family,
    in_play,
    name_around,
    unreferenced,
)
from datamorph.planner.refs import owner_table
from datamorph.planner.text import parse_number

_LABEL = r"(?:'[^']*'|\"[^\"]*\")"
# a condition said with no verb, right after its label: "'high' above 1000", "'mid' from 110 up to 150"
_BOUND_LEAD = (r"(?:above|over|under|below|from|between|at\s+least|at\s+most|up\s+to|more\s+than|less\s+than|"
               r"fewer\s+than|greater\s+than|[<>]=?)\s*-?\d")
_CONDTEXT = r"(?:'[^']*'|\"[^\"]*\"|[^,;'\"]|(?<=\d),(?=\d{3})){1,200}?"  # a condition runs to the next comma (200 characters at most), but "10,000" is one number
#: the end of a bound ("100", "1000+", "60 or more", "50 and below"): a label may follow it with "is" or nothing
_AFTER_BOUND = r"(?:(?<=\d)|(?<=\+)|(?<=\bmore)|(?<=\babove)|(?<=\bover)|(?<=\bless)|(?<=\bbelow)|(?<=\bunder))"
_BRANCH = re.compile(
    rf"(?P<label>{_LABEL})\s+(?:(?:(?:when|if|for|where)\s+|(?={_BOUND_LEAD}))(?P<cond>{_CONDTEXT})|(?P<else>otherwise|"
    r"else|below|above|for\s+(?:the\s+rest|everything\s+else|all\s+others|the\s+others)|in\s+all\s+other\s+cases))"
    r"(?=\s*(?:,(?!\d{3})|;|\.(?!\d)|\band\b(?!\s+(?:-?\d|(?:above|over|up|upward|upwards|more|higher|greater|below|"
    r"under|less|lower|fewer|beyond|at\s+(?:least|most)|no\s+(?:more|less)|not\s+(?:more|less|above|over|below|under)|"
    r"including|excluding|inclusive|exclusive)\b))|\bor\b(?!\s+(?:more|less|above|below|greater|higher|lower|fewer|over|"
    r"under|equal|after|before|later|earlier|up|beyond)\b)|\botherwise\b|\belse\b|$|(?<!\bis\s)(?<!=\s)(?<!=)"
    r"(?<!\bto\s)(?<!\bnot\s)'))"
    rf"|(?:when|if)\s+(?P<cond2>{_CONDTEXT})\s*,?\s*(?:then\s+)?(?P<label2>{_LABEL})"
    rf"|(?:otherwise|else)\s*,?\s*(?P<label3>{_LABEL})"
    # "under 10 -> 'brief'", "'1-10' and '11-50' => 'small'": a condition, an arrow, the label (a list's item)
    rf"|(?:^|(?<=[:;\n*\u2022,]))[ \t*\u2022]*(?P<cond4>(?:'[^']*'|\"[^\"]*\"|[^,;'\"\n:=>*\u2022()-]|-(?!>)|,(?=\s*(?:both\s+)?"
    rf"(?:inclusive|exclusive)\b)){{1,120}}?)\s*(?:->|=>|\u2192|{_AFTER_BOUND}\s+(?:is|are|gets?|becomes?)\b|{_AFTER_BOUND}(?=\s))\s*"
    rf"(?P<label4>{_LABEL})",  # after a number, also "under 100 is 'small', 100 to 999 'medium'"
    re.I,
)
#: a list item that stands for every value not listed before: "anything else -> 'O'", "all others => 'misc'"
_REST = re.compile(r"^(?:anything|everything|any\s+other\s+(?:value|one|type|kind)s?|all\s+others?|all\s+other\s+"
                   r"(?:values?|ones|types|kinds)|(?:the\s+)?rest|others|other\s+values?|anything\s+else|everything\s+else|"
                   r"(?:any(?:thing)?\s+)?else|otherwise)$", re.I)  # fmt: skip
_CMP = [
    (r"(?:is\s+)?(?P<v>\S+)\s+(?:or|and)\s+(?:more|above|greater|higher|over|up|upwards?|beyond)", ">="),
    (r"(?:is\s+)?(?P<v>\S+)\s+(?:or|and)\s+(?:less|below|fewer|lower|under)", "<="),
    (r"(?:is\s+)?(?P<v>\d[\d,]*(?:\.\d+)?)\+", ">="),
    (r"(?:is\s+)?(?:at\s+least|>=|no\s+less\s+than)\s+(?P<v>\S+)", ">="),
    (r"(?:is\s+)?(?:at\s+most|<=|no\s+more\s+than|up\s+to)\s+(?P<v>\S+)", "<="),
    (r"(?:is\s+)?(?:more\s+than|greater\s+than|over|above|exceeds|>|higher\s+than)\s+(?P<v>\S+)", ">"),
    (r"(?:is\s+)?(?:less\s+than|under|below|<|lower\s+than|fewer\s+than)\s+(?P<v>\S+)", "<"),
    (r"(?:is\s+not|isn't|!=|<>)\s+(?P<v>\S+)", "!="),
    (r"(?:is|=|==|equals|is\s+equal\s+to)\s+(?P<v>\S+)", "="),
]  # fmt: skip
_NULL_COND = re.compile(
    r"^(?:there\s+is\s+no|there's\s+no|no|missing|without\s+(?:a|an)?)\s+(?P<c1>.+)$|^(?P<c2>.+?)\s+(?:is|are)\s+"
    r"(?:missing|null|empty|blank|not\s+set|unknown)$"
    r"|^(?:.+?\s+)?(?:has|have|with|having)\s+no\s+(?P<c3>.+?)$",
    re.I,
)


_VALUES = re.compile(r"^(?:'[^']*'|\"[^\"]*\")(?:\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)(?:'[^']*'|\"[^\"]*\"))*$")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_INCLUSIVE = re.compile(r"\s*,?\s*\(?(?:both\s+)?(?:ends\s+)?inclusive\)?$", re.I)
_RANGE = re.compile(r"^(?:between\s+|from\s+)?(?P<a>-?\d[\d,]*(?:\.\d+)?)\s*(?:to|and|-|\u2013|through)\s*"
                    r"(?P<b>-?\d[\d,]*(?:\.\d+)?)$", re.I)  # fmt: skip
_UNIT_TAIL = re.compile(r"\s*(?P<u>seconds|secs?|minutes|mins?|hours|hrs?|days|weeks|months|years)$", re.I)
_UNIT_WORDS = {"sec": {"sec", "secs", "second", "seconds"}, "min": {"min", "mins", "minute", "minutes"},
               "hour": {"hour", "hours", "hr", "hrs"}, "day": {"day", "days"}, "week": {"week", "weeks"},
               "month": {"month", "months"}, "year": {"year", "years"}}  # fmt: skip


def _unit_of(word: str) -> set[str]:
    w = word.lower()
    return next((names for names in _UNIT_WORDS.values() if w in names), set())


def _unit_column(d: Work, unit: str, subject: str | None) -> str | None:
    """The numeric column in play whose name records ``unit`` ("under 10 sec" on wait_sec): the subject
    if it does, else the only such column of the tables in play (None when none or several do)."""
    names = _unit_of(unit)
    if subject:
        return subject if names & set(subject.rsplit(".", 1)[-1].lower().split("_")) else None
    found = [f"{d.catalog.table(t).name}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if c.family in NUMERIC_FAMILIES and names & set(c.name.lower().split("_"))]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _value_column(d: Work, values: list[str], subject: str | None) -> str | None:
    """The column whose data holds every one of ``values`` (the subject when it does)."""
    common: set[str] | None = None
    for v in values:
        cols = {f"{h.table}.{h.column}" for h in d.linker.values(v, in_play(d) or None)
                if str(h.value) == v}  # fmt: skip
        common = cols if common is None else common & cols
    if not common:
        return None
    if subject:
        return subject if subject in common else None
    return next(iter(common)) if len(common) == 1 else None


def _list_condition(d: Work, text: str, subject: str | None) -> str | None:
    """A bare list item's condition: quoted data values ("'1-10' and '11-50'"), or a number range or
    comparison in the unit a column's name records ("10 to 20 sec, both inclusive", "under 10 sec")."""
    text = text.strip()
    if _VALUES.match(text):
        values = [a if a is not None else b for a, b in _QUOTED.findall(text)]
        col = _value_column(d, values, subject)
        if col is None and subject and family(d, subject) == "text":
            col = subject  # values the index does not hold (no letter in them: '1-10'), of the column named
        if col is None:
            return None
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
        return f"{col} IN ({quoted})" if len(values) > 1 else f"{col} = {quoted}"
    inclusive = _INCLUSIVE.search(text)
    body = text[: inclusive.start()] if inclusive else text
    unit = _UNIT_TAIL.search(body)
    if unit:
        col = _unit_column(d, unit.group("u"), subject)
        if col is None:
            return None
        subject, body = col, body[: unit.start()]
    rng = _RANGE.match(body.strip())
    if rng and subject:
        return f"{subject} >= {parse_number(rng.group('a'))} AND {subject} <= {parse_number(rng.group('b'))}"
    if inclusive:
        return None
    return _condition(d, body, subject, bare=True) if unit else None


_NUM = r"-?\d[\d,]*(?:\.\d+)?"
_SPAN = re.compile(
    rf"^(?:(?P<col>(?!(?:from|between)\b).+?)\s+)?(?:(?:is|are|falls?|lies?)\s+)?(?:(?P<lead>from|between)\s+)?(?P<a>{_NUM})\s*(?:(?P<aex>"
    rf"exclusive)\s+)?(?:(?P<up>up\s+to|to|through|thru)|(?P<and>and)|-|\u2013)\s*(?:(?P<bex>(?:but\s+)?(?:not\s+including|"
    rf"excluding)|under|below|less\s+than)\s+|(?P<bin>and\s+including|including)\s+)?(?P<b>{_NUM})"
    r"(?:\s*,?\s*\(?(?P<tail>(?:both\s+)?(?:ends\s+)?inclusive|(?:both\s+)?(?:ends\s+)?exclusive)\)?)?$",
    re.I,
)


def _span(d: Work, text: str, subject: str | None) -> tuple[str, list[float]] | None:
    """``from 110 up to but not including 150``, ``between 50 and 200``, ``2 to 20 inclusive``, ``50-200``: a
    range of the column, and the bounds whose side was not said (the overlap check reads those).

    A bound is included unless the words exclude it ("but not including", "under", "exclusive" for both ends
    only when "both" says so); a bare "exclusive" (which end?) is no reading."""
    m = _SPAN.match(text)
    if m is None or (m.group("and") and m.group("lead", "col") == (None, None)) or (
            m.group("and") and (m.group("lead") or "").lower() != "between"):
        return None  # "A and B" is a range only after "between"
    tail = (m.group("tail") or "").lower()
    if "exclusive" in tail and "both" not in tail:
        return None
    col = _column(d, m.group("col"), subject) if m.group("col") else subject
    if col is None or family(d, col) not in NUMERIC_FAMILIES:
        return None
    a, b = parse_number(m.group("a")), parse_number(m.group("b"))
    if a > b:
        return None
    lo = ">" if m.group("aex") or "exclusive" in tail else ">="
    hi = "<" if m.group("bex") or "exclusive" in tail else "<="
    unsaid = [] if tail or m.group("bex") or m.group("bin") else [float(b)]
    if (m.group("lead") or "").lower() != "from" and not tail and not m.group("aex"):
        unsaid.append(float(a))
    return f"{col} {lo} {a} AND {col} {hi} {b}", unsaid


_ROWS_WORD = re.compile(r"\s+([A-Za-z_]+)\s*$")


def _value_condition(d: Work, text: str) -> str | None:
    """``text`` is one data value of one column of the tables in play ("completed"): that column equal to it."""
    hits = [h for h in d.linker.values(text, in_play(d) or None) if h.score >= 0.9
            and len(str(getattr(h, "text", "") or text).split()) >= len(text.split())]  # fmt: skip
    picks = {(h.table, h.column, str(h.value)) for h in hits if h.score == hits[0].score} if hits else set()
    if len(picks) != 1 or not isinstance(hits[0].value, str):
        return None
    h = hits[0]
    return f"{h.table}.{h.column} = '" + str(h.value).replace("'", "''") + "'"


def _condition(d: Work, text: str, subject: str | None = None, bare: bool = False) -> str | None:
    read = _read_condition(d, text, subject, bare)
    return read[0] if read else None


def _read_condition(d: Work, text: str, subject: str | None = None, bare: bool = False) -> tuple[str, list[float]] | None:
    """A condition's SQL and the range bounds it left unsaid: one comparison, a range, or two comparisons of
    one column joined by "and" ("at least 50 and under 200")."""
    text = _AT_ALL.sub("", clean_phrase(text.strip()))
    span = _span(d, text, subject)
    if span:
        return span
    one = _comparison(d, text, subject, bare)
    if one:
        return one, []
    value = _value_condition(d, text)
    if value is not None:
        return value, []
    rows = _ROWS_WORD.search(text)
    if rows is not None and rows.start() > 0 and (rows.group(1).lower() in ("ones", "rows", "records") or any(
            h.score >= 0.85 for h in d.linker.tables(rows.group(1))[:1])):  # fmt: skip
        return _read_condition(d, text[: rows.start()], subject, bare)  # "'done' for completed orders": the value
    parts = re.split(r"\s+(?:and|but)\s+", text, flags=re.I)
    if len(parts) == 2:
        first = _comparison(d, parts[0], subject, bare)
        col = first.split(" ")[0] if first else None
        second = _comparison(d, parts[1], col, True) if col and family(d, col) in NUMERIC_FAMILIES else None
        if first and second and second.split(" ")[0] == col:
            return f"{first} AND {second}", []
    return None


def _comparison(d: Work, text: str, subject: str | None = None, bare: bool = False) -> str | None:
    text = _AT_ALL.sub("", clean_phrase(text.strip()))
    if bare and subject and re.match(r"(?:more|less|greater|fewer|over|under|above|below|at\s+(?:least|most)|up\s+to|[<>]|-?\d)",
                                     text, re.I):  # fmt: skip
        text = f"{subject.rsplit('.', 1)[-1]} {text}"  # "under 10": the subject's value
    m = _NULL_COND.match(text)
    if m:
        col = _column(d, m.group("c1") or m.group("c2") or m.group("c3"), subject)
        return f"{col} IS NULL" if col else None
    for pat, op in _CMP:
        mm = re.search(rf"\s*\b{pat}$" if not pat.startswith("(?:is\\s+)?(?P<v>") else rf"\s+{pat}$", text, re.I)
        if mm is None:
            mm = re.search(rf"\s*{pat}$", text, re.I)
        if mm is None:
            continue
        col = _column(d, text[: mm.start()], subject)
        raw = mm.group("v").strip(",.")
        if col is None or not raw:
            continue
        if raw.startswith(("'", '"')):
            inner = raw[1:-1] if len(raw) > 1 and raw[-1] == raw[0] else raw[1:]  # clean_phrase took the last quote
            val = "'" + inner.replace("'", "''") + "'"
        elif re.fullmatch(r"-?[\d,]+(?:\.\d+)?k?", raw, re.I):
            val = str(parse_number(raw))
        else:
            hits = d.linker.values(raw, [owner_table(d.catalog, col)])
            if not hits:
                continue
            val = "'" + str(hits[0].value).replace("'", "''") + "'"
        return f"{col} {op} {val}"
    return None


_AT_ALL = re.compile(r"\s+at\s+all$", re.I)
_SUBJECT = re.compile(
    r"\b(?:bucket|band|tier|group|classify|classifie|categori[sz]e|label|flag|split|segment|put)(?:s|ed|ing)?\s+"
    r"(?:(?:every|each|all|the)\s+)?(?P<rows>(?:[A-Za-z_]\w*\s+){0,2}?)(?:into\s+\w+\s+)?(?:by|on|according\s+to|"
    r"based\s+on|using)\s+(?:its|their|the)?\s*(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s*[:,-]?\s*$",
    re.I,
)
_NAMED_LATER = re.compile(
    r"\b(?:the\s+)?(?P<noun>bucket|tier|band|label|class|flag|group|segment|category)\s*,?\s*\(?\s*(?:called|named|as|"
    r"call\s+it|labelled|labeled)\s+(?P<name>[A-Za-z_]\w*)",
    re.I,
)


_NAME_SUBJECT = re.compile(r"\b(?P<name>(?P<col>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*?)_(?:band|tier|bucket|bracket|class|"
                           r"range|level|size)s?)\s*(?:is|=|:|,|-|->)?\s*$", re.I)  # fmt: skip
_NOUN_SUBJECT = re.compile(
    r"\b(?:an?|the|its|their)\s+(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+(?:band|tier|bucket|bracket|class|range)s?"
    r"(?:\s*,?\s*\(?(?:called|named)\s+[A-Za-z_]\w*\)?)?\s*[:,-]?\s*$", re.I)  # fmt: skip


def _column(d: Work, phrase: str, subject: str | None) -> str | None:
    """The column a condition names; "the limit" is the subject column (credit_limit) when its words are in it."""
    words = {w.rstrip("s") for w in clean_phrase(phrase).lower().split()}
    if subject and phrase.strip().lower() in ("it", "they", "this", "that", "the value", "its value"):
        return subject
    if subject and words and words <= {w.rstrip("s") for w in subject.split(".")[-1].lower().split("_")}:
        return subject
    return column_phrase(d, phrase)


_MAP_SUBJECT = re.compile(
    r"\bmap(?:s|ped|ping)?\s+(?:the\s+|each\s+|every\s+|their\s+|its\s+)?(?P<col>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+"
    r"(?:onto|to|into)\s+(?:an?\s+|the\s+)?(?P<noun>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2})\s*[:,-]?\s*$",
    re.I,
)


def _subject(d: Work, start: int) -> tuple[str | None, int]:
    """``Classify each parcel by its weight_kg:`` just before the labels: the column, and where it starts."""
    window = d.prompt[max(0, start - 100) : start]
    mapped = _MAP_SUBJECT.search(window)
    if mapped:  # "map plan_code onto a price tier: ..."
        col = column_phrase(d, mapped.group("col"), min_score=0.8)
        if col is not None:
            for word in mapped.group("noun").split():  # "a sales tier" names no sales table
                d.edit(*unreferenced(d, word, keep=col.rsplit(".", 1)[0]))
            return col, start - (len(window) - mapped.start())
    m = _SUBJECT.search(window)
    if m is None:
        named = _NOUN_SUBJECT.search(window) or _NAME_SUBJECT.search(window)  # "with a price band: ...", "amount_band
        # is ...": the column the band's name starts with
        col = column_phrase(d, named.group("col"), min_score=0.8) if named else None
        if named is None or col is None or family(d, col) not in NUMERIC_FAMILIES:
            return None, start
        return col, start - (len(window) - named.start("col"))
    col = column_phrase(d, m.group("col"))
    if col is None:
        return None, start
    if m.group("rows").strip() and not d.linker.tables(m.group("rows")):
        return None, start
    return col, start - (len(window) - m.start())


def _fresh(d: Work, m: re.Match[str]) -> bool:
    """No one used the branch's label and leading word (a table mention inside its condition may be used)."""
    label = next(g for g in ("label", "label2", "label3", "label4") if m.group(g))
    first = m.start("cond4") if m.group("cond4") else m.start()  # (a bullet before a list item is read already)
    return d.free(m.start(label), m.end(label)) and d.free(first, first + 1)


def rule(v: View) -> list[Claim]:
    """Labels chosen by conditions, as a CASE column."""
    d = Work(v)
    branches = [m for m in _BRANCH.finditer(d.prompt) if _fresh(d, m)]
    if not branches:
        return []
    groups: list[list[re.Match[str]]] = [[branches[0]]]
    for m in branches[1:]:
        gap = d.prompt[groups[-1][-1].end() : m.start()]
        if re.fullmatch(r"[\s,;*\u2022]*(?:and|or|otherwise|else)?[\s,;*\u2022]*", gap, re.I):
            groups[-1].append(m)
        else:
            groups.append([m])
    for group in groups:
        _case(d, group)
    return d.claims()


def _case(d: Work, group: list[re.Match[str]]) -> None:
    """One run of branches: the CASE column they make."""
    default: str | None = None
    subject, subject_start = _subject(d, group[0].start())
    read: list[tuple[str, tuple[str, list[float]] | None, str]] = []  # condition words, reading, label
    for m in group:
        label = (m.group("label") or m.group("label2") or m.group("label3") or m.group("label4"))
        lit = "'" + label[1:-1].replace("'", "''") + "'"
        cond_text = m.group("cond") or m.group("cond2") or m.group("cond4")
        if cond_text is None or _REST.match(cond_text.strip()):  # "..., anything else -> 'other'"
            default = lit
            continue
        if m.group("cond4"):
            listed = _list_condition(d, cond_text, subject)
            reading = (listed, []) if listed else _read_condition(d, cond_text, subject)
            if reading is None and subject:  # "by amount: under 100 is 'small'": a bound alone is on the subject
                reading = _read_condition(d, cond_text, subject, bare=True)
            read.append((cond_text, reading, lit))
        else:  # "a price band: 'cheap' under 20": a condition with no column is the subject's
            read.append((cond_text, _read_condition(d, cond_text, subject) or (
                _read_condition(d, cond_text, subject, bare=True) if subject else None), lit))
    if subject is None:  # "'low' when the rate is under 110, 'high' for 150 and above": the run's one column
        cols = {r[0].split(" ")[0] for _, r, _ in read if r}
        subject = next(iter(cols)) if len(cols) == 1 else None
        read = [(t, r or (_read_condition(d, t, subject, bare=True) if subject else None), lit) for t, r, lit in read]
    whens: list[tuple[str, str]] = []
    for cond_text, reading, lit in read:
        if reading is None:
            raise PlanError(f"could not read the condition '{cond_text.strip()}'",
                            hint="write it like 'amount over 500' or 'credit_limit is missing'")  # fmt: skip
        whens.append((reading[0], lit))
    _check_bounds(read)
    if not whens:
        return
    whens.sort(key=lambda w: not w[0].endswith("IS NULL"))  # NULL checks first
    if len(whens) == 1 and default is None and whens[0][0].endswith(" IS NULL"):
        _stand_in(d, whens[0][0].split(" ")[0], whens[0][1], group[0].start(), group[-1].end())
        return
    sql = "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in whens) + (f" ELSE {default}" if default else "") + " END"
    start, end = group[0].start(), group[-1].end()
    said = _NAME_SUBJECT.search(d.prompt, max(0, group[0].start() - 100), group[0].start())
    name, start, end = _bucket_name(d, subject_start if subject else start, end, whens[0][0].split(" ")[0])
    if said is not None and name.endswith("_bucket") and said.start() <= start:  # "amount_band is 'small' ...": said
        name = said.group("name")
    later = _NAMED_LATER.search(d.prompt, end)
    if name.endswith("_bucket") and later and d.free(later.start(), later.end()):
        name = later.group("name")  # "list user_id and the band, called age_band"
        if re.search(r"[,(]", d.prompt[later.end("noun") : later.start("name")]):
            # ", called X" / "(call it X)": the output list then reads "the bucket" alone
            d.take(((later.end("noun"), later.end()),), alias_edit(d, later.group("noun"), name))
    add(d, name, sql, start, end)


_BUCKET_BEFORE = re.compile(
    r"(?:(?:a|an|the)\s+)?(?:(?:new\s+)?(?:column|field|flag|label|bucket|tier|band)\s+(?:called|named)\s+"
    r"(?P<n1>[A-Za-z_]\w*)|(?P<n2>[A-Za-z_]\w*)\s+(?:column|field|flag|label|bucket|tier|band)|(?P<n3>[A-Za-z_]\w*)"
    r"\s*=|(?:called|named)\s+(?P<n4>[A-Za-z_]\w*))\s*(?::|=|-|,|that\s+is|which\s+is|saying|showing|with)?\s*$",
    re.I,
)


def _bucket_name(d: Work, start: int, end: int, col: str) -> tuple[str, int, int]:
    before = _BUCKET_BEFORE.search(d.prompt[max(0, start - 60) : start])
    if before:
        name = next(g for g in before.group("n1", "n2", "n3", "n4") if g)
        if name.lower() not in ("a", "the", "new", "with", "and"):
            return name, start - (len(d.prompt[max(0, start - 60) : start]) - before.start()), end
    name, s, e = name_around(d, start, end)
    if name and s < start and _BY_BEFORE.search(d.prompt, max(0, s - 40), s):
        name, s = None, start  # "label every visit by length: ...": what the rows are labelled by, not a name
    elif name and s < start and d.catalog.has_table(name) or name and any(
            h.score >= 0.85 for h in d.linker.tables(name)[:1]):
        name, s = None, start  # "visits: 'a' -> 'x', ...": the rows' table heads the list, it names no column
    return name or f"{col.split('.')[-1]}_bucket", s, e


_BY_BEFORE = re.compile(r"\b(?:by|on|according\s+to|based\s+on)\s+(?:its\s+|their\s+|the\s+)?$", re.I)



_ONE = re.compile(r"^(?P<col>[\w.]+) (?P<op>>=|<=|<|>|=|!=) (?P<v>-?\d+(?:\.\d+)?)$")


def _holds(cond: str, col: str, value: float) -> bool:
    """Whether ``value`` of ``col`` meets ``cond`` (numeric comparisons of that column joined by AND only)."""
    ops = {">=": value.__ge__, "<=": value.__le__, "<": value.__lt__, ">": value.__gt__, "=": value.__eq__,
           "!=": value.__ne__}  # fmt: skip
    for part in cond.split(" AND "):
        m = _ONE.match(part)
        if m is None or m.group("col") != col or not ops[m.group("op")](float(m.group("v"))):
            return False
    return True


def _check_bounds(read: list[tuple[str, tuple[str, list[float]] | None, str]]) -> None:
    """A range whose end was not said to be in or out ("from 20 to 100") next to a label that also takes
    that value ("100 and above"): which label 100 gets is a guess, so it is refused."""
    for text, reading, _ in read:
        if not reading or not reading[1]:
            continue
        col = reading[0].split(" ")[0]
        for value in reading[1]:
            if any(other is not reading and other and _holds(other[0], col, value) for _, other, _ in read):
                shown = int(value) if value.is_integer() else value
                raise PlanError(f"'{text.strip()}': is {shown} in this band or the next one?",
                                hint=f"say 'up to but not including {shown}' or '{shown} inclusive'")


def _stand_in(d: Work, col: str, lit: str, start: int, end: int) -> None:
    """"'unknown' when city is missing" alone: the city with that stand-in (a CASE would blank every known
    city); a text stand-in for a column that is no text is refused."""
    if family(d, col) != "text":
        raise PlanError(f"{lit} for a missing {col.split('.')[-1]}: that column holds no text",
                        hint="give a stand-in of the column's kind, e.g. 0")
    name, start, end = name_around(d, start, end)
    add(d, name or col.split(".")[-1], f"coalesce({col}, {lit})", start, end)

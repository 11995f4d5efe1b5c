"""CASE buckets: labels chosen by conditions on a column ("'high' when the limit is 10,000 or more, ...")."""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, View
from datamorph.planner.recognizers.derivekit import (
    Work,
    add,
    alias_edit,
    clean_phrase,
    column_phrase,
    name_around,
)
from datamorph.planner.refs import owner_table
from datamorph.planner.text import parse_number

_LABEL = r"(?:'[^']*'|\"[^\"]*\")"
_CONDTEXT = r"(?:'[^']*'|\"[^\"]*\"|[^,;'\"]|(?<=\d),(?=\d{3})){1,200}?"  # a condition runs to the next comma (200 characters at most), but "10,000" is one number
_BRANCH = re.compile(
    rf"(?P<label>{_LABEL})\s+(?:(?:when|if|for|where)\s+(?P<cond>{_CONDTEXT})|(?P<else>otherwise|else|below|above|"
    r"for\s+(?:the\s+rest|everything\s+else|all\s+others|the\s+others)|in\s+all\s+other\s+cases))"
    r"(?=\s*(?:,(?!\d{3})|;|\.|\band\b|\bor\b(?!\s+(?:more|less|above|below|greater|higher|lower|fewer|over|under|"
    r"equal|after|before|later|earlier)\b)|\botherwise\b|\belse\b|$|(?<!\bis\s)(?<!=\s)(?<!=)(?<!\bto\s)(?<!\bnot\s)'))"
    rf"|(?:when|if)\s+(?P<cond2>{_CONDTEXT})\s*,?\s*(?:then\s+)?(?P<label2>{_LABEL})"
    rf"|(?:otherwise|else)\s*,?\s*(?P<label3>{_LABEL})",
    re.I,
)
_CMP = [
    (r"(?:is\s+)?(?P<v>\S+)\s+or\s+(?:more|above|greater|higher|over)", ">="),
    (r"(?:is\s+)?(?P<v>\S+)\s+or\s+(?:less|below|fewer|lower|under)", "<="),
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


def _condition(d: Work, text: str, subject: str | None = None) -> str | None:
    text = _AT_ALL.sub("", clean_phrase(text.strip()))
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


def _column(d: Work, phrase: str, subject: str | None) -> str | None:
    """The column a condition names; "the limit" is the subject column (credit_limit) when its words are in it."""
    words = {w.rstrip("s") for w in clean_phrase(phrase).lower().split()}
    if subject and phrase.strip().lower() in ("it", "they", "this", "that", "the value", "its value"):
        return subject
    if subject and words and words <= {w.rstrip("s") for w in subject.split(".")[-1].lower().split("_")}:
        return subject
    return column_phrase(d, phrase)


def _subject(d: Work, start: int) -> tuple[str | None, int]:
    """``Bucket every account by its credit limit:`` just before the labels: the column, and where it starts."""
    window = d.prompt[max(0, start - 100) : start]
    m = _SUBJECT.search(window)
    if m is None:
        return None, start
    col = column_phrase(d, m.group("col"))
    if col is None:
        return None, start
    if m.group("rows").strip() and not d.linker.tables(m.group("rows")):
        return None, start
    return col, start - (len(window) - m.start())


def _fresh(d: Work, m: re.Match[str]) -> bool:
    """No one used the branch's label and leading word (a table mention inside its condition may be used)."""
    label = next(g for g in ("label", "label2", "label3") if m.group(g))
    return d.free(m.start(label), m.end(label)) and d.free(m.start(), m.start() + 1)


def rule(v: View) -> list[Claim]:
    """Labels chosen by conditions, as a CASE column."""
    d = Work(v)
    branches = [m for m in _BRANCH.finditer(d.prompt) if _fresh(d, m)]
    if not branches:
        return []
    groups: list[list[re.Match[str]]] = [[branches[0]]]
    for m in branches[1:]:
        gap = d.prompt[groups[-1][-1].end() : m.start()]
        if re.fullmatch(r"[\s,;]*(?:and|or|otherwise|else)?[\s,;]*", gap, re.I):
            groups[-1].append(m)
        else:
            groups.append([m])
    for group in groups:
        _case(d, group)
    return d.claims()


def _case(d: Work, group: list[re.Match[str]]) -> None:
    """One run of branches: the CASE column they make."""
    whens: list[tuple[str, str]] = []
    default: str | None = None
    subject, subject_start = _subject(d, group[0].start())
    for m in group:
        label = (m.group("label") or m.group("label2") or m.group("label3"))
        lit = "'" + label[1:-1].replace("'", "''") + "'"
        cond_text = m.group("cond") or m.group("cond2")
        if cond_text is None:
            default = lit
            continue
        cond = _condition(d, cond_text, subject)
        if cond is None:
            raise PlanError(f"could not read the condition '{cond_text.strip()}'",
                            hint="write it like 'amount over 500' or 'credit_limit is missing'")  # fmt: skip
        whens.append((cond, lit))
    if not whens:
        return
    whens.sort(key=lambda w: not w[0].endswith("IS NULL"))  # NULL checks first
    sql = "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in whens) + (f" ELSE {default}" if default else "") + " END"
    start, end = group[0].start(), group[-1].end()
    name, start, end = _bucket_name(d, subject_start if subject else start, end, whens[0][0].split(" ")[0])
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
    return name or f"{col.split('.')[-1]}_bucket", s, e


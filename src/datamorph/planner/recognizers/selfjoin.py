"""Self joins: the base table read a second time, under an alias (``SelfJoin`` in the draft).

Two shapes:

- **a hierarchy through a self-referencing key**: a column of the table that holds the id of another row of
  the same table (``employees.manager_id``, ``doctors.supervisor_id``, ``organizations.referred_by_org_id``,
  ``categories.parent_category_id``). The key is found by the catalog (a declared key to the table itself),
  or by its name: a role noun among its words ("manager", "supervisor", "parent": ``lexicon.HIERARCHY_ROLES``),
  a role verb's participle ("referred" → the referrer), or the table's own name at its end
  ("parent_category_id"). The request names the other row by the role noun, and the recognizer reads:

  - the other row's columns: "their manager's first and last name", "the supervisor's specialty",
    "the name of its referrer", "manager email", an output name such as ``referrer_name`` → columns of the
    second reading, named ``<role>_<column>``;
  - a comparison of a column with the other row's: "whose fee is higher than their supervisor's", "with a
    later hire date than their manager", "hired before their manager", "whose supervisor works at a
    different clinic site", "in a different department from their manager" → ``column op alias.column``;
  - a count of rows per other row: "how many employees report to each manager" → the aggregates'
    grouping by the key, over the rows whose key names a row of the table (the inner join);
  - what happens to rows without such a row: "when there is one", "keep doctors with no supervisor" (left
    join); "that exists in the table", "unknown referrers are skipped", "employees without a manager are
    left out" (inner join). Unsaid, the inner join is the default and a doubt (both are run, and the
    planner asks when they differ).

- **pairs of rows sharing values**: "pairs of patients with the same first name, last name and date of
  birth" → the table joined to itself on those columns, the first row's key below the second's (each pair
  once, the smaller key first); "ignoring case" compares the text columns in lower case.

Anything else about the other row (another table, a word no rule reads) is left unread and refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lemminflect import getLemma

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES, Catalog, TableInfo
from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, Pending, View
from datamorph.planner.draft import SelfJoin
from datamorph.planner.lexicon import HIERARCHY_ROLES, NUMBER_PATTERN, STOPWORDS, parse_number
from datamorph.planner.meaning import COMPARISON_WORDS, ORDERING_WORDS, QUANTIFIER_WORDS
from datamorph.planner.recognizers.dates import verb_column
from datamorph.planner.recognizers.phrases import singular
from datamorph.spec import ExpressionCondition, Filter, OutputColumn


@dataclass(frozen=True)
class SelfKey:
    """A column of ``table`` holding the id of another of its rows (``key``), and the role that row plays."""

    table: str
    column: str
    key: str
    role: str
    verbs: tuple[str, ...]


def _stems(name: str) -> set[str]:
    n = name.lower()
    return {n, singular(n)}


def _role_of(words: list[str]) -> str | None:
    """The role noun among a key's words, or the role whose verb a participle among them is ("referred")."""
    for w in words:
        if w in HIERARCHY_ROLES:
            return w
    for w in words:
        if w.endswith("ed"):
            lemma = getLemma(w, upos="VERB")[0]
            for role, verbs in HIERARCHY_ROLES.items():
                if lemma in verbs and role.startswith(lemma[:4]):
                    return role
    return None


def self_keys(catalog: Catalog, table: str) -> list[SelfKey]:
    """The self-referencing key columns of ``table`` (declared, or named as described in the module)."""
    info = catalog.table(table)
    if len(info.primary_key) != 1:
        return []
    pk = info.column(info.primary_key[0])
    elsewhere = {c.lower() for fk in info.foreign_keys if fk.ref_table.lower() != info.name.lower() for c in fk.columns}
    declared = {fk.columns[0].lower() for fk in info.foreign_keys
                if fk.ref_table.lower() == info.name.lower() and len(fk.columns) == 1}  # fmt: skip
    own = _stems(info.name) | {re.sub(r"_?id$", "", pk.name.lower())}
    out: list[SelfKey] = []
    for c in info.columns:
        low = c.name.lower()
        m = re.fullmatch(r"(.+?)_?id", low)
        if low == pk.name.lower() or low in elsewhere or not m or c.family != pk.family:
            continue
        words = [w for w in m.group(1).split("_") if w]
        role = _role_of(words)
        own_tail = len(words) > 1 and words[-1] in own
        if low in declared or role is not None or own_tail:
            role = role or words[0]
            out.append(SelfKey(info.name, c.name, pk.name, role, HIERARCHY_ROLES.get(role, ())))
    return out


# -- words --------------------------------------------------------------------------------------------

_OWNER = r"(?:(?:their|its|his|her|the|each|every|that|this)\s+)"
_POSS = r"(?:['\u2019]s|s['\u2019]|['\u2019])"
_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s(?:and|&)\s+)\s*", re.I)
_WORD = re.compile(r"[A-Za-z_]+")
_FUNCTION_WORDS = ORDERING_WORDS | COMPARISON_WORDS | QUANTIFIER_WORDS
_ASIDE = re.compile(r"\s*\([^()]{1,40}\)")
_PART = frozenset({"first", "last", "given", "family"})
_SAME_AGAIN = re.compile(r"(?:the\s+)?same\s+", re.I)
_OPS = {"higher": ">", "greater": ">", "larger": ">", "bigger": ">", "more": ">", "later": ">", "after": ">",
        "lower": "<", "smaller": "<", "less": "<", "earlier": "<", "before": "<",
        "different": "!=", "another": "!=", "other": "!=", "same": "="}  # fmt: skip


def _role_re(k: SelfKey) -> str:
    r = re.escape(k.role)
    return rf"(?:{r}(?:s|es)?)"


def _local(info: TableInfo, column: str) -> str:
    """A column's name without the table's own prefix ("org_name" → "name", "employee_id" → "id")."""
    low = column.lower()
    for stem in sorted(_stems(info.name) | {re.sub(r"_?id$", "", info.primary_key[0].lower())}, key=len, reverse=True):
        if low.startswith(stem + "_") and len(low) > len(stem) + 1:
            return low[len(stem) + 1 :]
    return low


def _name_columns(d: View, info: TableInfo, phrase: str) -> list[str] | None:
    """The columns a column phrase of ``info`` names: "name" (both parts of a person's name, or the table's name
    column), "id", or what the linker finds in that table alone (a clear match)."""
    p = re.sub(r"\s+", " ", phrase.strip().lower())
    if p in ("id", "key"):
        return [info.primary_key[0]]
    if p in ("name", "names"):
        if info.has_column("first_name") and info.has_column("last_name"):
            return [info.column("first_name").name, info.column("last_name").name]
    if p in ("full name", "whole name") and info.has_column("first_name"):
        raise PlanError(f"'{phrase}': the warehouse keeps a name in parts (first_name, last_name)",
                        hint="list both, or say how to put them together")  # fmt: skip
    words = p.split()
    if not words or any(w in STOPWORDS and not (w == "of" and 0 < i < len(words) - 1) for i, w in enumerate(words)):
        return None
    if len(words) == 1 and info.has_column(f"{singular(p)}_id"):  # "department" → department_id
        return [info.column(f"{singular(p)}_id").name]
    hits = d.linker.columns(p, [info.name])
    need = 0.8 if len(words) == 1 else 0.85
    if not hits or hits[0].score < need or (len(hits) > 1 and hits[1].score >= hits[0].score - 0.005):
        return None
    own = {singular(w) for w in re.split(r"[_\W]+", hits[0].column.lower()) if w}
    if len(words) > 1 and not {singular(w) for w in words} <= own and _FUNCTION_WORDS & set(words):
        return None  # "lower member_id first": an order said after the list, not a column
    return [hits[0].column]


def _column_list(d: View, info: TableInfo, start: int, limit: int = 6, stop: str = "") -> tuple[list[tuple[str, str]], int]:
    """Column phrases of ``info`` from ``start`` on ("first and last name", "email, job title"): (column,
    words) pairs and where the list ends; empty when the words there name no column. The list stops at a word
    matching ``stop`` (the role noun: "manager id and manager name" is two lists)."""
    text = d.prompt
    out: list[tuple[str, str]] = []
    parts: list[str] = []
    pos, end = start, start
    while len(out) < 12:
        words = [m for m in _WORD.finditer(text, pos)][:3]
        words = [w for i, w in enumerate(words) if i == 0 or not text[words[i - 1].end() : w.start()].strip()]
        if not words or text[pos : words[0].start()].strip() or stop and re.fullmatch(stop, words[0].group(0), re.I):
            break
        found: tuple[list[tuple[str, str]], int] | None = None
        for n in range(len(words), 0, -1):
            phrase = text[words[0].start() : words[n - 1].end()]
            if n == 1 and phrase.lower() in _PART and _JOINER.match(text, words[0].end()):
                parts.append(phrase.lower())
                found = ([], words[0].end())
                break
            cols = _name_columns(d, info, phrase)
            if cols:
                if parts and re.fullmatch(r"(?:\w+\s+)?names?", phrase.lower()):
                    cols = [c for p in [*parts, phrase.lower().split()[0]] for c in (_name_columns(d, info, f"{p} name") or [])]
                    parts = []
                found = ([(c, text[start : words[n - 1].end()]) for c in cols], words[n - 1].end())
                break
        if found is None:
            break
        out.extend(found[0])
        end = found[1]
        aside = _ASIDE.match(text, end)  # "first and last name (ignoring case) and born_on": the list goes on
        j = _JOINER.match(text, aside.end() if aside and _JOINER.match(text, aside.end()) else end)
        if not j or len(out) >= limit:
            break
        again = _SAME_AGAIN.match(text, j.end())  # "the same surname and the same born_on"
        pos = again.end() if again else j.end()
    if parts:
        return [], start
    return list(dict.fromkeys(out)), end


def _short_names(d: View, table: str) -> set[str]:
    """Other words naming ``table`` alone ("orgs", "org" for organizations), as the linker reads them."""
    words = {w.lower() for w in _WORD.findall(d.prompt)}
    return {w for w in words if len(w) > 2 and (hits := d.linker.tables(w)) and hits[0].table == table
            and hits[0].score >= 0.85 and (len(hits) == 1 or hits[1].score < hits[0].score)}


def _outputs(info: TableInfo, alias: str, cols: list[tuple[str, str]]) -> list[OutputColumn]:
    """The other row's columns, named ``<role>_<column>`` (a name the table's own columns have: the full name)."""
    out = []
    for c, w in cols:
        name = f"{alias}_{_local(info, c)}"
        out.append(OutputColumn(column=f"{alias}.{c}", name=f"{alias}_{c}" if info.has_column(name) else name, provenance=w))
    return out


# -- join type ----------------------------------------------------------------------------------------

_KEPT = r"(?:when|where|if)\s+there\s+is\s+one|if\s+(?:there\s+is\s+)?any|if\s+they\s+have\s+one|where\s+known"
_GONE = r"(?:left\s+out|skipped|dropped|excluded|ignored|omitted|not\s+listed)"


def _join_words(d: View, k: SelfKey, base: str) -> list[tuple[re.Match[str], str]]:
    """Phrases saying what happens to rows whose other row is missing: (match, 'left' | 'inner')."""
    role = _role_re(k)
    rows = "|".join(re.escape(f) for f in sorted(_stems(base) | {"rows", "ones", "those", "records"}, key=len,
                                                 reverse=True))  # fmt: skip
    no = rf"(?:without\s+(?:an?\s+|any\s+|a\s+known\s+)?|with\s+no\s+(?:known\s+)?){role}"
    pats = [
        (rf"\b(?:{_KEPT})\b", "left"),
        (rf"\b(?:(?:left\s+)?(?:blank|empty|null)|missing)\s+(?:when|if|where)\s+(?:there\s+is\s+|they\s+have\s+)?"
         rf"(?:no(?:ne)?|not\s+one)(?:\s+{role})?\b", "left"),
        (rf"\b(?:keep|keeping|include|including|also|even)\s+(?:(?:the|all|any)\s+)?(?:{rows})?s?\s*{no}\b", "left"),
        (rf"\b(?:{rows})s?\s+{no}\s+(?:are\s+|get\s+)?(?:kept|included|listed\s+too|still\s+listed)\b", "left"),
        (rf"\b(?:(?:only|just)\s+)?(?:(?:the|those)\s+)?(?:{role}\s+)?(?:that|which|who)\s+(?:also\s+)?exists?(?:\s+in\s+the\s+(?:table|data))?\b", "inner"),
        (rf"\b(?:only\s+)?(?:known|existing)\s+{role}\b", "inner"),
        (rf"\bunknown\s+{role}\s+(?:are\s+)?{_GONE}\b", "inner"),
        (rf"\b(?:{rows})s?\s+{no}\s+(?:are\s+)?{_GONE}\b", "inner"),
        (rf"\b(?:skip|skipping|drop|dropping|exclude|excluding|ignore|ignoring|leave\s+out|leaving\s+out)\s+"
         rf"(?:(?:the|any|all)\s+)?(?:{rows})?s?\s*{no}\b", "inner"),
        (rf"\b(?:skip|skipping|ignore|ignoring|drop|dropping)\s+(?:any\s+)?unknown\s+{role}\b", "inner"),
    ]
    out = []
    for pat, how in pats:
        out += [(m, how) for m in re.finditer(pat, d.prompt, re.I)]
    return out


# -- the recognizer -----------------------------------------------------------------------------------


def rule(d: View) -> list[Claim]:
    """Claims for a self join of the base table: the other row's columns, comparisons with it, counts per it,
    what happens to rows without it; or pairs of rows sharing values."""
    base = d.base
    if base is None or d.union or d.self_join is not None:
        return []
    pairs = _pairs(d, base)
    if pairs is not None:
        return pairs
    keys = self_keys(d.catalog, base)
    said = [(k, m) for k in keys for m in re.finditer(rf"\b{_role_re(k)}{_POSS}?(?![\w'])", d.prompt, re.I)]
    said += [(k, m) for k in keys for m in _WORD.finditer(d.prompt)
             if m.group(0).lower().endswith(("ed", "ing")) and getLemma(m.group(0).lower(), upos="VERB")[0] in k.verbs]
    if not said:
        return []
    if len({k.column for k, _ in said}) > 1:
        raise PlanError(f"the request names two roles of {base} rows ({', '.join(sorted({k.role for k, _ in said}))})",
                        hint="ask for one of them at a time")  # fmt: skip
    k = said[0][0]
    info = d.catalog.table(base)
    alias = k.role if not d.catalog.has_table(k.role) and not info.has_column(k.role) else f"{k.role}_row"
    p = Pending(d)
    how: str | None = None
    read = counted = False
    others: list[OutputColumn] = []  # the other row's columns asked for
    role = _role_re(k)
    text = d.prompt

    # the other row's columns: "their manager's first and last name", "manager email"
    for m in re.finditer(rf"\b{_OWNER}?{role}(?P<poss>{_POSS})?\s+", text, re.I):
        if not p.free(m.start(), m.end()):
            continue
        cols, end = _column_list(d, info, m.end(), stop=role)
        if not cols or not p.free(m.start(), end):
            continue
        p.take(m.start(), end, why="the other row's columns")
        others += _outputs(info, alias, cols)
        read = True
    # "the name of their manager", "the email and job title of each employee's manager"
    for m in re.finditer(rf"\b(?:the\s+)?(?P<cols>[A-Za-z_][\w ,&]*?)\s+of\s+{_OWNER}{role}\b", text, re.I):
        start = m.start("cols")
        for w in _WORD.finditer(m.group("cols")):  # the list may start after other words
            s = m.start("cols") + w.start()
            cols, end = _column_list(d, info, s, stop=role)
            if cols and end == m.end("cols") and p.free(s, m.end()):
                start = s
                p.take(start, m.end(), why="the other row's columns")
                others += _outputs(info, alias, cols)
                read = True
                break
    # output names that spell the role: referrer_name, manager_email
    for m in re.finditer(rf"\b{re.escape(k.role)}_(?P<col>[a-z_]+)\b", text, re.I):
        if info.has_column(m.group(0)) or not p.free(m.start(), m.end()):
            continue
        named = _name_columns(d, info, m.group("col").replace("_", " "))
        if named and len(named) == 1:
            out = OutputColumn(column=f"{alias}.{named[0]}", name=m.group(0), provenance=m.group(0))
            # the same column read before ("the referrer's name ... referrer_name"): the name given is its name
            others = [c for c in others if c.column != out.column] + [out]
            p.take(m.start(), m.end(), why="an output named after the other row")
            read = True
    # comparisons with the other row
    for f, (a, b) in _comparisons(d, info, k, alias):
        if p.free(a, b):
            p.take(a, b, Edit.add("filters", f), why="a column compared with the other row's")
            how, read = "inner", True
    # counts per the other row: "how many employees report to each manager"
    for m in re.finditer(rf"\b(?:(?:report|reports|reporting)\s+to|(?:\w+ed)\s+by)\s+(?=(?:each|every|a|the|their)\s+{role}\b)"
                         rf"|\b(?:per|each|every|by)\s+(?={role}\b)", text, re.I):  # fmt: skip
        if re.search(r"\b(?:how\s+many|number|count|total)\b", text, re.I) and p.free(m.start(), m.end()):
            verb = re.match(r"(\w+)\s+by", m.group(0))
            if verb and getLemma(verb.group(1), upos="VERB")[0] not in k.verbs:
                continue
            if m.group(0).lower().split()[0] in ("report", "reports", "reporting") or verb:
                p.take(m.start(), m.end(), why="the relation to the other row")
            how, read, counted = "inner", True, True
    grouped = counted
    tables = "|".join(re.escape(f) + "s?" for f in sorted(_stems(base) | _short_names(d, base), key=len, reverse=True))
    verbed = r"(?P<verb>[a-z]+ed)"
    # "clubs sponsored by another club": the rows that have such a row
    for m in re.finditer(rf"\b{verbed}\s+by\s+(?:another|an?|some|one\s+of\s+the)\s+(?:other\s+)?(?:{tables})\b", text, re.I):
        if getLemma(m.group("verb"), upos="VERB")[0] in k.verbs and p.free(m.start(), m.end()):
            p.take(m.start(), m.end(), why="rows that have the other row")
            how, read = "inner", True
    # "how many organizations has each organization referred": a count per the other row
    for m in re.finditer(rf"\b(?:(?:has|have|did)\s+)?(?:each|every|per)\s+(?:{tables})\s+(?:(?:has|have)\s+)?{verbed}\b", text, re.I):
        if (getLemma(m.group("verb"), upos="VERB")[0] in k.verbs and re.search(r"\b(?:how\s+many|number|count)\b", text, re.I)
                and p.free(m.start("verb"), m.end())):  # fmt: skip
            p.take(m.start("verb"), m.end(), shared=True, why="a count per the other row")
            how, read, grouped = "inner", True, True
    at_least = None
    if grouped:  # "only managers with at least 3", "two or more": a condition on the count per the other row
        for m in _at_least(role, tables).finditer(text):
            n = parse_number(next(g for g in m.groups() if g and g.lower() != "more"))
            if isinstance(n, int) and p.free(m.start(), m.end()):
                at_least = n + 1 if m.group("more") else n
                p.take(m.start(), m.end(), why="a condition on the count per the other row")
                break
    if not read:
        return []
    said_how = None
    for m, kind in _join_words(d, k, base):
        if p.free(m.start(), m.end()):
            if said_how is not None and said_how != kind:
                raise PlanError("the request both keeps and drops rows without their " + k.role,
                                hint=f"say one: 'with the {k.role}'s name when there is one' or 'only rows whose {k.role} is in the table'")  # fmt: skip
            said_how = kind
            p.take(m.start(), m.end(), why="what happens to rows without the other row")
    if how == "inner" and said_how == "left":
        raise PlanError(f"rows without a {k.role} are kept, but the request compares or counts by the {k.role}",
                        hint="drop 'when there is one', or ask for the comparison alone")  # fmt: skip
    kind = said_how or how or "inner"
    sj = SelfJoin(alias, ((k.column, k.key),), kind, said=(said_how or how) is not None,  # type: ignore[arg-type]
                  words=f"{base}.{k.column} = {alias}.{k.key}", grouped=grouped, at_least=at_least,
                  columns=tuple(others))  # fmt: skip
    p.edit(Edit.set("self_join", sj), *_unnamed_tables(d, p), why=f"{base} read twice: each row and its {k.role}")
    return p.claims


def _at_least(role: str, tables: str) -> re.Pattern[str]:
    """"only managers with at least 3 (reports)", "(referrers) with two or more", "more than 4": N counted rows."""
    n = rf"({NUMBER_PATTERN})"
    head = rf"(?:(?:only|just)\s+)?(?:(?:the|those)\s+)?(?:(?:{role}|{tables})\s+)?(?:(?:with|having|that\s+have)\s+)?"
    return re.compile(rf"(?<![\w-]){head}(?:at\s+least\s+{n}|{n}\s+or\s+more|(?P<more>more)\s+than\s+{n})"
                      rf"(?:\s+(?:reports|{tables}|referrals))?(?:\s+only)?\b", re.I)  # fmt: skip


def _unnamed_tables(d: View, p: Pending) -> list[Edit]:
    """Tables the sources brought in by words this recognizer read as columns ("a different department": the
    row's department_id, not the departments table): taken out again."""
    said = [d.prompt[a:b].lower() for c in p.claims for a, b in c.spans]
    return [Edit.remove("tables", t) for t in d.tables
            if (w := d.table_words.get(t)) and any(re.search(rf"\b{re.escape(w.lower())}\b", x) for x in said)]


def _comparisons(d: View, info: TableInfo, k: SelfKey, alias: str) -> list[tuple[Filter, tuple[int, int]]]:
    """Comparisons of a column with the other row's ("whose fee is higher than their supervisor's")."""
    role = _role_re(k)
    ops = "|".join(sorted(_OPS, key=len, reverse=True))
    col = r"(?P<col>[A-Za-z_]+(?:\s+[A-Za-z_]+){0,2}?)"
    wide = r"(?P<col>[A-Za-z_]+(?:\s+[A-Za-z_]+){0,2})"  # at the end of a pattern: the longest column phrase
    pats = [
        # whose fee is higher than their supervisor's (fee)
        rf"\b(?:whose|where\s+(?:the|their|its))\s+{col}\s+(?:is|are|was|were)\s+(?P<op>{ops})\s+(?:than|from|as)\s+"
        rf"(?:that\s+of\s+)?{_OWNER}{role}{_POSS}?(?:\s+(?P=col))?",
        # with a higher fee than their supervisor
        rf"\b(?:with|having|has|have|had)\s+(?:an?\s+|the\s+)?(?P<op>{ops})\s+{col}\s+(?:than|from|as)\s+"
        rf"(?:that\s+of\s+)?{_OWNER}{role}{_POSS}?",
        # in a different department from their manager; at the same site as their supervisor
        rf"\b(?:in|at|on|from)\s+(?:an?\s+|the\s+)?(?P<op>different|same|another|other)\s+{col}\s+(?:than|from|to|as)\s+"
        rf"{_OWNER}{role}{_POSS}?",
        # whose supervisor works at a different clinic site
        rf"\bwhose\s+{role}\s+(?:\w+\s+)?(?:in|at|on|from|has|have)\s+(?:an?\s+|the\s+)?(?P<op>different|same|another|other)\s+{wide}",
        # hired before their manager
        rf"\b(?:who|that|which)?\s*(?:(?:was|were)\s+)?(?P<verb>[a-z]+ed)\s+(?P<op>before|after|earlier\s+than|later\s+than)\s+"
        rf"{_OWNER}{role}{_POSS}?\b(?:\s+(?:was|were|did))?",
    ]
    out: list[tuple[Filter, tuple[int, int]]] = []
    for pat in pats:
        for m in re.finditer(pat, d.prompt, re.I):
            verb = m.groupdict().get("verb")
            words = verb or m.group("col")
            event = verb_column(d, verb.lower(), [info.name]) if verb else None  # "hired" → hired_on
            cols, end = [event.split(".", 1)[1]] if event else _name_columns(d, info, words), m.end()
            while not cols and m.groupdict().get("col") and m.end("col") == m.end() and " " in words:
                words = words.rsplit(" ", 1)[0]  # "different clinic site for ...": the longest phrase that names one
                cols, end = _name_columns(d, info, words), m.start("col") + len(words)
            if not cols or len(cols) != 1 or cols[0].lower() in (k.column.lower(), k.key.lower()):
                continue
            c = info.column(cols[0])
            op = _OPS[m.group("op").lower().split()[0]]
            if op in (">", "<") and c.family not in NUMERIC_FAMILIES | TEMPORAL_FAMILIES:
                continue
            start = m.start() if not m.group(0).startswith(" ") else m.start() + 1
            f = Filter(column=f"{info.name}.{c.name}", operator=op, value_column=f"{alias}.{c.name}",  # type: ignore[arg-type]
                       provenance=m.group(0).strip())  # fmt: skip
            out.append((f, (start, end)))
    return out


# -- pairs --------------------------------------------------------------------------------------------

_PAIRS = re.compile(r"\bpairs?\b", re.I)


#: "kept_id = the smaller member_id", "with a_id the smaller id and b_id the larger": the
#: names of the pair's two keys
_SIDE = (r"(?P<name>[A-Za-z_]\w*_\w+|[A-Za-z_]\w*(?=\s*=))\s*(?:=|:|is|as|being|for)?\s*(?:the\s+)?"
         r"(?P<which>smaller|lower|lowest|smallest|larger|higher|greater|bigger|largest|highest)\b"
         r"(?:\s+(?:one|id|key|number|(?P<col>[A-Za-z_]\w*_id)))?")
_PAIR_NAME = re.compile(rf"\b{_SIDE}", re.I)
_TWICE = re.compile(r"\b(?:who|that|which)\s+(?:\w+\s+){0,2}?(?P<w>twice|more\s+than\s+once|two\s+times|again)\s*:\s*"
                    r"(?:\w+\s+){0,2}pairs\b", re.I)  # fmt: skip


def _pair_names(d: View, p: Pending, pk: str, shown: list[OutputColumn]) -> list[OutputColumn]:
    """The names the request gives the smaller and the larger key of each pair: the two shown keys renamed."""
    named: dict[int, str] = {}
    for m in _PAIR_NAME.finditer(d.prompt):
        col = m.group("col")
        if not p.free(m.start(), m.end()) or col and col.lower() != pk.lower() or d.catalog.table(
                owner_of(shown[0])).has_column(m.group("name")):  # fmt: skip
            continue
        side = 0 if m.group("which").lower() in ("smaller", "lower", "lowest", "smallest") else 1
        if side in named:
            continue
        named[side] = m.group("name")
        p.take(m.start(), m.end(), why="the name of the pair's " + ("smaller" if side == 0 else "larger") + " key")
    return [c.model_copy(update={"name": named[i]}) if i in named else c for i, c in enumerate(shown)]


def owner_of(c: OutputColumn) -> str:
    return (c.column or "").split(".")[0]


def _pairs(d: View, base: str) -> list[Claim] | None:
    """"pairs of patients with the same first name, last name and date of birth (ignoring case), one row per
    pair, the smaller id first": the table joined to itself on those columns, the first key below the second."""
    if not _PAIRS.search(d.prompt):
        return None
    info = d.catalog.table(base)
    if len(info.primary_key) != 1:
        return None
    same = re.search(r"\b(?:(?:with|having|have|has|on)\s+(?:the\s+)?same|(?:sharing|share|shares)(?:\s+the\s+same)?)\s+",
                     d.prompt, re.I)  # fmt: skip
    if same is None:
        return None
    cols, end = _column_list(d, info, same.end(), limit=8)
    if not cols:
        return None
    p = Pending(d)
    if not p.free(same.start(), end):
        return None
    pk = info.primary_key[0]
    alias = f"other_{singular(base)}" if not d.catalog.has_table(f"other_{singular(base)}") else f"{base}_pair"
    case = re.search(r"\(?\b(?:ignoring|regardless\s+of|disregarding|not\s+counting)\s+(?:the\s+)?(?:upper\s*/?\s*lower\s+)?case\b\)?"
                     r"|\(?\bcase[- ]insensitive(?:ly)?\b\)?", d.prompt, re.I)  # fmt: skip
    texts = {c for c, _ in cols if info.column(c).family == "text"} if case else set()
    keys = tuple((c, c) for c, _ in cols if c not in texts)
    conditions: list[ExpressionCondition | Filter] = [
        ExpressionCondition(expression=f"lower({base}.{c}) = lower({alias}.{c})", provenance="ignoring case")
        for c in dict.fromkeys(c for c, _ in cols if c in texts)
    ]
    conditions.append(Filter(column=f"{base}.{pk}", operator="<", value_column=f"{alias}.{pk}",
                             provenance="one row per pair, the smaller key first"))  # fmt: skip
    if not keys:  # the ON needs one pair of columns: the first compared in lower case, its value tested again
        return None
    shown = [OutputColumn(column=f"{base}.{pk}", name=f"first_{pk}"),
             OutputColumn(column=f"{alias}.{pk}", name=f"second_{pk}"),
             *(OutputColumn(column=f"{base}.{c}", name=c) for c in dict.fromkeys(c for c, _ in cols))]  # fmt: skip
    p.take(same.start(), end, why="rows sharing these values")
    if case and p.free(case.start(), case.end()):
        p.take(case.start(), case.end(), why="text compared in lower case")
    once = re.search(r"\b(?:one\s+row\s+(?:per|for\s+each|each)\s+pair|each\s+pair\s+(?:only\s+)?once)\b", d.prompt, re.I)
    if once and p.free(once.start(), once.end()):
        p.take(once.start(), once.end(), why="each pair once (the smaller key first)")
    first = re.search(r"\b(?:with\s+)?(?:the\s+)?(?:smaller|lower|lowest|smallest)\s+(?:\w+\s+)?(?:id|key|number)?\s*first\b",
                      d.prompt, re.I)  # fmt: skip
    if first and p.free(first.start(), first.end()):
        p.take(first.start(), first.end(), why="the smaller key first")
    for m in _PAIRS.finditer(d.prompt):
        if p.free(m.start(), m.end()):
            p.take(m.start(), m.end(), why="pairs of rows")
    shown = _pair_names(d, p, pk, shown)
    for m in _TWICE.finditer(d.prompt):  # "members who joined twice: pairs of ...": what the pairs are
        if p.free(m.start(), m.end("w")):  # (the verb too: "registered" is no condition of its own here)
            p.take(m.start(), m.end("w"), why="the rows the pairs are (said before them)")
    sj = SelfJoin(alias, keys, "inner", said=True, conditions=tuple(conditions),
                  words=" and ".join(f"{base}.{a} = {alias}.{b}" for a, b in keys))  # fmt: skip
    p.edit(Edit.set("self_join", sj), Edit.add("columns", *shown), why=f"pairs of {base} rows")
    return p.claims

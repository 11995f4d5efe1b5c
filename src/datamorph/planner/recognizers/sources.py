"""Which table the request is about (the base), from the tables it names, or else its columns and values.

A table's name explains itself and may also be part of a later phrase ("orders over 100"), so the
words of a table mention are claimed ``shared``; "table" after a name ("the orders table") is held.
"""

from __future__ import annotations

import re

from lemminflect import getLemma

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View, edit_only
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.matches import S_RANK_STEP, S_TABLE_SYNONYM
from datamorph.planner.recognizers.common import mention_span, mentions, on_words

_TABLE_WORD = re.compile(r"\s+(?:tables?|datasets?)\b", re.IGNORECASE)


def rule(d: View) -> list[Claim]:
    """The tables the request names (explicit "X table" first), or the table most of its columns/values are in."""
    found = mentions(d)
    rows_of = {i: t for i, m in enumerate(found) if (t := rows_of_another(d, found, i))}
    tables = [m for i, m in enumerate(found)
              if isinstance(m, TableMatch) and not _read_otherwise(d, m) and i not in rows_of]  # fmt: skip
    explicit = [m for m in tables if _TABLE_WORD.match(d.prompt, m.end if m.end >= 0 else 0) and m.end >= 0]
    for said in explicit:
        if _by_synonym(said):  # "from the invoices table" where there is none: not the orders table, whatever it means
            raise PlanError(f"'{said.text} table': the warehouse has no table of that name",
                            hint=f"did you mean {said.table}? Name a table as it is in the warehouse "
                                 f"(tables are: {', '.join(d.catalog.table_names())})")  # fmt: skip
    out: list[Claim] = []
    subject = _value_subject(d, found)
    if subject is not None and d.base is None:  # "Refunds that cleared in May, with the customer's name"
        out.append(edit_only(Edit.use_table(subject), why=f"the request opens with rows of {subject} (a value of it)"))
    words = dict(d.table_words)
    # in the order the request names them (an explicit "X table" first): the first is the base
    named: list[tuple[TableMatch | ColumnMatch | ValueMatch, str, str]]
    named = [(m, m.table, f"names the table {m.table}") for m in dict.fromkeys(explicit)]
    named += sorted([(m, m.table, f"names the table {m.table}") for m in tables if m not in explicit]
                    + [(found[i], owner, f"'{found[i].text}' after a {found[i - 1].text!r} of {owner}: the rows of "
                        f"{owner}, not the {found[i].table} table") for i, owner in rows_of.items()],
                    key=lambda x: x[0].start)  # fmt: skip
    for m, table, _ in sorted(named, key=lambda x: x[1] == x[0].table, reverse=True):
        words.setdefault(table, m.text)  # a table's own name before a word read as its rows
    for m, table, why in named:
        span = mention_span(d, m)
        out.append(on_words(d, *span, Edit.use_table(table), shared=True, over=True, why=why) if span
                   else edit_only(Edit.use_table(table), why=why))  # fmt: skip
    for m in explicit:  # "the orders table": the word 'table' is part of the name here
        w = _TABLE_WORD.match(d.prompt, m.end)
        if w:
            out.append(on_words(d, w.start(), w.end(), over=True, why="'table' after its name"))
    if words != d.table_words:
        out.append(edit_only(Edit.set("table_words", words), why="the words that named each table"))
    if d.base is None and not tables and not rows_of and subject is None:
        owners = [m.table for m in found if isinstance(m, (ColumnMatch, ValueMatch))]
        if owners:
            cover = _coverage(d, found)
            out.append(edit_only(Edit.use_table(max(dict.fromkeys(owners), key=lambda t: (cover.get(t, 0), owners.count(t)))),
                                 why="the table of the columns and values the request names"))  # fmt: skip
    return out


def _coverage(d: View, found: list[TableMatch | ColumnMatch | ValueMatch]) -> dict[str, int]:
    """How many of the request's column and value mentions each table holds: a column word several tables share
    ("amount") counts for each table whose column it names as well as the best; a value for its own table.
    ("order_id, amount and amount_eur": orders holds all three; the linker named another table's amount first.)"""
    cover: dict[str, int] = {}
    for m in found:
        if isinstance(m, ValueMatch):
            cover[m.table] = cover.get(m.table, 0) + 1
        elif isinstance(m, ColumnMatch):
            hits = d.linker.columns(m.text)
            top = hits[0].score if hits else m.score
            for t in {h.table for h in hits if h.score >= top} | {m.table}:
                cover[t] = cover.get(t, 0) + 1
    return cover


_OWNER = re.compile(r"(?P<w>[A-Za-z][\w-]*?)(?P<pos>'s|s'|’s|s’)?\s+", re.IGNORECASE)


def owners(d: View) -> list[Claim]:
    """ "every vendor's phone in upper case": the table's word that the linker read as part of a column's
    mention names that table, once the column's own words are explained (runs late, takes only free words)."""
    out = []
    for m in mentions(d):
        if not isinstance(m, ColumnMatch) or m.start < 0:
            continue
        w = _OWNER.match(d.prompt, m.start, m.end)
        if w is None or w.end() >= m.end or not all(t.used for t in d.tokens.within(w.end(), m.end) if t.kind == "word"):
            continue
        end = w.end("pos") if w.group("pos") else w.end("w")
        if d.free(m.start, end) and any(t.table == m.table and t.score >= 0.85 for t in d.linker.tables(w.group("w"))[:1]):
            out.append(on_words(d, m.start, end, why=f"'{d.prompt[m.start : end]}' names the table of {m.table}.{m.column}"))
    return out


def _by_synonym(m: TableMatch) -> bool:
    """The match is a synonym of the table's name ("clients" → customers), not the name, its form or a typo."""
    return S_TABLE_SYNONYM - 3 * S_RANK_STEP - 1e-9 <= m.score <= S_TABLE_SYNONYM + 1e-9


def rows_of_another(d: View, found: list[TableMatch | ColumnMatch | ValueMatch], i: int) -> str | None:
    """The table whose rows a loose table word names when the word right before it is a value or a column of
    that other table ("resolved visits" where only consultations have the status 'resolved'; "commission
    income" where commission is a bookings column): the word is only a synonym of its table (a "visit" may be
    a web session, "income" a salary), that table has no such value or column, and no foreign key joins the
    two (then "pro visits" are the sessions of the users on the pro plan: two tables, both in play)."""
    m = found[i]
    if not isinstance(m, TableMatch) or i == 0 or m.score > S_TABLE_SYNONYM or m.start < 0:
        return None
    before = found[i - 1]
    if not isinstance(before, (ValueMatch, ColumnMatch)) or before.table == m.table or before.end < 0:
        return None
    if d.prompt[before.end : m.start].strip() or before.table in d.linker.neighbors(m.table):
        return None
    if d.linker.values(before.text, [m.table]) or any(c.score >= 0.8 for c in d.linker.columns(before.text, [m.table])):
        return None
    return before.table


def _value_subject(d: View, found: list[TableMatch | ColumnMatch | ValueMatch]) -> str | None:
    """The table whose rows the request's first word names as a plural of one of its values ("Refunds over
    100" where refund is a transaction type; "Renewals that were signed in 2023" where renewal is a
    change reason): that table is the base, the tables named later are joined to it. Only a plural noun
    that opens the request, and no table named before it."""
    first = next((t for t in d.tokens.items if t.kind == "word"), None)
    if not found or first is None or not isinstance(found[0], ValueMatch) or found[0].start != first.start:
        return None
    word = first.text.lower()
    if found[0].end != first.end or getLemma(word, upos="NOUN")[0] == word:
        return None  # a plural noun ("refunds"), not an adjective ("completed visits": the noun decides)
    return found[0].table


def rows_owner_at(d: View, start: int, end: int) -> str | None:
    """The table whose rows the loose table word at ``[start, end)`` names (:func:`rows_of_another`), if any."""
    found = list(d.mentions)
    return next((t for i, m in enumerate(found) if m.start < end and start < m.end
                 and (t := rows_of_another(d, found, i))), None)  # fmt: skip


def _read_otherwise(d: View, m: TableMatch) -> bool:
    """A step before this one read the mention's words as something else, and holds them ("columns in this
    order": the word names no table there)."""
    if m.start < 0 or m.end <= m.start or m.table in (d.base, *d.tables):
        return False  # (a step that read the words as this table, "join customers and orders", holds them too)
    toks = [t for t in d.tokens.overlapping(m.start, m.end) if t.kind != "punct"]
    return bool(toks) and all(t.used and not t.shared for t in toks)

"""Rows whose related row is missing: drop them (inner join) or keep them (left join from the base).

Runs right after ``sources``. A clause names a related thing that may be
missing — "without a genre", "that lack a genre", "whose warehouse is not in the warehouses
table", "whose department_id has no row in departments", "whose owner we can't trace", "if the customer
is unknown", "not tied to any known vehicle and depot", "that point to no patient", "guest carts" — and
says what to do with those rows:

- dropped ("may be discarded", "skip", "leave out", "ignore", "exclude", "lose", "thrown away", "we don't
  want"..., a permission such as "it's fine to lose", or an exception that leads to the phrase: "all
  products except the ones lacking a category"), or "only orders whose customer exists" / "with a
  matching customer": the related table comes into play and the default inner join drops them (a NULL
  key, as for guest carts, drops too);
- kept ("keep orders even if the customer is unknown", "including books without a genre", "don't
  drop...", "we don't want to lose...", "it's not fine to lose..."): ``preserve_base`` (left joins from
  the base); "keep *only* the ones whose customer is missing" (those rows alone) is not read;
- neither, where the related table points at the base ("accounts with no deals"): an anti join
  (the base rows no related row points at). Not where the missing thing is the request's own
  rows' key ("guest carts without a shopper_id"): those are rows to leave out, not an anti join.

The missing thing may be along a chain of keys ("whose product's category is unknown", "whose session has
no user", "page views from sessions without a known user"): every table on the way is required when rows
are dropped. A related table that points at the base ("customers; drop the ones without orders", "skip orgs
with no *active* subscription", "leave out customers who never ordered", or reached through the rows that
do: "products never ordered") would repeat the base rows: named nowhere else in the request, it is joined
only to require a match (``semi_tables``: each base row once, see ``draft._semi_join``), and not joined at
all when the rows are kept ("including customers who never ordered"). Key values rather than rows
("including account ids that have no accounts row") are kept with no join to that table
(:func:`~datamorph.planner.recognizers.policy.keep_keys`).

The rows' own column may be what is missing ("skip orgs without an industry", "patients whose email is
blank are dropped", "sessions without a user_id shouldn't appear"): dropped, that column is filled in (``IS
NOT NULL``); kept, with a word that says they are kept as well ("including ... even if their phone is
missing"), nothing changes; "keep X whose C is missing" alone, a yes/no column ("without a verified email")
and "without a fee" of a number that may be 0 are not read.

Without such a verb ("tickets without an assignee") the clause is a NULL test, left to ``filters``.
Where a clause could mean rows of other tables (the orphans alone, said with "except" before "with a
valid customer"), nothing is read.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from lemminflect import getLemma

from datamorph.catalog import NUMERIC_FAMILIES
from datamorph.errors import DataMorphError, PlanError
from datamorph.planner.claims import Claim, Edit, Span, View
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.common import mention_span, mentions
from datamorph.planner.recognizers.filter_base import Play
from datamorph.planner.recognizers.policy import DROP_VERB, keep_keys, many_to_one
from datamorph.spec import Filter

_W = r"[A-Za-z_][\w]*"
_NOT_PERIOD = r"(?!(?:last|this|next|past|previous|prior|yesterday|today)\b)"  # "no orders last year": a period
_POSS = r"(?:'s|s')?"  # "whose product's category": the category of the product
_X = rf"(?P<x>{_W}{_POSS}(?:\s+(?:or|and|its|their|the|/|,)*\s*{_W}{_POSS}){{0,4}}?)"
_ADJ = r"(?:matching\s+|valid\s+|known\s+|corresponding\s+|existing\s+|real\s+)"
_ROW = r"(?:rows?|records?|entry|entries|match(?:es)?|counterparts?)"
_NEG_LINK = r"(?:not|never|\w+n't|cannot|can\s+not|could\s+not|will\s+not|does\s+not|do\s+not|did\s+not|fail(?:s|ed)?\s+to)"
_LINK = (r"(?:tied|tie|linked|link|matched|match|connected|connect|traced|trace|mapped|map|joined|join|attached|resolved|"
         r"belong|belongs|belonging|associated|assigned|lead|leads|led|refer|refers|referred|correspond|corresponds|"
         r"go|goes|trace\s+back|point|points)")
_LIST = (rf"(?P<x>{_W}(?:\s*(?:,|\band\b|\bor\b|&|/)\s*(?:an?\s+|the\s+|any\s+)?{_ADJ}?{_W}){{0,3}})")
_TBL = rf"(?:\s+(?:in|from|of)\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?"
_NONE_LEAD = (r"without|lacking|missing|with\s+no|but\s+no|(?:that|which|who)\s+(?:has|have|had)\s+no|having\s+no|"
              r"(?:that|which|who)\s+lack(?:s|ed)?")
#: "Which doctors have no appointments?", "customers with zero orders": read after every other shape ("whose
#: session has no user" is the session's)
_NONE_LEAD_BARE = r"(?:has|have|had)\s+no|(?:with|having|has|have|had|placed|made|got|received)\s+zero"
_MISSING = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        # without a genre / with no matching customer / that have no department / missing a product
        rf"\b(?:{_NONE_LEAD})\s+"
        rf"(?:an?\s+|any\s+|the\s+|their\s+|its\s+)?(?:matching\s+|valid\s+|known\s+|corresponding\s+|existing\s+)?"
        rf"(?P<x>{_W}(?:\s+(?!on\b){_NOT_PERIOD}{_W})?)(?:\s+(?:row|record|entry|match))?(?:\s+on\s+(?:file|record))?{_TBL}",
        # that never had a deal / who have never placed an order / never booked any appointment
        # ... or "who haven't placed any order", "that did not book a room", "who have not had a refund"
        rf"\b(?:(?:that|which|who)\s+)?(?:(?:(?:has|have|had)\s+)?never|(?:has|have|had|did|do|does)\s+not|hasn't|"
        rf"haven't|hadn't|didn't|don't|doesn't)\s+"
        rf"(?!(?:be\s+)?(?:drop|skip|ignor|leav|exclud|remov|omit|discard|filter|los|keep|includ|count|show|list|appear|"
        rf"report|lead|led\b|refer|correspond|point|link|tie|match|connect|trace|map|belong|resolve)\w*)"
        rf"(?:(?P<v>had|have|has|got|placed|made|received|"
        rf"booked|opened|signed|bought|ordered|closed|won|held|attended|written|wrote|issued|paid|used|"
        rf"received|got|given|place|make|receive|get|book|open|buy|order|hold|attend|write|issue|pay|use)\s+)?"
        rf"(?:an?\s+|any\s+)?(?P<x>{_W}(?:\s+{_NOT_PERIOD}{_W})?){_TBL}",
        # whose warehouse is not in the warehouses table / whose vendor can't be found / is unknown
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:is|are|was|were)\s+(?:not|n't)\s+|isn't\s+|aren't\s+|wasn't\s+|weren't\s+)"
        rf"(?:in|found\s+in|present\s+in|listed\s+in|part\s+of|among|there|found|known|present|listed|"
        rf"on\s+(?:file|record))"
        rf"(?:\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?",
        # whose account_id doesn't match any account / an existing account
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:does|do|did)\s+not|doesn't|don't|didn't|no\s+longer)\s+(?:match|resolve\s+to|point\s+(?:at|to))(?:es)?\s+"
        rf"(?:any|an?|the)\s+(?:existing\s+|known\s+|valid\s+)?(?P<y>{_W})(?:\s+(?:row|record|entry))?",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:does|do|did)\s+not|doesn't|don't|didn't|no\s+longer)\s+(?:exist|match|appear|resolve)s?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:can't|cannot|can\s+not|couldn't|could\s+not)\s+be\s+(?:found|matched|looked\s+up|resolved){_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:we|you|i|one)\s+(?:can't|cannot|can\s+not|couldn't|could\s+not|don't|do\s+not)\s+"
        rf"(?:find|match|look\s+up|resolve|know)(?:\s+(?:it|them))?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:is|are|was|were)\s+(?:unknown|missing|not\s+found|invalid|orphaned|dangling|gone|deleted)",
        # pointing at a warehouse that doesn't exist / linked to a deleted account / of unknown members
        rf"\b(?:pointing|points|point|referring|refers|refer|linked|tied|belonging|attached|referencing|references)\s+"
        rf"(?:at|to)?\s*(?:an?\s+|the\s+)?(?P<x>{_W})\s+(?:that|which)\s+(?:(?:does|do|did)\s+not|doesn't|don't|"
        rf"didn't|no\s+longer)\s+exists?",
        rf"\b(?:pointing|points|point|referring|refers|refer|linked|tied|belonging|attached|referencing|references)\s+"
        rf"(?:at|to)?\s*(?:an?\s+|the\s+)?(?:unknown|missing|non-?existent|nonexisting|deleted|invalid)\s+(?P<x>{_W})",
        rf"\b(?:of|from|by|for|with|to)\s+(?:an?\s+)?(?:unknown|non-?existent|nonexisting|deleted|invalid)\s+(?P<x>{_W})",
        # whose department_id has no row in departments / whose session has no (known) user
        rf"\b(?:whose|where|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:has|have|had|finds?|found|gets?|got)\s+no\s+{_ADJ}?(?:{_ROW}\s+(?:in|from|among|within)\s+(?:the\s+)?"
        rf"(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?|(?P<z>{_W}))",
        # that point to no patient
        rf"\b(?:points?|pointing|refers?|referring|linked|tied)\s+(?:at|to)\s+no\s+{_ADJ}?(?P<x>{_W}(?:\s+{_W})?){_TBL}",
        # not tied to any known appointment / cannot be linked to a vehicle and depot / can't be matched to a customer
        rf"\b{_NEG_LINK}\s+(?:be\s+|been\s+)?{_LINK}(?:\s+(?:back|up))?\s+(?:to|with|against)\s+"
        rf"(?:any\s+|an?\s+|the\s+|one\s+of\s+the\s+)?{_ADJ}?{_LIST}",
        rf"\b(?:{_NONE_LEAD_BARE})\s+"
        rf"(?:an?\s+|any\s+|the\s+|their\s+|its\s+)?(?:matching\s+|valid\s+|known\s+|corresponding\s+|existing\s+)?"
        rf"(?P<x>{_W}(?:\s+(?!on\b){_NOT_PERIOD}{_W})?)(?:\s+(?:row|record|entry|match))?(?:\s+on\s+(?:file|record))?{_TBL}",
    )
)
_SPELLED = (_MISSING[0], _MISSING[7])  # "without a user_id", "whose user_id is missing": a key spelled as its column
_NARROWABLE = (*_MISSING[:2], _MISSING[-1])  # "without a cancelled order", "never had a refund": a kind of related row may be meant
_EXISTS = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        rf"\b(?:whose|where)\s+(?:the\s+|its\s+|their\s+)?{_X}\s+(?:exists?|is\s+known|can\s+be\s+found|is\s+found|"
        rf"is\s+(?:in|present\s+in|listed\s+in))(?:\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?",
        rf"\b(?:with|having|that\s+(?:has|have)|which\s+(?:has|have))\s+(?:an?\s+)?(?:matching|valid|known|existing|"
        rf"corresponding)\s+(?P<x>{_W}(?:\s+{_W})?)(?:\s+(?:row|record|entry))?{_TBL}",
    )
)
_ANON = re.compile(rf"\b(?:anonymous|unidentified|guest|logged[\s-]out)\s+(?P<s>{_W}(?:\s+{_W})?)", re.IGNORECASE)
# not counted, shown or included: "shouldn't appear", "don't include", "aren't counted", "must not show up"
_ABSENT = (r"(?:(?:don't|do\s+not|doesn't|does\s+not|shouldn't|should\s+not|must\s+not|mustn't|won't|will\s+not|"
           r"never|need\s+not|needn't)\s+(?:be\s+)?(?:appear|show(?:\s+up)?|include|list|report|counted|included|"
           r"listed|shown|reported|kept|considered|wanted)|(?:are|is|were|was|get|gets)\s+not\s+(?:counted|included|"
           r"listed|shown|reported|kept|considered|wanted)|(?:aren't|isn't|weren't|wasn't)\s+(?:counted|included|"
           r"listed|shown|reported|kept|considered|wanted)|(?:have|has)\s+no\s+place|"
           r"(?:don't|do\s+not|doesn't|does\s+not)\s+care\s+(?:about|for)|(?:(?:are|is|am)\s+not|aren't|isn't)\s+"
           r"interested\s+in)")
# "it's fine to lose", "it is ok if we drop": leaving them out is allowed
_ALLOWED = (r"(?:(?:it's|it\s+is|that's|that\s+is|it\s+was)\s+)?(?:fine|ok|okay|alright|all\s+right|acceptable|safe)\s+"
            r"(?:to|if\s+(?:we|you|i|they)|if)\s+")
_DROP = re.compile(
    rf"\b(?:{_ALLOWED})?(?:(?:we|you|i|they)\s+)?(?:(?:can|should|may|must|will|could)\s+(?:safely\s+|just\s+|simply\s+)?"
    rf"(?:be\s+)?)?(?:safely\s+|just\s+|simply\s+)?"
    rf"(?:{DROP_VERB}|can\s+go|don't\s+need|do\s+not\s+need|not\s+needed|don't\s+count|do\s+not\s+count|"
    rf"(?:don't|do\s+not)\s+want(?!\s+to\b)|{_ABSENT})\b"
    rf"(?:\s+(?:them|those|these|it))?",
    re.IGNORECASE,
)
# a verb of leaving out, negated: "don't drop", "we don't want to lose", "it's not fine to drop", "can't be skipped"
_NOT_DROP = re.compile(r"\b(?:don't|do\s+not|never|shouldn't|should\s+not|must\s+not|mustn't|without|not|isn't|"
                       r"can't|cannot|can\s+not|won't|will\s+not)\s+"
                       r"(?:be\s+|(?:fine|ok|okay|alright|acceptable|safe)\s+(?:to|if\s+(?:we|you|i|they))\s+|"
                       r"(?:want|need|wish|mean)\s+to\s+)?"
                       r"(?:drop|skip|ignor|leav|left|exclud|remov|omit|discard|filter|los|throw|thrown|toss|get\s+rid)\w*"
                       r"(?:\s+(?:out|away|them|those|these|it))?", re.IGNORECASE)  # fmt: skip
# "all products except the ones lacking a category": the rows the missing phrase names are left out
_EXCEPT = re.compile(r"\b(?:except(?:\s+for)?|other\s+than|apart\s+from|but\s+not|save\s+for)\b", re.IGNORECASE)
_KEEP = re.compile(
    r"\b(?:keep(?:ing)?|kept|retain(?:ed|ing)?|preserv(?:e|ed|ing)|includ(?:e|ed|ing)|still\s+(?:show|list|include|"
    r"count|return)|(?:with\s+or\s+without|even\s+(?:if|when|those|the\s+ones|ones|where|though))(?:\s+(?:they|it))?)\b",
    re.IGNORECASE,
)
_ONLY_KEEP = re.compile(r"\b(?:keep(?:s|ing)?|kept|retain(?:s|ed|ing)?|preserv(?:e|es|ed|ing)|includ(?:e|es|ed|ing))\s+"
                        r"(?:only|just|solely|exclusively)\b|\b(?:only|just)\s+(?:keep|retain|preserve|include)",
                        re.IGNORECASE)  # fmt: skip
_EVEN = re.compile(r"\beven\s+(?:if|when|where|though|those|the\s+ones|ones)\b|\bwith\s+or\s+", re.IGNORECASE)
# a kept clause about rows with an empty value says they are kept as well ("including those even if ...")
_RETAIN = re.compile(r"\b(?:even|also|still|too|as\s+well|includ(?:e|es|ed|ing)|with\s+or\s+without)\b|"
                     r"\b(?:don't|do\s+not|never|shouldn't|should\s+not|must\s+not|mustn't|not)\s+(?:be\s+)?"
                     r"(?:drop|skip|ignor|leav|left|exclud|remov|omit|discard|filter|los|throw|thrown|toss)", re.I)
_TABLE_WORD = re.compile(r"\s+(?:tables?|datasets?)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.;!?\n,]+")
#: "..., but keep ...", "... but do not drop ...": a turn to the other verb starts a clause of its own
_TURN = re.compile(r"\bbut\s+(?=(?:(?:do\s+not|don't|never)\s+)?(?:keep|retain|include|preserve|drop|skip|exclude|leave|"
                   r"remove|ignore|omit|discard)\b)", re.IGNORECASE)
_CONNECT = frozenset(STOPWORDS | {"or", "and", "only", "even", "if", "when", "just", "simply", "safely", "too",
                                  "also", "any", "those", "ones", "can", "should", "may", "be", "not", "but", "then",
                                  "please", "so", "otherwise"})  # fmt: skip
# words for "the rows" the clause is about: "excluding anyone whose ...", "dropping any line whose ..."
_ROWS = frozenset({"ones", "anyone", "anybody", "anything", "whatever", "everything", "item", "items", "line",
                   "lines", "entry", "entries", "row", "rows", "record", "records"})


@dataclass
class _Found:
    start: int
    end: int
    tables: list[str]
    kind: str  # missing, exists, empty (a column of them: "without an email"; their key: "anonymous visits")
    conds: list[Filter] = field(default_factory=list)  # which related rows count: "never had a *refund*"
    own: list[Filter] = field(default_factory=list)  # empty: the rows' own column is filled in ("without an email")


@dataclass
class _Work(Play):
    """This recognizer's claims, and the draft's ``required_tables``/``anti_tables`` once they apply."""

    required: list[str] = field(default_factory=list)
    anti: list[str] = field(default_factory=list)


def rule(d: View) -> list[Claim]:
    """Bring related tables into play for orphan-row clauses; keep base rows (left joins) when they are kept."""
    if d.base is None:
        return []
    w = _Work(d, base=d.base, tables=list(d.tables), required=list(d.required_tables), anti=list(d.anti_tables))
    for clause in _CLAUSE.finditer(d.prompt):
        cuts = [clause.start(), *(m.start() for m in _TURN.finditer(d.prompt, clause.start(), clause.end())), clause.end()]
        for a, b in itertools.pairwise(cuts):  # "drop guest carts but keep ids unknown to shoppers": two
            _clause(w, a, b)
    return w.claims


def _clause(w: _Work, cstart: int, cend: int) -> None:
    found = _found(w, cstart, cend)
    key = _key_subject(w, w.view.prompt[cstart : min(f.start for f in found)], found) if found else None
    if key is not None:  # "including account ids that have no accounts row": the key values, not the rows
        _kept_keys(w, cstart, cend, found, key)
        return
    if found:
        first = min(found, key=lambda f: f.start)
        via = _via(w, cstart, first)
        if via is not None:  # "page views from sessions without a known user": sessions is on the way
            first.tables = [via, *first.tables]
        _subject(w, w.view.prompt[cstart : first.start], [t for f in found for t in f.tables])
    found = [f for f in found if f.kind == "empty" or any(t != w.base for t in f.tables)]
    if not found:
        return
    clause = w.view.prompt[cstart:cend]
    mode, verbs = _mode(w, clause, found, cstart)
    if mode is None or mode == "anti" and any(f.kind == "empty" for f in found):
        return  # "tickets without an assignee": a NULL test, for filters
    if mode == "keep" and any(w.base in f.tables for f in found):
        return  # "keep whatever can't be tied to a vet" with vets as the base: which rows are kept is unknown
    if mode == "keep" and any(f.conds for f in found):
        return  # "keep members even if they never had a refund": not read here
    if mode == "keep" and any(f.kind == "empty" for f in found) and not _RETAIN.search(clause):
        return  # "keep customers whose phone is missing": those alone, or them too? not guessed
    spans = [(cstart + v.start(), cstart + v.end()) for v in verbs]
    said_of_base = _said_of_base(w, cstart, found, spans)
    if mode != "anti" and not said_of_base and any(f.kind == "empty" for f in found):
        return  # "skip duplicates of orgs without an industry": whose rows? left to the other words
    if mode != "anti" and not _one_each(w, found, mode, said_of_base):
        return  # "number of orders per customer, including customers without orders": groups kept at 0 (aggregates)
    if mode == "drop":
        for f in found:  # "order items whose category is unknown": an item without a product has none either
            f.tables = list(dict.fromkeys(x for t in f.tables for x in [*_on_the_way(w, t), t]))
    repeat = [] if mode == "anti" else _repeating(w, found)
    _take_clause(w, cstart, found, spans, mode, repeat)
    tables = sorted({t for f in found for t in f.tables})
    if mode == "anti":
        related = [t for t in tables if t != w.base]  # the base's own rows are what is kept
        conds = [c for f in found for c in f.conds]
        kinds = f" ({' and '.join(str(c.provenance) for c in conds)})" if conds else ""
        w.edit(*[e for t in related for e in _anti_join(w, t)],
               *([Edit.add("on_conditions", *conds)] if conds else []),
               Edit.add("notes", f"only {w.base} rows without a matching {', '.join(related)} row{kinds}"))
        return
    edits: list[Edit] = []
    joined = [t for t in tables if mode == "drop" or t not in repeat]
    if mode == "keep" and joined:
        edits.append(Edit.set("preserve_base", True))
    if mode == "drop":
        edits += [Edit.add("filters", *conds)] if (conds := [c for f in found for c in f.conds]) else []
    notes = [f"{mode} rows without a matching {', '.join(joined)} row" if joined else "",
             f"{mode} rows without a matching {', '.join(repeat)} row ({repeat[0]} not joined)"
             if mode == "keep" and repeat else "",
             f"{mode} rows whose {', '.join(str(c.column) for f in found for c in f.own)} is empty"
             if any(f.own for f in found) else ""]
    w.edit(*edits, *[Edit.add("notes", n) for n in notes if n])


def _said_of_base(w: _Work, cstart: int, found: list[_Found], verbs: list[Span]) -> bool:
    """Every word of the clause before the missing phrase is a verb of it, a small word, a word for rows or a
    table's name, or explained already: the rows it is about are the base ("customers; drop the ones ..."),
    not words nobody read ("ignoring scripts that ...")."""
    nouns = _table_spans(w)
    first = min(f.start for f in found)
    return all(w.explained(t) or any(a <= t.start < b for a, b in verbs)
               or _small_or_table(w, t.text, t.start, t.end, nouns)
               for t in w.view.tokens.within(cstart, first) if t.kind != "punct")  # fmt: skip


def _one_each(w: _Work, found: list[_Found], mode: str, said_of_base: bool = True) -> bool:
    """Rows dropped or kept for a missing related row must each meet at most one row of the related tables
    (a key pointing at them: orphans). Where a related table points at the rows instead ("customers; drop
    the ones without orders"), a join would repeat them: refused, unless the table is named elsewhere in
    the request ("customers with their orders, dropping ...") or the rows are counted or totalled (dropped:
    the inner join; kept: False, the groups without rows are the aggregates' to keep). False too (not read)
    where the join path to the table goes through other rows."""
    base = w.base
    assert base is not None
    for t in sorted({t for f in found for t in f.tables if t != base}):
        if many_to_one(w, base, t):
            continue
        if not _points_back(w, base, t):
            return False  # reached through other rows ("patients ... no doctor" joined via visits): not read
        if _AGGREGATE_CUE.search(w.view.prompt):
            if mode == "keep":
                return False
            continue
        if _named_elsewhere(w, t, found):
            continue
        if not said_of_base:
            return False  # "ignoring scripts that can't be linked to ...": whose rows? left to the other words
    return True


def _repeating(w: _Work, found: list[_Found]) -> list[str]:
    """The related tables that point at the base and that the request names nowhere else ("customers with their
    orders" asks for the pairs): joined only to require a match when the rows are dropped ("skip customers who
    never ordered": a semi join, each base row once, unless the plan reads their columns after all, see
    ``draft._semi_join``), or, when the rows are kept ("including customers who never ordered"), not joined."""
    base = w.base
    assert base is not None
    return [t for t in sorted({t for f in found for t in f.tables if t != base})
            if not many_to_one(w, base, t) and _points_back(w, base, t) and not _named_elsewhere(w, t, found)]


def _points_back(w: View | Play, base: str, table: str) -> bool:
    """``table``'s rows point at the base's (``deals.account_id``), or it is reached from rows that do
    (products ← order_items → orders: "products never ordered"; doctors ← appointments ← prescriptions)."""
    if _child_key(w, base, table) is not None:
        return True
    try:
        edges = w.linker.join_path([base, table])
    except DataMorphError:
        return False
    first = next((e for e in edges if base in (e.left_table, e.right_table)), None)
    if first is None or len(edges) not in (2, 3):
        return False
    child = first.right_table if first.left_table == base else first.left_table
    return _child_key(w, base, child) is not None  # (the rows beyond it only say which of them count)


def _on_the_way(w: _Work, table: str) -> list[str]:
    """The tables the join path from the base to ``table`` goes through."""
    if w.base is None or table == w.base:
        return []
    try:
        edges = w.linker.join_path([w.base, table])
    except DataMorphError:
        return []
    return list(dict.fromkeys(t for e in edges for t in (e.left_table, e.right_table) if t not in (w.base, table)))


def _named_elsewhere(w: _Work, table: str, found: list[_Found]) -> bool:
    """The request names ``table``, a column or a data value of it outside the clause's phrases about missing
    rows ("customers with their orders", "members with their fines"); a key the base holds too is no sign, nor
    is a verb the table's name comes from ("sorted" words: "ordered by email")."""
    own = {c.name.lower() for c in w.catalog.table(w.base).columns} if w.base else set()
    for m in mentions(w.view):
        if m.table != table or m.score < 0.85 or not isinstance(m, TableMatch) and m.column.lower() in own:
            continue
        name = (table if isinstance(m, TableMatch) else m.column).lower()
        if re.search(r"(?:ed|ing)$", m.text, re.IGNORECASE) and not name.startswith(m.text.lower()):
            continue
        span = mention_span(w.view, m)
        if span is not None and not any(f.start <= span[0] < f.end or f.end <= span[0] and not
                                        w.view.prompt[f.end : span[0]].strip()
                                        for f in found):  # (or right after it: "no active *subscription*")
            return True
    return False


_KEYWORDS = re.compile(r"(?:(?:that|which|who|with|whose)\s+)?$", re.IGNORECASE)


def _key_subject(w: _Work, before: str, found: list[_Found]) -> tuple[str, str] | None:
    """The clause is about key values, not rows: "account ids that have no accounts row", "customer_ids with no
    customer" (a column of the base pointing at the missing table). The words that name it, and that table."""
    base = w.base
    if base is None:
        return None
    words = re.findall(r"[A-Za-z_]\w*", before[: _KEYWORDS.search(before).start()])  # type: ignore[union-attr]
    missing = {t for f in found for t in f.tables}
    for n in (2, 1):
        if len(words) < n:
            continue
        phrase = " ".join(words[-n:])
        if not re.search(r"(?:_|\b)(?:id|ids|key|keys)$", phrase, re.IGNORECASE):
            continue
        for c in w.linker.columns(phrase, [base])[:1]:
            target = _key_target(w, c.column)
            if c.score >= 0.85 and target in missing:
                return phrase, target
    return None


def _kept_keys(w: _Work, cstart: int, cend: int, found: list[_Found], key: tuple[str, str]) -> None:
    """"including account ids that have no accounts row": keep the rows whose key names no row there (no join to
    it), or, said with a verb of leaving out, drop them (an inner join, as for rows). Refused where the request
    also reads a column of the missing table: those rows would have none."""
    phrase, missing = key
    mode, verbs = _mode(w, w.view.prompt[cstart:cend], found, cstart)
    if mode == "drop":
        _take_clause(w, cstart, found, [(cstart + v.start(), cstart + v.end()) for v in verbs], mode)
        w.edit(Edit.add("notes", f"drop rows without a matching {missing} row"))
        return
    if mode != "keep" or len({t for f in found for t in f.tables}) != 1:
        return
    start = min([cstart + v.start() for v in verbs] + [f.start for f in found])
    end = max(f.end for f in found)
    if _reads_columns_of(w, missing, start, end):
        raise PlanError(f"'{w.view.prompt[start:end]}': those rows have no {missing} row, yet the request reads "
                        f"{missing} columns", hint=f"keep the {phrase} without a {missing} row, or the {missing} "
                        "columns, not both")  # fmt: skip
    keep_keys(w, missing, phrase, start, end)


def _reads_columns_of(w: _Work, table: str, start: int, end: int) -> bool:
    """The request names a column or a data value of ``table`` outside ``[start, end)``, other than the key
    the rows hold (``account_id`` of accounts is also the transactions' own column)."""
    base = w.base
    own = {c.name.lower() for c in w.catalog.table(base).columns} if base else set()
    for m in mentions(w.view):
        if isinstance(m, TableMatch) or m.table != table or m.score < 0.85 or m.column.lower() in own:
            continue
        span = mention_span(w.view, m)
        if span is not None and not start <= span[0] < end:
            return True
    return False


_VIA = re.compile(rf"\b(?P<a>{_W}(?:\s+{_W})?)\s+(?:from|of|in|on|under|belonging\s+to|for)\s+(?:the\s+|their\s+|its\s+)?"
                  rf"(?P<b>{_W}(?:\s+{_W})?)\s+(?:(?:that|which|who|whose)\s+)?$", re.IGNORECASE)  # fmt: skip


def _via(w: _Work, cstart: int, first: _Found) -> str | None:
    """"page views from sessions without a known user": the table the missing thing belongs to, between the
    rows the clause is about and the missing table (each row meets one of it, and it meets one of the
    missing table)."""
    m = _VIA.search(w.view.prompt[cstart : first.start])
    if m is None:
        return None
    a = _table(w, m.group("a")) or _table(w, m.group("a").split()[-1]) or w.base
    b = _table(w, m.group("b"))
    if a is None or b is None or a == b or b in first.tables:
        return None
    if not many_to_one(w, a, b) or not all(many_to_one(w, b, t) for t in first.tables):
        return None
    return b


def _found(w: _Work, cstart: int, cend: int) -> list[_Found]:
    """The phrases of the clause that name a related thing missing (or present), or a column of the rows
    empty (their key, for "anonymous" rows)."""
    text = w.view.prompt[:cend]
    found: list[_Found] = []
    for kind, rxs in (("missing", _MISSING), ("exists", _EXISTS)):
        for rx in rxs:
            pos = cstart
            while (m := rx.search(text, pos)) is not None:
                pos = m.start() + 1  # "if we drop visits whose pet can't be found": read again from "whose"
                if _overlaps(found, m.start(), m.end()) or not _open(w, m.start(), m.end()):
                    continue
                if rx in _SPELLED and any(_own_column(w, x, w.base, spelled=True) for x in _heads(m.group("x"))) and (
                        rx is _MISSING[0] or re.search(r"\bmissing$", m.group(0), re.IGNORECASE)):  # fmt: skip
                    continue  # "without a user_id", "whose user_id is missing": the key is empty (below)
                x, end = m.group("x"), m.end()
                short = re.sub(r"\s+\w+$", "", x)
                if short != x and not m.groupdict().get("y") and x.split()[-1].lower() in STOPWORDS:
                    x, end = short, m.start("x") + len(short)  # "without any invoice at all": not "invoice at"
                rel = _related(w, x, m.groupdict().get("y"))
                if not rel and rx is _MISSING[1] and not m.group("y"):  # "who never ordered (too)": orders
                    verb = m.group("v") if m.group("v") and _verb_table(w, m.group("v")) else None
                    x = verb or x.split()[0]
                    rel = _verb_table(w, x)
                    end = m.start("v" if verb else "x") + len(x)
                z = m.groupdict().get("z")
                if z:  # "whose session has no user": the session's user
                    zt = _table(w, z)
                    rel = [*rel, zt] if len(rel) == 1 and zt is not None and _step(w, rel[0], zt) else []
                if rel:
                    found.append(_Found(m.start(), _at_all(w, end), rel, kind))
                    pos = m.end()
                elif kind == "missing" and rx in _NARROWABLE:
                    narrower = _narrower(w, m)
                    if narrower is not None:
                        found.append(narrower)
                        pos = m.end()
    found.extend(_empties(w, cstart, cend, found))
    for m in _ANON.finditer(text, cstart):
        if _open(w, m.start(), m.end()) and not _overlaps(found, m.start(), m.end()):
            anon = _anonymous(w, m.group("s"))
            if anon is not None:  # the rows' own key is empty: a NULL test, never a join that drops orphans too
                gloss = _ANON_GLOSS.match(text, m.end())
                said = gloss and _own_column(w, gloss.group("k") or gloss.group("k2"), w.base) == anon.column
                found.append(_Found(m.start(), gloss.end() if said and gloss else m.end(), [], "empty", own=[anon]))
    return found


# the rows' own value is missing: "without an industry", "with no payment method recorded", "whose email is blank",
# "with a missing phone"
_EMPTY_STATE = (r"(?:missing|blank|empty|null|unset|not\s+set|not\s+recorded|not\s+filled(?:\s+in)?|not\s+given|"
                r"not\s+provided|not\s+entered|absent)")
_EMPTY = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        rf"\b(?:without|lacking|missing|with\s+no|having\s+no|(?:that|which|who)\s+(?:(?:has|have|had)\s+no|"
        rf"lack(?:s|ed)?|(?:is|are)\s+missing))\s+(?:an?\s+|any\s+|the\s+|their\s+|its\s+)?(?P<c>{_W}(?:\s+{_W}){{0,2}})",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|an?\s+)?(?P<c>{_W}(?:\s+{_W}){{0,2}}?)"
        rf"\s+(?:is|are|was|were)\s+(?:still\s+|left\s+)?{_EMPTY_STATE}\b",
        rf"\b(?:with|having|has|have)\s+(?:an?\s+)?(?:missing|blank|empty|null)\s+(?P<c>{_W}(?:\s+{_W}){{0,2}})",
    )
)
#: "guest carts (no shopper_id)", "(shopper_id is null)": what makes them anonymous, said right after
_ANON_GLOSS = re.compile(rf"\s*\(\s*(?:i\.e\.,?\s*|that\s+is,?\s*)?(?:(?:no|without(?:\s+an?|\s+any)?|with\s+no|missing|"
                         rf"null|empty|blank)\s+(?P<k>{_W})|(?P<k2>{_W})\s+(?:is\s+|=\s*)?(?:null|empty|missing|blank))"
                         r"\s*\)", re.IGNORECASE)  # fmt: skip
_RECORDED = re.compile(r"\s+(?:recorded|given|entered|set|provided|filled\s+in|on\s+(?:file|record))\b", re.I)


def _empties(w: _Work, cstart: int, cend: int, found: list[_Found]) -> list[_Found]:
    """The clause's phrases saying a column of the rows it is about is empty ("skip orgs without an industry",
    "patients whose email is blank"): that column filled in, when the rows are left out. The column is the
    rows' own (of the table named right before, or of the base), never their key nor a yes/no column
    ("without a verified email" is a test of the flag); a table's name is a missing related row (above)."""
    text = w.view.prompt[:cend]
    out: list[_Found] = []
    for k, rx in enumerate(_EMPTY):
        for m in rx.finditer(text, cstart):
            if _overlaps(found + out, m.start(), m.end()) or not _open(w, m.start(), m.end()):
                continue
            owner = _owner(w, w.view.prompt[cstart : m.start()])
            words = list(re.finditer(_W, m.group("c")))
            cuts = [len(words)] if k == 1 else list(range(len(words), 0, -1))  # "whose X is blank": X whole
            for n in cuts:
                phrase = m.group("c")[: words[n - 1].end()]
                if _table(w, phrase) is not None or phrase.split()[-1].lower() in STOPWORDS:
                    continue
                col = _own_column(w, phrase, owner)
                if col is None:
                    continue
                end = m.end() if k == 1 else m.start("c") + words[n - 1].end()
                tail = _RECORDED.match(w.view.prompt, end) if k != 1 else None
                end = tail.end() if tail else end
                if k == 0 and not tail and _numeric(w, col) and not re.match(r"missing|lacking", m.group(0), re.I):
                    break  # "orders with no shipping fee": a fee of 0, or none recorded? not guessed
                if not _open(w, m.start(), end):
                    break
                f = Filter(column=col, operator="is_not_null", provenance=w.view.prompt[m.start() : end])
                out.append(_Found(m.start(), end, [], "empty", own=[f]))
                break
    return out


def _verb_table(w: _Work, word: str) -> list[str]:
    """The table a past verb names by its lemma ("ordered" → orders, "subscribed" → subscriptions), if any."""
    if not re.search(r"ed$", word, re.IGNORECASE):
        return []
    t = _table(w, getLemma(word.lower(), upos="VERB")[0])
    return [t] if t is not None else []


def _numeric(w: _Work, column: str) -> bool:
    """A number that may be 0 (not an id: "without a user_id" has no other reading than an empty id)."""
    table, name = column.split(".", 1)
    ident = re.search(r"(?:^|_)(?:id|key|code|no|number)$", name, re.IGNORECASE)
    return w.catalog.table(table).column(name).family in NUMERIC_FAMILIES and not ident


def _heads(x: str) -> list[str]:
    """The phrase and its first word ("user_id shouldn" → also "user_id")."""
    return list(dict.fromkeys([x, x.split()[0]]))


def _owner(w: _Work, before: str) -> str | None:
    """The table whose rows the clause is about: named right before the phrase ("dropping *patients* whose email
    is blank"), when it is the base or each base row meets one of its rows; else the base."""
    words = re.findall(_W, before)
    for n in (2, 1):
        if len(words) >= n:
            t = _table(w, " ".join(words[-n:]))
            if t is not None:
                return t if t == w.base or w.base is not None and many_to_one(w, w.base, t) else None
    return w.base


def _own_column(w: _Work, phrase: str, table: str | None, *, spelled: bool = False) -> str | None:
    """``table.column`` for the column of ``table`` ``phrase`` names surely (spelled: as its name, "user_id" or
    "user id"), when it may be empty: not the table's key, not a yes/no column."""
    if table is None:
        return None
    info = w.catalog.table(table)
    hits = w.linker.columns(phrase, [table])
    if not hits or hits[0].score < 0.85 or len(hits) > 1 and hits[1].score == hits[0].score:
        return None
    col = info.column(hits[0].column)
    if col.name.lower() in (p.lower() for p in info.primary_key) or col.family == "boolean":
        return None
    if spelled and re.sub(r"[\s_]+", "_", phrase.strip().lower()) != col.name.lower():
        return None
    return f"{info.name}.{col.name}"


_TAIL = re.compile(rf"\s+(?:in|from|of|on|among)\s+(?:any\s+of\s+|one\s+of\s+)?(?:the\s+|their\s+|its\s+)?"
                   rf"(?P<y>{_W}(?:\s+{_W})?)", re.IGNORECASE)  # fmt: skip
_RECORDS = re.compile(r"\s+(?:tables?|datasets?|history|histories|records?|entries|log)\b", re.IGNORECASE)
_AT_ALL = re.compile(r"\s+(?:at\s+all|whatsoever|ever|(?:even\s+)?once|(?:even\s+)?(?:a\s+single|one)\s+time)\b", re.IGNORECASE)


def _at_all(w: _Work, end: int) -> int:
    """Past "at all" / "whatsoever" after a missing thing ("without any invoice at all"): it adds nothing."""
    m = _AT_ALL.match(w.view.prompt, end)
    return m.end() if m else end


def _narrower(w: _Work, m: re.Match[str]) -> _Found | None:
    """A missing thing the whole phrase did not name: its first word alone ("without any invoice at all"),
    or a kind of related row ("who never had a *refund*", "never paid with a *gift card* on any of their
    bookings"): a data value or a column of one table that points at the base, the anti join counting only
    those rows (a condition in the join: equal to the value, or the column filled in). The table may be
    said after it ("in their payment history", "on any of their bookings"): it must be that table."""
    if w.base is None or re.match(r"(?:missing|lacking)\b", m.group(0), re.IGNORECASE):
        return None  # "missing phone values": the rows' own empty column (filters)
    xs, prompt = m.group("x"), w.view.prompt
    if any(c.score >= 0.85 for p in (xs, xs.split()[0]) for c in w.linker.columns(p, [w.base])[:1]):
        return None  # "without a phone": the base's own column, empty (filters)
    words = list(re.finditer(_W, xs))
    ends = [x.end() for x in words if x.group().lower() not in STOPWORDS] or [words[0].end()]
    for cut in dict.fromkeys([ends[-1], ends[0]]):
        end = m.start("x") + cut
        phrase = xs[:cut]
        tail = _TAIL.match(prompt, end)
        owner = None
        if tail is not None:
            y = tail.group("y")
            owner = _table(w, y) or _table(w, y.split()[0])
            if owner is not None:
                end = tail.end() if _table(w, y) else tail.start("y") + len(y.split()[0])
                more = _RECORDS.match(prompt, end)  # "in their payment history", "in the payments table"
                end = more.end() if more else end
        table = _table(w, phrase)
        conds: list[Filter] = []
        if table is None:
            table, conds = _kind_of_rows(w, phrase, owner)
        if table is None or table == w.base or owner not in (None, table) or _child_key(w, w.base, table) is None:
            continue
        return _Found(m.start(), _at_all(w, end), [table], "missing", conds)
    return None


def _kind_of_rows(w: _Work, phrase: str, owner: str | None) -> tuple[str | None, list[Filter]]:
    """The one table pointing at the base where ``phrase`` names a data value ("refund" in
    ``payments.kind``) or a column that may be empty ("coupon code" → ``payments.coupon_code``), and the
    condition that picks those rows; (None, []) when no such table, or several, fit."""
    base = w.base
    assert base is not None
    children = [owner] if owner else [t for t in w.catalog.table_names() if t != base and _child_key(w, base, t)]
    if not children:
        return None, []
    values = [v for v in w.linker.values(phrase, children) if v.score >= 0.9]
    if values:
        picks = {(v.table, v.column, str(v.value)) for v in values if v.score == values[0].score}
        if len(picks) != 1:
            return None, []
        v = values[0]
        return v.table, [Filter(column=f"{v.table}.{v.column}", operator="=", value=v.value, provenance=phrase)]
    cols = [c for c in w.linker.columns(phrase, children) if c.score >= 0.9]
    if len(cols) != 1 and not (cols and cols[0].score > cols[1].score):
        return None, []
    c = cols[0]
    info = w.catalog.table(c.table)
    key = _child_key(w, base, c.table)
    if c.column.lower() in (p.lower() for p in info.primary_key) or key == f"{c.table}.{c.column}":
        return None, []  # "never had a payment id": the rows themselves, not a kind of them
    return c.table, [Filter(column=f"{c.table}.{c.column}", operator="is_not_null", provenance=phrase)]


def _overlaps(found: list[_Found], start: int, end: int) -> bool:
    return any(start < f.end and f.start < end for f in found)


def _mode(w: _Work, clause: str, found: list[_Found], cstart: int) -> tuple[str | None, list[re.Match[str]]]:
    """What the clause says to do with the rows (drop, keep, anti, or None: not an orphan clause) and the
    verbs that say it."""
    not_drop = _NOT_DROP.search(clause)
    drop = None if not_drop else _DROP.search(clause) or _except(w, clause, found, cstart)
    keep = not_drop or _KEEP.search(clause)
    even = _EVEN.search(clause)
    mode: str | None
    if all(f.kind == "exists" for f in found):
        if not_drop or drop:
            return None, []  # "leave out orders with a valid customer": which rows go? not guessed
        mode = "keep" if even else "drop"
    elif not drop and _ONLY_KEEP.search(clause):
        return None, []  # "keep only the ones whose customer is missing": those rows alone? not read here
    elif even or not_drop:
        mode = "keep"
    elif drop is not None:
        mode = "drop"
    elif keep is not None:
        mode = "keep"
    elif _anti(w, found):
        mode = "anti"  # "accounts with no deals": accounts without a matching deal row
    else:
        mode = None
    kept = keep if mode == "keep" or mode == "drop" and all(f.kind == "exists" for f in found) else None
    verbs = [v for v in (not_drop, drop if mode == "drop" else None, kept, even) if v]  # "keep those with a valid X"
    return mode, verbs


def _except(w: _Work, clause: str, found: list[_Found], cstart: int) -> re.Match[str] | None:
    """"all products except the ones lacking a category", "other than those whose ...": the exception leads
    to the missing phrase, with only small words or table names between."""
    first = min(f.start for f in found) - cstart
    nouns = _table_spans(w)
    for m in _EXCEPT.finditer(clause, 0, first):
        between = w.view.tokens.within(cstart + m.end(), cstart + first)
        if all(_small_or_table(w, t.text, t.start, t.end, nouns) or t.text.lower() in _ROWS for t in between):
            return m
    return None


def _take_clause(w: _Work, cstart: int, found: list[_Found], verbs: list[Span], mode: str,
                 repeat: list[str] | None = None) -> None:
    """Claim the clause's phrases (bringing their tables in: ``repeat``, tables that would repeat the base rows,
    joined only to require a match when dropped, not at all when kept), its verbs, and the small words around
    them."""
    first = min([f.start for f in found] + [a for a, _ in verbs])
    last = max([f.end for f in found] + [b for _, b in verbs])
    for f in found:
        edits: list[Edit] = []
        for t in f.tables:
            if mode == "keep" and t in (repeat or []):
                if t in w.tables:  # "including customers who never ordered": every customer, orders not needed
                    edits.append(w.drop(t))
                continue
            edits.append(w.use(t))
            if mode == "drop" and t not in w.required:
                w.required.append(t)  # joined (inner) to drop rows whose t is missing
                edits.append(Edit.add("required_tables", t))
                if t in (repeat or []):
                    edits.append(Edit.add("semi_tables", t))  # each base row once (draft.py)
        if f.kind == "empty" and mode == "drop":
            edits.append(Edit.add("filters", *f.own))
        what = ", ".join(f.tables) + " row" if f.tables else ", ".join(str(c.column) for c in f.own)
        w.take_free(f.start, f.end, *edits, why=f"rows whose {what} is missing ({mode})")
    for a, b in verbs:
        w.take_free(a, b, why=f"what to do with those rows ({mode})")
    tokens = w.view.tokens
    nouns = _table_spans(w)
    between = [t for t in tokens.within(first, last)
               if not w.held(t) and _small_or_table(w, t.text, t.start, t.end, nouns)]  # fmt: skip
    for tok in reversed(tokens.within(cstart, first)):  # the rows the clause is about: "products with no category"
        if not _small_or_table(w, tok.text, tok.start, tok.end, nouns):
            break
        between.append(tok)
        first = tok.start
    w.take_spans(sorted((t.start, t.end) for t in between), why="the small words and the rows the clause is about")
    prompt = w.view.prompt
    lead = re.search(r"^\s*(?:(?:but|and|also|then|please|just|simply|otherwise|so)\s+)+", prompt[cstart:first], re.I)
    if lead:
        w.take_free(cstart + lead.start(), cstart + lead.end(), why="leads the clause")
    only = re.search(r"\b(?:only|just)\s+(?:the\s+)?(?:\w+\s+){0,2}$", prompt[cstart:first], re.IGNORECASE)
    if only and mode == "drop":
        w.take_free(cstart + only.start(), cstart + only.start() + 4, why="only those with a match")


def _small_or_table(w: _Work, text: str, start: int, end: int, nouns: list[Span]) -> bool:
    return (text.lower() in _CONNECT or text.lower() in _ROWS or _is_table_word(w, text)
            or any(s <= start and end <= e for s, e in nouns))


# ------------------------------------------------------------------------------------------------


_AGGREGATE_CUE = re.compile(r"\b(?:count|counts|number\s+of|how\s+many|totals?|sum|average|avg|mean|per|appear|"
                            r"zero(?!\s+(?!for\b|if\b|when\b|where\b|instead\b|rather\b)[A-Za-z_])|"
                            r"(?:show|with|as)\s+(?:a\s+)?0)\b", re.IGNORECASE)  # fmt: skip


def _anti(w: _Work, found: list[_Found]) -> bool:
    """"accounts with no deals", "authors that have no books", "members who never borrowed a book": the
    related table points at the base (one base row, many related rows), so the request asks for the base
    rows that no related row points at. Where the request counts or totals ("with no orders must appear
    with 0"), the clause is a wish to keep groups, which the aggregates read."""
    base = w.base
    if base is None or _AGGREGATE_CUE.search(w.view.prompt):
        return False
    related = {t for f in found for t in f.tables if t != base}
    return bool(related) and all(f.kind == "missing" for f in found) and all(
        _missing_key(w, base, t) is not None for t in related)


def _missing_key(d: View | Play, base: str, table: str) -> str | None:
    """The column of ``table`` that is NULL on the base rows no row of it reaches: its key pointing at the base
    (``deals.account_id``), or, reached through the rows that point at the base ("members with no fines":
    members ← loans ← fines), its key on the last step of the join path (``fines.loan_id``; the plan then
    counts them per base row, see ``draft._none_through_repeats``)."""
    key = _child_key(d, base, table)
    if key is not None or not _points_back(d, base, table):
        return key
    last = next(e for e in reversed(d.linker.join_path([base, table])) if table in (e.left_table, e.right_table))
    return f"{table}.{last.left_column if last.left_table == table else last.right_column}"


def _child_key(d: View | Play, base: str, table: str) -> str | None:
    """The column of ``table`` that points at ``base``'s own key (``deals.account_id`` → accounts), if any."""
    try:
        edges = d.linker.join_path([base, table])
    except DataMorphError:
        return None
    if len(edges) != 1:
        return None
    e = edges[0]
    base_col, col = (e.left_column, e.right_column) if e.left_table == base else (e.right_column, e.left_column)
    if not _own_key(d, base, base_col) or _own_key(d, table, col):
        return None
    return f"{table}.{col}"


def _own_key(d: View | Play, table: str, column: str) -> bool:
    """The table's own key: its primary key, ``id``, or ``<table>_id`` where no key is declared."""
    info = d.catalog.table(table)
    low = column.lower()
    if info.primary_key:
        return low in (p.lower() for p in info.primary_key)
    stem = re.sub(r"_?(?:id|key|code|no|number)$", "", low)
    if len(stem) >= 3 and info.columns and info.columns[0].name.lower() == low and info.name.lower().startswith(stem):
        return True  # its first column, named by the start of its name (``org_id`` of organizations)
    return low == "id" or bool(stem) and _table(d, stem) == info.name


def _anti_join(w: _Work, table: str) -> list[Edit]:
    """Base rows with no row in ``table``: a left join to it, and its key pointing back is NULL (an equality
    join never matches a NULL, so the key is NULL exactly on the base rows without a match)."""
    key = _missing_key(w, w.base, table) if w.base is not None else None
    if key is None:  # _anti checked every related table: not reached
        return []
    edits = [w.use(table), Edit.set("preserve_base", True)]
    if table not in w.anti:
        w.anti.append(table)
        edits.append(Edit.add("anti_tables", table))
    return [*edits, Edit.add("filters", Filter(column=key, operator="is_null", provenance=f"no matching {table} row"))]


def _open(w: _Work, start: int, end: int) -> bool:
    """No word of ``[start, end)`` is held, other than the names of tables (explained, yet free for a phrase
    about missing rows: "orders whose customer isn't in the customers table")."""
    cut = start
    for a, b in sorted(_table_spans(w)):
        if b <= cut or a >= end:
            continue
        if a > cut and not w.free(cut, a):
            return False
        cut = max(cut, b)
    return cut >= end or w.free(cut, end)


def _table_spans(w: _Work) -> list[Span]:
    """Where the request names a table: the linker's table mentions, with "table" after one ("the customers table")."""
    out: list[Span] = []
    for m in mentions(w.view):
        span = mention_span(w.view, m) if isinstance(m, TableMatch) else None
        if span is not None:
            after = _TABLE_WORD.match(w.view.prompt, span[1])
            out.append((span[0], after.end() if after else span[1]))
    return out


def _subject(w: _Work, before: str, related: list[str]) -> None:
    """The rows the clause is about are the base ("leave out shipments whose warehouse is not in the
    warehouses table": shipments, even when "warehouses table" was named first)."""
    if w.base not in related:
        return
    words = re.findall(r"[A-Za-z_]\w*", before)
    for n in (2, 1):
        if len(words) >= n:
            t = _table(w, " ".join(words[-n:]))
            if t is not None and t not in related:
                old = w.base
                w.base = t
                w.tables = [x for x in w.tables if x != t]
                if old is not None:
                    w.tables.insert(0, old)
                w.edit(Edit.set("base", t), Edit.set("tables", list(w.tables)), why=f"the clause is about {t}")
                return


def _is_table_word(d: View | Play, word: str) -> bool:
    hits = d.linker.tables(word)
    return bool(hits) and hits[0].score >= 0.85


def _related(d: Play, phrase: str, table_phrase: str | None) -> list[str]:
    """The tables the (possibly listed) phrase names: "product or its category" → products, categories."""
    if table_phrase:
        t = _table(d, table_phrase)
        if t is not None:
            said = _table(d, phrase) or _key_target(d, phrase)
            return [t] if said in (None, t) else []  # "whose customer_id has no row in accounts": which one?
    out: list[str] = []
    for part in re.split(r"\s*(?:\bor\b|\band\b|/|,|&)\s*", phrase):
        part = re.sub(r"^(?:(?:its|their|the|an?|any|known|existing|valid|matching)\s+)+", "", part.strip(),
                      flags=re.IGNORECASE)
        if not part:
            continue
        chain: list[str] = []
        for piece in re.split(r"(?:'s|s')\s+", part):  # "product's category": the product, then its category
            t = _table(d, piece) or _key_target(d, piece)
            if t is None or chain and not _step(d, chain[-1], t):
                return []  # "the manager's department": another row of the same table, not read
            chain.append(t)
        out.extend(t for t in chain if t not in out)
    return out


def _step(d: Play, owner: str, table: str) -> bool:
    """``owner``'s ``table`` is one row its key points at ("the product's category"), not the rows themselves."""
    return owner != d.base and owner != table and many_to_one(d, owner, table)


def _table(d: View | Play, phrase: str) -> str | None:
    hits = d.linker.tables(phrase)
    if hits and hits[0].score >= 0.85:
        return hits[0].table
    return None


def _key_target(d: Play, phrase: str) -> str | None:
    """"department_id" / "department id" (a key column of a table in play) → the table it points at."""
    for cm in d.linker.columns(phrase, d.in_play())[:1]:
        stem = re.sub(r"_(?:id|key|code|no|number)$", "", cm.column.lower())
        if stem == cm.column.lower():
            return None
        return _table(d, stem)
    return None


def _anonymous(d: Play, phrase: str) -> Filter | None:
    """"guest carts": the carts' one key to a person (user_id, customer_id, ...) is NULL — a cart
    whose user_id names no users row is not anonymous (kept or dropped by what the request says of those)."""
    table = _table(d, phrase) or (d.base if any(h.table == d.base for h in d.linker.tables(phrase)[:1]) else None)
    if table is None:
        return None
    info = d.catalog.table(table)
    keys = [c.name for c in info.columns if re.match(r"(?:user|customer|member|visitor|account|person|client)_?id$",
                                                     c.name, re.IGNORECASE)]  # fmt: skip
    if len(keys) != 1:
        return None
    return Filter(column=f"{table}.{keys[0]}", operator="is_not_null", provenance=f"not anonymous {phrase}")

"""Zero rows: "including departments with none", "members who never borrowed must still show up with 0"
(keep every row of the grouped entity: an outer join from it).
"""

from __future__ import annotations

import itertools
import re

from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.measures import Ctx

_ZERO = [re.compile(p, re.I) for p in (
    r"\(?\b(?:and\s+)?(?:including|include|incl\.?|even|also\s+(?:show|list|include)|keep(?:ing)?|show(?:ing)?|"
    r"list(?:ing)?)\s+(?:the\s+|all\s+|any\s+)?(?:ones|those|[a-z_]+)?\s*(?:with|that\s+have|who\s+have|having|"
    r"without|that\s+had|who\s+had|that\s+has)\s+(?:no|zero|none|nobody|no\s+one|0|not\s+any|nothing)\b"
    r"(?:\s+(?!and\b|or\b|per\b|by\b)[a-z_]+)?\)?",
    r"\b(?:who|that|which)\s+(?:never|have\s+not|haven't|did\s+not|didn't|do\s+not|don't|has\s+not|hasn't)"
    r"(?:\s+(?:any|a|an|placed|made|had|ordered|bought)\b)*\s+[a-z_]+",
    r"\b(?:with|having|that\s+have|who\s+have)\s+(?:nobody|no\s+one|none|no\s+[a-z_]+|zero\s+[a-z_]+)"
    r"(?:\s+(?:in|on|under|at)\s+(?:them|it|there|that\s+[a-z_]+))?",
    r"\b(?:even\s+(?:if|when|those|ones)|including\s+(?:those|ones)|also)\s+(?:they\s+|it\s+)?(?:have|has|had|with)?\s*"
    r"(?:none|no\s+[a-z_]+|zero(?:\s+[a-z_]+)?|nobody)",
    r"\b(?:must|should|need\s+to|have\s+to|ought\s+to)?\s*(?:still\s+)?(?:appear|show(?:\s+up)?|be\s+(?:listed|"
    r"included|shown|kept|present|there)|stay|remain)(?:\s+(?:with|as)\s+(?:a\s+)?(?:count\s+of\s+)?(?:0|zero))?",
    r"\(?\b(?:show(?:ing)?|as|display(?:ed)?|with|count(?:ed)?\s+as|listed\s+with)\s+(?:a\s+)?(?:0|zero)"
    r"(?:\s+(?:for\s+(?:them|those|these)|count|instead))?\s*\)?",
    r"\b(?:every|all)\s+(?:the\s+)?(?=[a-z_]+)",
    # "zeros included", "(zeroes shown)", "including zeros", "with the zeros"
    r"\(?\b(?:(?:and\s+|with\s+)?zero(?:e)?s\s+(?:included|shown|kept|listed|too|as\s+well|allowed)|"
    r"(?:including|include|incl\.?|keep(?:ing)?|show(?:ing)?|with|list(?:ing)?)\s+(?:the\s+)?zero(?:e)?s)\b\)?",
    r"\(?\s*(?:or\s+|and\s+|with\s+|use\s+|showing\s+)?(?:a\s+)?(?:0|zero)\s+(?:if|when|where|for)\s+(?:there\s+(?:are|is|were)\s+|"
    r"it\s+has\s+|they\s+have\s+)?(?:none|no\s+[a-z_]+|nothing|no\s+one|nobody)\b(?:\s+(?:at\s+all|exist|match))?\s*\)?",
)]  # fmt: skip
_ZERO_SIGNAL = re.compile(r"\b(?:none|nobody|no\s+one|zero|zero(?:e)?s\s+(?:included|shown|kept|listed|too|as\s+well|allowed)|"
                          r"(?:including|include|incl\.?|keep(?:ing)?|show(?:ing)?|with|list(?:ing)?)\s+(?:the\s+)?zero(?:e)?s|never|no\s+[a-z_]+|without\s+any|show\s+0|with\s+0|as\s+0)\b",
                          re.I)  # fmt: skip


# what a wish to keep the groups without rows says besides "never" / "no X": they appear, are kept, count 0
_KEEP_CUE = re.compile(r"\b(?:appear\w*|show\w*|list\w*|includ\w*|keep\w*|kept|even|still|zero\w*|0|every|all|too|"
                       r"as\s+well|also|remain\w*|stay\w*)\b", re.I)  # fmt: skip

# "every department listed in departments": all rows of that table, matched or not
_LISTED_IN = re.compile(r"\b(?:(?:as\s+)?listed|recorded|present|found|registered|that\s+exists?|on\s+file)\s+in\s+"
                        r"(?:the\s+)?(?P<t>[A-Za-z_]\w*)(?:\s+table)?\b", re.I)  # fmt: skip


def find(d: Work, ctx: Ctx) -> None:
    """Wishes to keep groups without rows (``ctx.preserve``); their words are taken."""
    _zero_clauses(d, ctx)
    for m in _LISTED_IN.finditer(d.prompt):
        table = ph.table_of(d, m.group("t"))
        before = d.prompt[max(0, m.start() - 40) : m.start()]
        if table is not None and re.search(r"\b(?:every|all|each)\b", before, re.I):
            ctx.preserve = True
            d.use_table(table)
            d.take(m.start(), m.end())
    low = d.prompt
    for sig in _ZERO_SIGNAL.finditer(low):
        text = sig.group(0).lower()
        if text.startswith(("no ", "without")):
            noun = text.split()[-1]
            if noun in ("one",) or ph.table_of(d, noun) is None:
                continue
        left = max(low.rfind(".", 0, sig.start()), low.rfind(";", 0, sig.start()), 0)
        right = min([i for i in (low.find(".", sig.end()), low.find(";", sig.end())) if i >= 0] or [len(low)])
        if text.startswith(("never", "no ", "without")) and not _KEEP_CUE.search(low, left, right):
            continue  # "vehicles that never moved", "no invoice with status 'paid'": rows without a match, not a
            # wish to keep empty groups (that one says so: "must appear with 0", "including those with none")
        ctx.preserve = True
        for rx in _ZERO:
            for m in rx.finditer(low, left, right):
                if m.group(0).strip():
                    d.take(m.start(), m.end())
                    subject = ph.tokens_before(d, m.start(), 1)  # "departments with nobody in them"
                    if re.search(r"zeroe?s\b", m.group(0), re.I):
                        subject = []  # "zeros included" is about the whole result, not the word before it
                    if subject and ph.table_of(d, subject[0].text) is not None:
                        d.take(subject[0].start, subject[0].end)
        d.take(sig.start(), sig.end())


def _kind_word(d: Work, t: object, in_play: set[str]) -> bool:
    """A word after "no" that says which rows of a table in play are counted: a data value or a yes/no column's word
    ("no active products", "no cancelled orders")."""
    text = getattr(t, "text", "")
    hits = [*d.linker.values(text), *d.linker.columns(text)]
    return any(h.table.lower() in in_play and h.score >= 0.85 for h in hits)


# A clause that gives the value 0 to the groups without rows is made of these words, the number 0 (or "zero"),
# and the names of the tables in play: "a category without products gets 0", "with empty teams at 0",
# "and members without a single loan still show up with zero", "with a count of 0", "(0 when there are none)".
_CLAUSE_WORDS = frozenset({
    "0", "zero", "zeros", "zeroes", "a", "an", "the", "of", "at", "as", "with", "for", "if", "when", "where",
    "whenever", "there", "is", "are", "be", "it", "they", "them", "those", "ones", "that", "who", "which", "and",
    "its", "their", "count", "value", "gets", "get", "getting", "show", "shows", "shown", "showing", "up",
    "appear", "appears", "still", "too", "also", "well", "even", "keep", "keeping", "kept", "include",
    "including", "included", "instead", "listed", "put", "use", "using", "should", "must", "single",
    "any", "have", "has", "had",
})  # fmt: skip
# the words in such a clause that say which groups have no rows
_EMPTY_WORDS = frozenset({"no", "none", "nobody", "without", "never", "empty", "nothing"})
# words that keep the empty groups in the result when no 0 is said ("including empty teams", "keep teams with none")
_KEEP_WORDS = frozenset({"include", "including", "included", "keep", "keeping", "kept"})
_CLAUSE_END = re.compile(r"[,;.:!?()]|\s-\s|\bbut\b", re.I)


def _zero_clauses(d: Work, ctx: Ctx) -> None:
    """A clause that only says the groups without rows count 0 ("a team without players gets 0") or are kept
    ("including empty teams"): its words are 0 or "zero" (or a word that keeps and one of emptiness), words of that meaning (``_CLAUSE_WORDS``, ``_EMPTY_WORDS``) and names of tables in play; a
    clause naming a table needs a word of emptiness ("no", "without", "empty") to be about the empty groups."""
    cuts = [0, *(m.start() for m in _CLAUSE_END.finditer(d.prompt)), len(d.prompt)]
    in_play = {t.lower() for t in d.in_play()}
    for a, b in itertools.pairwise(cuts):
        words = [t for t in d.tokens.within(a, b) if t.kind != "punct"]
        if not any(t.low in ("0", "zero") for t in words) and not (
                any(t.low in _KEEP_WORDS for t in words) and any(t.low in _EMPTY_WORDS for t in words)):  # fmt: skip
            continue  # "a team without players gets 0", "including empty departments"
        tables = empty = 0
        for k, t in enumerate(words):
            if t.low in _EMPTY_WORDS:
                empty += 1
            elif t.low not in _CLAUSE_WORDS:
                table = ph.table_of(d, t.text)
                if table is None or table.lower() not in in_play:
                    if k and words[k - 1].low in ("no", "without") and _kind_word(d, t, in_play):
                        continue  # "a category with no active products gets 0": the kind of rows counted
                    break
                tables += 1
        else:
            if tables and not empty:
                continue
            ctx.preserve = True
            d.take(words[0].start, words[-1].end, why="the groups without rows count 0")

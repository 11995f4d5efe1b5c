"""Which words of a request carry meaning, and which may be set aside — defined once, here.

A request says more than a query needs ("Give me a lean export of ... for the board deck, please").
The planner does not require every word to be read by a recognizer; it requires every word that
*carries meaning* to be read. After the recognizers ran, each word nobody used is classified:

A word **carries meaning** (:func:`meaning_of` returns its class) when it is

- ``number``: a number in digits or words ("12,500", "$1.2M", "5k", "twelve", "a dozen"), or a unit
  or currency it is counted in ("euros", "thousands", "kg");
- ``date``: a date or a date word ("2024-03-01", "March", "quarter", "yesterday", "ytd");
- ``quoted``: a quoted string (``'gmail'``);
- ``comparison``: a comparison or arithmetic word ("over", "below", "between", "than", "equal",
  "contains", "percent", "divided");
- ``negation``: "not", "never", "no", "without", "excluding", "except", "isn't", "other" ...;
- ``quantifier``: a quantifier, aggregate, grouping or logic word ("each", "per", "only", "total",
  "average", "count", "distinct", "or", "including");
- ``ordering``: an ordering or ranking word ("top", "first", "highest", "sorted", "rank"), or any superlative
  ("longest", "busiest", by lemminflect's forms);
- ``schema``: a word that links to a table, a column or a data value of the warehouse (through the
  :class:`~datamorph.planner.linking.SchemaLinker`, after spelling correction, on the word and on
  its lemmas: "clients", "ordered", "cancelled"), or that looks like a name (``customer_id``,
  ``orders.amount``);
- ``unknown``: a word that is in no English word list and names nothing ("xqzt", "MRR" on a
  warehouse without it): it may be a name the warehouse lacks, so it is never dropped.

Any other word — a known English word with none of those roles ("lean", "export", "board",
"deck", "put", "numbers"), or an adjective of :data:`REFERRING_WORDS` that points back at rows the request
names ("their respective departments", "the underlying invoices") — and the grammar words of :data:`~datamorph.planner.lexicon.STOPWORDS`
("give", "me", "the", "please") are **set aside**: the plan lists the former in
``ETLSpec.ignored_words``. An unused word that carries meaning fails the plan (a ``PlanError``
quoting it): a request is never planned without one of its conditions, measures or names.

Spelling (:func:`correct_spelling`) runs before the recognizers, so each of them reads the
corrected text: a word of at least five letters that is neither a known English word nor a word
of the warehouse (table and column names split into words, indexed data values) is replaced by
the one word with the same first letter within one edit of it — a word of the warehouse (or its
plural; two edits for words of eight letters or more) first, else the most frequent English word
when it is at least ten times as frequent as the next ("avrage" → average, "recived" → received,
"custmer" → customer, "contracters" → contractors). Names, quoted text,
words with digits or underscores, capitalised words inside a sentence and acronyms are never
corrected. The English word list and its frequencies come from ``pyspellchecker``; lemmas
("clients" → client, "ordered" → order) from ``lemminflect``; both ship their data in the package.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from datamorph.planner.lexicon import (
    NUMBER_WORDS,
    REQUEST_VERBS,
    STOPWORDS,
    lemmas,
    normalize,
    split_identifier,
)
from datamorph.planner.text import MONTHS, Token, Tokens

if TYPE_CHECKING:
    from datamorph.planner.linking import SchemaLinker

__all__ = [
    "COMPARISON_WORDS",
    "DATE_WORDS",
    "MEANING_CLASSES",
    "NEGATION_WORDS",
    "ORDERING_WORDS",
    "QUANTIFIER_WORDS",
    "REFERRING_WORDS",
    "UNIT_WORDS",
    "Correction",
    "Corrected",
    "Leftover",
    "correct_spelling",
    "lemmas",
    "meaning_of",
    "phrase_meaning",
    "sort_leftover",
    "word_class",
]

#: The classes of words that carry meaning, in the order :func:`meaning_of` tests them.
MEANING_CLASSES = ("number", "date", "quoted", "negation", "comparison", "quantifier", "ordering", "schema",
                   "unknown")  # fmt: skip

#: Negation and exclusion: a condition turned around or rows left out.
NEGATION_WORDS: frozenset[str] = frozenset("""
not no non none nobody nothing never neither nor without except excluding exclude excluded excludes
exclusion isnt arent wasnt werent hasnt havent hadnt didnt dont doesnt cannot cant wont lacking lack lacks
missing absent omit omitting omitted skip skipping skipped ignore ignoring ignored remove removing removed
drop dropping dropped out off besides aside unless other others otherwise instead
""".split())

#: Comparison, text matching and arithmetic: how a value is compared or computed.
COMPARISON_WORDS: frozenset[str] = frozenset("""
more less fewer greater smaller larger higher lower bigger over under above below beneath between than
exceeding exceeds exceed exceeded within beyond equal equals equaling exactly approximately approx around
roughly about least most max min maximum minimum upwards same different differs like unlike contain contains
containing match matches matching start starts starting begin begins beginning end ends ending
percent percentage pct ratio rate share proportion fraction half double triple times twice plus minus
divided multiplied difference round rounded rounding decimal decimals null empty blank
insensitive sensitive insensitively capitalisation capitalization
""".split())

#: Quantifiers, aggregates, grouping and logic: how many rows, which rows, what per what.
QUANTIFIER_WORDS: frozenset[str] = frozenset("""
each every per any some both either only just solely exclusively all also another whole entire
total totals sum sums summed summing average averages averaged avg mean median mode count counts counted
counting number tally many much several few majority minority cumulative running overall aggregate
aggregated combined distinct unique duplicate duplicates duplicated dedupe deduplicate deduplicated
group groups grouped grouping breakdown broken split bucket buckets band bands
flag flags flagged flagging indicator indicators
or and/or if else once include includes included including keep keeping kept retain whose pair pairs
""".split()) - STOPWORDS

#: Ordering and ranking: which rows first, which top N.
ORDERING_WORDS: frozenset[str] = frozenset("""
top bottom first last rank ranks ranked ranking sort sorts sorted sorting order ordered ordering
ascending descending asc desc highest lowest largest smallest biggest greatest fewest best worst
latest earliest newest oldest leading limit next previous prior preceding following lag lead
alphabetical alphabetically chronological chronologically reverse reversed dense gap gaps
""".split())

#: Units and currencies: what a number is counted in ("in euros", "in thousands", "kg").
UNIT_WORDS: frozenset[str] = frozenset("""
dollar dollars usd eur euro euros gbp pound pounds sterling yen jpy cent cents bucks franc francs chf cad aud inr
rupee rupees yuan rmb currency currencies thousands millions billions kg kgs kilogram kilograms gram grams lb lbs
ounce ounces km kilometer kilometers kilometre kilometres mile miles meter meters metre metres
""".split())

#: Date words (besides month names and dates written out).
DATE_WORDS: frozenset[str] = frozenset("""
date dates day days daily week weeks weekly weekday weekdays weekend weekends month months monthly quarter
quarters quarterly year years yearly annual annually fiscal fy ytd mtd qtd wtd today yesterday tomorrow
tonight now currently current recent recently lately ago since until till before after during
earlier later past period periods season hour hours hourly minute minutes second seconds morning
evening night noon midnight spring summer autumn fall winter monday tuesday wednesday thursday friday
saturday sunday mon tue tues wed thu thur thurs fri sat sun decade century new old former
q1 q2 q3 q4 h1 h2 late early overdue delayed expired expiring punctual tardy soon sooner deadline
""".split())

#: Plurals whose singular has a role the plural lacks: "number of loans" counts, "the numbers" are figures.
_NOT_LEMMATISED = frozenset({"numbers", "figures"})
_IDENTIFIER = re.compile(r"[A-Za-z]\w*(?:_\w+|\.\w+)+|[A-Za-z]+\d+\w*|[a-z]+[A-Z]\w*")  # customer_id, orders.amount, addr2, signupDate
_NT = re.compile(r"n[’']?t$", re.IGNORECASE)


def word_class(word: str) -> str | None:
    """The class of a word by its form alone (no warehouse): ``negation``, ``date``... or None.

    ``"isn't"`` → negation, ``"averaged"`` → quantifier, ``"Ranked"`` → ordering,
    ``"March"`` → date, ``"lean"`` → None.
    """
    low = word.lower().replace("\u2019", "'")
    bare = low.replace("'", "")
    if _NT.search(low) and len(low) > 3 and low not in ("ant", "want", "pant", "rent"):
        if "'" in low or bare in NEGATION_WORDS:
            return "negation"
    if low in NUMBER_WORDS or low in UNIT_WORDS:
        return "number"
    if low in MONTHS and low != "may":
        return "date"
    forms = {low, bare} if low in _NOT_LEMMATISED else lemmas(low) | {bare}
    for name, words in (("negation", NEGATION_WORDS), ("date", DATE_WORDS), ("comparison", COMPARISON_WORDS),
                        ("quantifier", QUANTIFIER_WORDS), ("ordering", ORDERING_WORDS)):  # fmt: skip
        if forms & words:
            return name
    if superlative(bare):
        return "ordering"  # "which appointment was the longest": the one row at an end of an order, never filler
    return None


@lru_cache(maxsize=4096)
def superlative(word: str) -> bool:
    """The superlative of an adjective ("longest", "cheapest", "busiest", "best"), by lemminflect's tables."""
    import lemminflect

    return any(word != lemma and word in lemminflect.getInflection(lemma, "JJS")
               for lemma in lemminflect.getAllLemmas(word).get("ADJ", ()))  # fmt: skip


# -- the English word list (pyspellchecker) ------------------------------------------------------------

_COMMON = 300  # an English word seen less often than this in the frequency list is not taken as filler


@dataclass
class _English:
    freq: dict[str, int]
    by_len: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (first letter, length) -> words

    def count(self, word: str) -> int:
        return self.freq.get(word.lower(), 0)


@lru_cache(maxsize=1)
def _english() -> _English:
    from spellchecker import SpellChecker

    freq = dict(SpellChecker(language="en", distance=1).word_frequency.dictionary.items())
    eng = _English(freq)
    for w, n in freq.items():
        if n >= _COMMON and w.isalpha():
            eng.by_len.setdefault((w[0], len(w)), []).append(w)
    return eng


def is_english(word: str, *, common: bool = False) -> bool:
    """Whether ``word`` (or its singular) is in the English word list (``common``: frequently)."""
    e = _english()
    low = word.lower().replace("\u2019", "'")
    floor = _COMMON if common else 1
    return any(e.count(f) >= floor for f in {low, low.replace("'", ""), normalize(low)} if f)


# -- the warehouse's own vocabulary ----------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Words of one warehouse, lower case, as written and singular.

    ``words``: the words of table and column names and of the short values (one or two words) of
    categorical columns (at most :data:`_CATEGORICAL` distinct values: a status, a channel, a city)
    — a leftover word among them names something. ``spelling`` adds the words of every indexed value (product names...):
    words that are never "corrected".
    """

    words: frozenset[str]
    spelling: frozenset[str]
    by_len: dict[tuple[str, int], list[str]]  # (first letter, length) -> words and their plurals
    names: frozenset[str] = frozenset()  # the words of table and column names only


_CATEGORICAL = 60
_VOCAB: weakref.WeakKeyDictionary[SchemaLinker, Vocabulary] = weakref.WeakKeyDictionary()


def _words_of(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        for w in split_identifier(n):
            if w.isalpha() and len(w) > 2:
                out.add(w)
                out.add(normalize(w))
    return out


def vocabulary(linker: SchemaLinker) -> Vocabulary:
    """The words of the linker's warehouse (computed once per linker)."""
    hit = _VOCAB.get(linker)
    if hit is None:
        names: list[str] = []
        for info in linker.catalog.tables.values():
            names.append(info.name)
            names.extend(c.name for c in info.columns)
        categorical: list[str] = []
        other: list[str] = []
        index = linker.value_index
        if index is not None:
            for table, column in index.columns():
                values = [v for v in index.values_of(table, column) if isinstance(v, str)]
                short = len(values) <= _CATEGORICAL
                categorical.extend(v for v in values if short and len(split_identifier(v)) <= 2)
                other.extend(v for v in values if not short or len(split_identifier(v)) > 2)
        words = _words_of(names) | _words_of(categorical)
        spelling = words | _words_of(other)
        by_len: dict[tuple[str, int], list[str]] = {}
        for w in words | {w + "s" for w in words if not w.endswith("s")}:  # "contracters" → contractors
            by_len.setdefault((w[0], len(w)), []).append(w)
        hit = _VOCAB[linker] = Vocabulary(frozenset(words), frozenset(spelling), by_len, frozenset(_words_of(names)))
    return hit


# -- spelling --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    original: str
    corrected: str
    start: int  # offsets of the original word in the original request
    end: int
    new_start: int  # offsets of the corrected word in the corrected request
    new_end: int


@dataclass(frozen=True)
class Corrected:
    """A request with its misspelt words corrected, and where each correction is."""

    original: str
    text: str
    corrections: tuple[Correction, ...] = ()

    def original_word(self, token: Token) -> str:
        """The token as the request wrote it (before spelling correction)."""
        for c in self.corrections:
            if token.start < c.new_end and token.end > c.new_start:
                return c.original if (token.start, token.end) == (c.new_start, c.new_end) else token.text
        return token.text


_WORD = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|[A-Za-z][A-Za-z0-9_]*(?:['\u2019][a-z]+)?(?:\.[A-Za-z_]\w*)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n•*\-]\s*|\(\s*)$")
_MIN_LEN = 5
_CLEAR = 10  # the best English candidate must be this many times as frequent as the next


#: Shorthand of requests written in a hurry, read as the words they stand for ("w/ cols renamed",
#: "w/o a phone", "cols:"), unless the warehouse has the shorthand as a name or value of its own.
_SHORTHAND = {"w/": "with", "w/o": "without", "cols": "columns", "col": "column"}
_SHORT = re.compile(r"(?<![\w/])(?:w/o|w/)(?=\s|$)|\bcols?\b(?![./\w'])", re.IGNORECASE)


#: Emphasis on a negated existence ("never placed a single order", "without even one loan", "not even a
#: review"): the same as "any", which every reader of a missing related row knows. Not after no negation:
#: "customers with a single order" is a count of one.
_EMPHASIS = re.compile(r"\b(?:(?:even\s+)?(?:a|one)\s+single|even\s+(?:one|an?))\b", re.IGNORECASE)
#: "their own coach", "its own league": the possessive alone (not "in its own column", a place for a value).
_OWN = re.compile(r"\b(?:their|its|his|her)\s+(?P<own>own)\s+(?!(?:column|field|row|table|record|line|sheet)s?\b)"
                  r"(?=[A-Za-z_])", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"(?:\b(?:never|not|no|without|nor)|n['\u2019]t)(?:\s+[A-Za-z]+){0,3}\s+$", re.IGNORECASE)


def correct_spelling(text: str, linker: SchemaLinker) -> Corrected:
    """``text`` with each misspelt word replaced (see the module docstring for the rule), each
    shorthand of :data:`_SHORTHAND` written out, and emphasis on a negated existence (:data:`_EMPHASIS`)
    written as "any"."""
    vocab = vocabulary(linker)
    parts: list[str] = []
    corrections: list[Correction] = []
    pos = shift = 0
    emphasis = [m for m in _EMPHASIS.finditer(text) if _NEGATED_BEFORE.search(text, max(0, m.start() - 40), m.start())]
    emphasis += list(_OWN.finditer(text))
    found = sorted([*emphasis, *_WORD.finditer(text), *_SHORT.finditer(text)],
                   key=lambda m: (m.start(), m.re not in (_EMPHASIS, _OWN)))
    quoted = 0  # end of the last quoted text: nothing inside it is changed
    for m in found:
        raw = m.group()
        if m.start() < max(pos, quoted):
            continue  # a shorthand inside quotes or inside a word already changed
        if raw[0] in "'\"`":
            quoted = m.end()
        if m.re is _OWN:  # "their own coach" → "their coach"
            bare = f"{text[m.start() : m.start('own')].rstrip()} "
            new_start = m.start() + shift
            parts.append(text[pos : m.start()])
            parts.append(bare)
            corrections.append(Correction(raw, bare, m.start(), m.end(), new_start, new_start + len(bare)))
            shift += len(bare) - len(raw)
            pos = m.end()
            continue
        short = "any" if m.re is _EMPHASIS else _SHORTHAND.get(raw.lower())
        if not short and len(raw) < _MIN_LEN and _NAMING.search(text, max(0, m.start() - 12), m.start()):
            continue  # "plate -> plt": a new name the request gives, never a shortened word to write out
        fix = (None if raw.lower() in vocab.spelling else short) if short else (
            _correct(raw, vocab, _SENTENCE_START.search(text[: m.start()]) is not None))
        if fix is None:
            continue
        new_start = m.start() + shift
        parts.append(text[pos : m.start()])
        parts.append(fix)
        corrections.append(Correction(raw, fix, m.start(), m.end(), new_start, new_start + len(fix)))
        shift += len(fix) - len(raw)
        pos = m.end()
    if not corrections:
        return Corrected(text, text)
    parts.append(text[pos:])
    return Corrected(text, "".join(parts), tuple(corrections))


def _correct(raw: str, vocab: Vocabulary, sentence_start: bool) -> str | None:
    if _MIN_ABBREVIATION <= len(raw) < _MIN_LEN and raw.isalpha() and raw.isascii() and raw.islower():
        return _abbreviation(raw, vocab)  # "appt", "cust", "qty": a shortened name of the warehouse's
    if len(raw) < _MIN_LEN or not raw.isalpha() or not raw.isascii():
        return None  # quoted text, names with _ . ' or digits, short words
    if raw.isupper() or (raw[0].isupper() and not sentence_start) or any(c.isupper() for c in raw[1:]):
        return None  # acronyms, proper names, camelCase
    low = raw.lower()
    if low in vocab.spelling or normalize(low) in vocab.spelling or is_english(low) or word_class(low):
        return None
    best = _nearest(low, vocab.by_len, lambda w: 1)
    if best is None:
        eng = _english()
        best = _nearest(low, eng.by_len, eng.count, most=1)
    if best is None:
        return None
    return best.capitalize() if raw[0].isupper() else best


_MIN_ABBREVIATION = 3
_NAMING = re.compile(r"(?:->|=>|=|\bas|\bcalled|\bnamed|\bto|\bin)\s*$", re.IGNORECASE)


def _abbreviation(word: str, vocab: Vocabulary) -> str | None:
    """The one word of the warehouse's table and column names that ``word`` shortens — its first letter, then letters of it in
    order, at least two letters fewer ("appt" → appointment, "qty" → quantity, "cust" → customer) — when
    ``word`` is no English word and no name itself; None when no word or several do ("emp": employee or
    employment)."""
    if word in vocab.spelling or is_english(word) or word_class(word):
        return None
    found = {normalize(w) for w in vocab.names if w[0] == word[0] and len(w) >= len(word) + 2 and _shortens(word, w)}
    return found.pop() if len(found) == 1 else None


def _shortens(word: str, name: str) -> bool:
    it = iter(name)
    return all(c in it for c in word)


def _nearest(word: str, by_len: dict[tuple[str, int], list[str]], weight: object, most: int = 2) -> str | None:
    """The one word within the allowed edits of ``word`` with its first letter (typos keep it), the clear
    winner by ``weight`` when several."""
    maxd = 1 if len(word) < 8 else most
    found: list[tuple[int, str]] = []
    for n in range(len(word) - maxd, len(word) + maxd + 1):
        bucket = by_len.get((word[0], n))
        if bucket:
            found += [(int(d), k) for k, d, _ in process.extract(word, bucket, scorer=OSA.distance,
                                                                 score_cutoff=maxd, limit=None)]  # fmt: skip
    if not found:
        return None
    least = min(d for d, _ in found)
    tied = sorted({k for d, k in found if d == least}, key=lambda k: -weight(k))  # type: ignore[operator]
    if len(tied) == 1:
        return tied[0]
    first, second = weight(tied[0]), weight(tied[1])  # type: ignore[operator]
    return tied[0] if first >= _CLEAR * max(second, 1) and first > second else None


# -- leftover words ------------------------------------------------------------------------------------


def meaning_of(token: Token, linker: SchemaLinker | None = None) -> str | None:
    """The class of meaning of one word of a request (see :data:`MEANING_CLASSES`), or None (filler)."""
    if token.kind in ("number", "date", "quoted"):
        return token.kind
    if token.kind != "word":
        return None
    word = token.text
    low = word.lower()
    if low in STOPWORDS:
        return None
    cls = word_class(word)
    if cls:
        return cls
    if _IDENTIFIER.fullmatch(word) or "_" in word:
        return "schema"
    if linker is not None and _links(word, linker):
        return "schema"
    if not is_english(word, common=True):
        return "unknown"
    return None


def _links(word: str, linker: SchemaLinker) -> bool:
    vocab = vocabulary(linker)
    forms = lemmas(word)
    if forms & vocab.words:
        return True
    for f in sorted(forms):
        if f in STOPWORDS:
            continue
        if linker.tables(f) or linker.columns(f) or linker.values(f):
            return True
    return False


@dataclass(frozen=True)
class Leftover:
    """The unused words of a request, sorted: those that carry meaning, and those set aside."""

    meaningful: list[tuple[str, str]]  # (word as written, class)
    ignored: list[str]  # words set aside (grammar words of STOPWORDS not listed)


#: Possessives after which a noun is something asked of the rows ("with their domain", "and its region")
_OWNERS = frozenset({"their", "its"})

#: Words after which a word says something about the rows ("customers who churned", "orders that are late").
_PREDICATE_LEAD = frozenset("""
who that which whose are is was were be been being become became becomes remain remained remains stay stayed
have has had did do does will would still
""".split())
REQUEST_VERB = re.compile(rf"(?:{'|'.join(REQUEST_VERBS)})", re.IGNORECASE)


def sort_leftover(tokens: Tokens | Iterable[Token], linker: SchemaLinker | None,
                  spelled: Corrected | None = None) -> Leftover:  # fmt: skip
    """Sort the unused words of ``tokens`` into those that carry meaning and those set aside.

    Besides :func:`meaning_of`, a word carries meaning by its place (class ``modifier``): right
    before a word that names a table, column or value ("premium customers", "computed categories";
    not a request verb: "export orders"); right after one when it can be a verb or an adjective
    ("products sold in 2024", "what do customers buy"); right after "who", "that", "are", "have"...
    ("customers who churned", "accounts that are dormant"); right after a number (class ``number``:
    "3 letters", "10 days"). A word the spelling step changed is never set aside (class ``unknown``):
    the correction is a guess — unless it became a grammar word ("Whcih" → which).
    """
    items = tokens.items if isinstance(tokens, Tokens) else list(tokens)
    source = tokens.source if isinstance(tokens, Tokens) else None
    meaningful: list[tuple[str, str]] = []
    ignored: list[str] = []
    for i, t in enumerate(items):
        if t.used or t.kind not in ("word", "quoted", "number", "date"):
            continue
        written = spelled.original_word(t) if spelled else t.text
        cls = meaning_of(t, linker) or _modifier(items, i, linker, source) or _proper_name(items, i, source)
        if cls is None and written != t.text and t.low not in STOPWORDS:
            cls = "unknown"  # a correction is a guess: it may help a recognizer, never excuse a word
        if cls:
            meaningful.append((written, cls))
        elif t.low not in STOPWORDS or written != t.text:
            ignored.append(written)  # a misspelt grammar word ("Whcih") is listed as written
    return Leftover(meaningful, ignored)


def _proper_name(items: list[Token], i: int, source: str | None) -> str | None:
    """A capitalised word inside a sentence ("patients in Boston", "orders from Acme"): a name the request
    gives — a value to filter on that no column holds, never filler (set aside, the plan would answer for
    all rows). Not the first word of a sentence or a line, nor a grammar word ("I")."""
    t = items[i]
    if t.kind != "word" or len(t.text) < 2 or not t.text[0].isupper() or not t.text[1:].islower():
        return None
    if t.low in STOPWORDS or i == 0:
        return None
    prev = items[i - 1]
    if prev.kind == "punct" and prev.text in ".!?:;\"'(-*•":
        return None
    if source is not None and "\n" in source[prev.end : t.start]:
        return None
    return "unknown"


#: Adjectives that point back at rows the request names without restricting them ("the respective departments",
#: "their associated order items", "the individual orders", "the underlying invoices"): set aside, never a
#: condition — unlike an adjective the warehouse may lack ("premium customers"), which is never set aside.
REFERRING_WORDS: frozenset[str] = frozenset("""
respective corresponding associated related relevant underlying individual actual specific particular
aforementioned abovementioned said given listed various
""".split())


def _modifier(items: list[Token], i: int, linker: SchemaLinker | None, source: str | None = None) -> str | None:
    t = items[i]
    if t.kind != "word" or t.low in STOPWORDS or t.low in REFERRING_WORDS:
        return None
    prev = items[i - 1] if i > 0 else None
    if prev is not None and prev.kind == "word" and prev.low in _PREDICATE_LEAD:
        return "modifier"  # "customers who churned", "accounts that are dormant"
    if prev is not None and prev.kind == "number" and _can_be("NOUN", t.low):
        return "number"  # what a number counts: "3 letters", "10 days", "5 seats"
    if _can_be("NOUN", t.low) and _owned(items, i):
        return "modifier"  # "users with their (email) domain": what is asked of the rows, never set aside
    if linker is None:
        return None
    if prev is not None and _names(prev, linker) and _can_be("VERB", t.low) | _can_be("ADJ", t.low) and not (
            _names_result(t.low)):  # fmt: skip
        return "modifier"  # "products sold in 2024", "what do customers buy"; not "ticket report": the result
    nxt = items[i + 1] if i + 1 < len(items) else None
    if nxt is not None and _names(nxt, linker) and not REQUEST_VERB.fullmatch(t.text):
        return "modifier"  # "premium customers", "the computed categories"
    if _heads_of_phrase(items, i, linker, source):
        return "modifier"  # "the shoe size of each member", "members' shoe size": what is asked for
    return None


def _owned(items: list[Token], i: int) -> bool:
    """Word ``i`` ends a noun phrase opened by "their"/"its" ("their domain", "their email domain", "its list
    price"): up to two other words between, none of them a grammar word."""
    for j in range(i - 1, max(-1, i - 4), -1):
        u = items[j]
        if u.kind == "word" and u.low in _OWNERS:
            return True
        if u.kind != "word" or u.low in STOPWORDS:
            return False
    return False


def _names_result(word: str) -> bool:
    """A noun that names the table asked for ("feed", "report", "extract", "sheet"), not something about rows."""
    from datamorph.planner.recognizers.outputs import HEADING_WORDS

    return word in HEADING_WORDS


_OF_EACH = frozenset({"each", "every", "all"})
_HEAD_SPAN = 3  # words of a head noun phrase looked through ("the average shoe size of each ...")


def _heads_of_phrase(items: list[Token], i: int, linker: SchemaLinker, source: str | None) -> bool:
    """Whether word ``i`` is in the noun phrase that names what is asked of a table's rows.

    Before "of each/every/all" ("the shoe size of each member", "loan terms of all borrowers"), or
    after a table named in the possessive ("members' shoe size", "each member's locker"). Such a
    word is the output of the request: set aside, the plan would return other columns than asked.
    Looks through at most :data:`_HEAD_SPAN` unused words either way (linear in the request).
    """
    def content(j: int) -> bool:
        u = items[j]
        return u.kind == "word" and not u.used and u.low not in STOPWORDS

    j = i
    while j + 1 < len(items) and j - i < _HEAD_SPAN and content(j + 1):
        j += 1
    if j + 2 < len(items) and items[j + 1].low == "of" and items[j + 2].low in _OF_EACH:
        return True
    j = i
    while j - 1 >= 0 and i - j < _HEAD_SPAN and content(j - 1):
        j -= 1
    owner = items[j - 1] if j > 0 else None
    if owner is None or owner.kind != "word":
        return False
    written = source[owner.start:owner.end + 1] if source is not None else owner.text
    possessive = owner.low.endswith(("'s", "\u2019s")) or written.endswith(("'", "\u2019"))
    bare = re.sub(r"['\u2019]s?$", "", owner.text)
    return possessive and bool(linker.tables(bare) or any(linker.tables(f) for f in lemmas(bare)))


def _names(t: Token, linker: SchemaLinker) -> bool:
    """Whether a word names a table, column or value of the warehouse."""
    if t.kind != "word" or t.low in STOPWORDS:
        return False
    return bool(_IDENTIFIER.fullmatch(t.text)) or "_" in t.text or _links(t.text, linker)


def _can_be(pos: str, word: str) -> bool:
    """Whether ``word`` can be the part of speech ``pos`` (``NOUN``, ``VERB``, ``ADJ``) by lemminflect's tables."""
    import lemminflect

    return pos in lemminflect.getAllLemmas(word)


def phrase_meaning(phrase: str, linker: SchemaLinker | None = None) -> list[tuple[str, str | None]]:
    """Each word of ``phrase`` with its class (None: may be set aside); numbers and dates read as the planner reads them."""
    from datamorph.planner.text import tokenize

    return [(t.text, meaning_of(t, linker)) for t in tokenize(phrase).items
            if t.kind in ("word", "quoted", "number", "date")]  # fmt: skip

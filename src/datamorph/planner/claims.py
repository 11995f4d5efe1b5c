"""Claims: what a recognizer understood, returned to the driver instead of written into the draft.

A recognizer is a function ``rule(d: View) -> list[Claim]``. It reads the request (its
tokens, the table/column/value mentions the linker found) and the draft as the recognizers
before it left it, through a read-only :class:`View`, and returns claims. A claim names

- the words it explains (character spans of the request),
- the edits it proposes to the draft (:class:`Edit`: add a filter, set the base table...),
- how sure it is (``confidence``, 0–1), and whether its words stay open to later recognizers
  (``shared``: a table's name explains itself and may also be part of a later phrase,
  "orders over 100" → the table ``orders`` and the phrase "orders over 100").

The driver (:func:`datamorph.planner.rules.plan`) applies the claims of one recognizer after
another in the order of ``rules.RULES``; within one recognizer's claims the surer come first.
A claim whose words are not :func:`free` is refused, unless it says it builds on words already
explained (``over=True``: "only" restating a condition, a heading over columns). Every
applied claim is recorded with the recognizer that made it (:class:`ClaimRecord`, kept in the
spec as ``claims``): which words gave which part of the spec.

A word is *free* when no applied claim holds it: punctuation is never held, and the words of a
shared claim are explained (not reported as unused) but not held. That is the one definition
every recognizer uses (``View.free``), so two recognizers cannot disagree on what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from datamorph.planner.text import Token, Tokens

if TYPE_CHECKING:
    from datamorph.planner.draft import Draft

Span = tuple[int, int]
Op = Literal["add", "set", "remove", "use_table", "release"]


@dataclass(frozen=True)
class Edit:
    """One change to one field of the draft (see :func:`datamorph.planner.draft.apply_edit`).

    ``add`` appends ``value`` (a tuple of items) to a list field, ``remove`` takes them out,
    ``set`` replaces the field, ``use_table`` adds a table to the request's tables (the first
    becomes the base), ``release`` frees words an earlier claim held (``value``: spans).
    """

    op: Op
    field: str
    value: Any = None

    @staticmethod
    def add(name: str, *items: Any) -> Edit:
        return Edit("add", name, tuple(items))

    @staticmethod
    def set(name: str, value: Any) -> Edit:
        return Edit("set", name, value)

    @staticmethod
    def remove(name: str, *items: Any) -> Edit:
        return Edit("remove", name, tuple(items))

    @staticmethod
    def use_table(table: str) -> Edit:
        return Edit("use_table", "tables", table)

    @staticmethod
    def release(*spans: Span) -> Edit:
        return Edit("release", "tokens", tuple(spans))

    def describe(self) -> str:
        if self.op == "use_table":
            return f"table {self.value}"
        if self.op == "release":
            return "frees " + ", ".join(f"{a}-{b}" for a, b in self.value)
        items = self.value if self.op in ("add", "remove") else (self.value,)
        shown = ", ".join(_brief(v) for v in items)
        return f"{self.field} {'+' if self.op == 'add' else '-' if self.op == 'remove' else '='} {shown}"


def _brief(v: Any) -> str:
    if hasattr(v, "model_dump"):
        data = {k: x for k, x in v.model_dump(exclude_none=True, by_alias=True).items() if k != "provenance"}
        return str(data)[:160]
    return repr(v)[:160]


@dataclass(frozen=True)
class Claim:
    """The words a recognizer explains, the edits it proposes, and how sure it is."""

    spans: tuple[Span, ...]
    edits: tuple[Edit, ...] = ()
    confidence: float = 1.0
    shared: bool = False  # the words are explained but stay free for later recognizers
    over: bool = False  # may explain words other claims already hold (it builds on them)
    why: str = ""  # a short note for the provenance record

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, not {self.confidence}")
        for a, b in self.spans:
            if not 0 <= a <= b:
                raise ValueError(f"bad span {(a, b)}")


@dataclass(frozen=True)
class ClaimRecord:
    """Provenance: which recognizer took which words, and what it made of them."""

    recognizer: str
    words: str
    spans: tuple[Span, ...]
    edits: tuple[str, ...]
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"recognizer": self.recognizer, "words": self.words, "spans": [list(s) for s in self.spans],
                "edits": list(self.edits), "confidence": self.confidence}  # fmt: skip


def claim(start: int, end: int, *edits: Edit, confidence: float = 1.0, shared: bool = False,
          over: bool = False, why: str = "") -> Claim:  # fmt: skip
    """A claim on one span of the request."""
    return Claim(((start, end),), tuple(edits), confidence, shared, over, why)


def edit_only(*edits: Edit, why: str = "") -> Claim:
    """A claim that explains no words of its own (a default, or a consequence of earlier claims)."""
    return Claim((), tuple(edits), 1.0, False, True, why)


# ---------------------------------------------------------------------------------------------
# the one definition of a free span


def held(t: Token) -> bool:
    """Whether a claim holds ``t`` (punctuation is never held)."""
    return t.used and not t.shared and t.kind != "punct"


def free(tokens: Tokens, start: int, end: int) -> bool:
    """No word sharing a character with ``[start, end)`` is held by an applied claim."""
    return not any(held(t) for t in tokens.overlapping(start, end))


def spans_free(tokens: Tokens, spans: Iterable[Span]) -> bool:
    return all(free(tokens, a, b) for a, b in spans)


# ---------------------------------------------------------------------------------------------
# the read-only view recognizers get


class View:
    """The draft as recognizers see it: read-only (lists come back as tuples), with :meth:`free`.

    The tokens are read-only copies: a recognizer cannot mark them. ``tokens`` lets the driver
    hand several views the same copy while no claim changed the tokens (copying them for every
    recognizer would make planning a long request slow).
    """

    __slots__ = ("_d", "_tokens")

    def __init__(self, d: Draft, tokens: Tokens | None = None) -> None:
        object.__setattr__(self, "_d", d)
        object.__setattr__(self, "_tokens", tokens if tokens is not None else snapshot(d.tokens))

    def __getattr__(self, name: str) -> Any:
        if name == "tokens":
            return self._tokens
        value = getattr(self._d, name)
        if isinstance(value, list):
            return tuple(value)
        if isinstance(value, dict):
            return dict(value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"recognizers return claims; they do not set draft.{name}")

    def free(self, start: int, end: int) -> bool:
        """No word of ``[start, end)`` is held (:func:`free`)."""
        return free(self._tokens, start, end)

    def text(self, start: int, end: int) -> str:
        return self._d.prompt[start:end]


class _ReadOnlyToken(Token):
    """A token as a recognizer sees it: marking it is an error (recognizers return claims)."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"recognizers return claims; they do not set token.{name}")


def _read_only(t: Token) -> Token:
    copy = object.__new__(_ReadOnlyToken)
    copy.__dict__.update(t.__dict__)
    return copy


def snapshot(tokens: Tokens) -> Tokens:
    """A read-only copy of ``tokens``."""
    return Tokens(tokens.source, [_read_only(t) for t in tokens.items])


class Snapshots:
    """The driver's copies of the tokens for the views it makes: a new copy only after the tokens changed."""

    def __init__(self) -> None:
        self._state: tuple[tuple[bool, bool], ...] | None = None
        self._copy: Tokens | None = None

    def of(self, tokens: Tokens) -> Tokens:
        state = tuple((t.used, t.shared) for t in tokens.items)
        if self._copy is None or state != self._state or len(self._copy.items) != len(tokens.items):
            self._state, self._copy = state, snapshot(tokens)
        return self._copy


Rule = Callable[[View], Sequence[Claim]]


@dataclass
class Pending:
    """A recognizer's own claims while it builds them: what it already took is not free to itself.

    Local to one call of one recognizer (the driver never sees it, only :attr:`claims`).
    """

    view: View
    claims: list[Claim] = field(default_factory=list)
    _held: set[int] = field(default_factory=set, repr=False)  # starts of the words this call's claims hold
    _indexed: int = field(default=0, repr=False)  # how many of ``claims`` are in ``_held``

    def free(self, start: int, end: int) -> bool:
        if not self.view.free(start, end):
            return False
        self._index()
        return not any(t.start in self._held for t in self.view.tokens.overlapping(start, end) if t.kind != "punct")

    def _index(self) -> None:
        """Add the words of the claims made since the last look (claims may be appended directly)."""
        for c in self.claims[self._indexed :]:
            if not c.shared:
                for a, b in c.spans:
                    self._held.update(t.start for t in self.view.tokens.overlapping(a, b) if t.kind != "punct")
        self._indexed = len(self.claims)

    def take(self, start: int, end: int, *edits: Edit, confidence: float = 1.0, shared: bool = False,
             over: bool = False, why: str = "") -> Claim:  # fmt: skip
        c = claim(start, end, *edits, confidence=confidence, shared=shared, over=over, why=why)
        self.claims.append(c)
        return c

    def edit(self, *edits: Edit, why: str = "") -> Claim:
        c = edit_only(*edits, why=why)
        self.claims.append(c)
        return c

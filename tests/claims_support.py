"""Recognizer fixtures: phrases → the claims one recognizer returns (the way SQLGlot tests each optimizer rule).

A fixture file ``tests/fixtures/claims/<recognizer>.txt`` holds cases separated by blank lines.
A case is the request on its first line, then one line per expected claim, in order:

    > WORDS | EDIT ; EDIT ...

``WORDS`` are the words the claim explains (as :class:`~datamorph.planner.claims.ClaimRecord`
joins them) and each ``EDIT`` is :meth:`~datamorph.planner.claims.Edit.describe` of one edit;
``> (none)`` says the recognizer claims nothing. Lines starting with ``#`` are comments. The
requests run against the planner tests' warehouse (the demo tables plus web and finance tables,
:mod:`planner_support`), after the recognizers before this one ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datamorph.planner.claims import Claim

FIXTURES = Path(__file__).parent / "fixtures" / "claims"


@dataclass(frozen=True)
class Case:
    recognizer: str
    request: str
    expected: tuple[str, ...]
    where: str

    def __str__(self) -> str:
        return self.where


def cases() -> list[Case]:
    out: list[Case] = []
    for path in sorted(FIXTURES.glob("*.txt")):
        name = path.stem
        lines = path.read_text(encoding="utf-8").splitlines()
        block: list[tuple[int, str]] = []
        for no, line in [*enumerate(lines, 1), (len(lines) + 1, "")]:
            if line.strip().startswith("#"):
                continue
            if line.strip():
                block.append((no, line))
                continue
            if block:
                (first_no, request), rest = block[0], block[1:]
                bad = [r for _, r in rest if not r.startswith("> ")]
                if bad:
                    raise ValueError(f"{path.name}:{first_no}: expected lines start with '> ': {bad[0]!r}")
                expected = tuple(r[2:].strip() for _, r in rest)
                out.append(Case(name, request, () if expected == ("(none)",) else expected,
                                f"{path.name}:{first_no}"))  # fmt: skip
                block = []
    return out


def describe(prompt: str, c: Claim) -> str:
    words = " ".join(prompt[a:b].strip() for a, b in c.spans).strip()
    edits = " ; ".join(e.describe() for e in c.edits)
    return f"{words} | {edits}".strip() if edits else words  # a claim on no words: "| EDIT"

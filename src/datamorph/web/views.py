"""What the pages show, computed from run records, artifacts and specs (no web framework here)."""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

STEP_ORDER = ("plan", "read_sources", "compile", "stage", "validate", "remediate", "publish")

_SQL_KEYWORDS = frozenset("""
select from where group by order having limit offset join inner left right full outer cross on using as and or not
in is null between like ilike case when then else end distinct union all except intersect with over partition
asc desc nulls first last true false exists cast interval qualify rows range preceding following current row
filter within insert into create table view replace values set update delete
""".split())
_SQL_TOKEN = re.compile(r"""(?P<comment>--[^\n]*)|(?P<string>'(?:[^']|'')*')|(?P<ident>"(?:[^"]|"")*")"""
                        r"""|(?P<number>\b\d+(?:\.\d+)?\b)|(?P<word>[A-Za-z_][A-Za-z_0-9]*)""")  # fmt: skip


def highlight_sql(sql: str) -> Markup:
    """``sql`` as escaped HTML with keywords, strings, quoted names, numbers and comments in spans."""
    out: list[str] = []
    pos = 0
    for m in _SQL_TOKEN.finditer(sql):
        out.append(html.escape(sql[pos:m.start()]))
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "word":
            kind = "kw" if text.lower() in _SQL_KEYWORDS else ("fn" if sql[m.end():m.end() + 1] == "(" else "")
        out.append(f'<span class="sql-{kind}">{html.escape(text)}</span>' if kind else html.escape(text))
        pos = m.end()
    out.append(html.escape(sql[pos:]))
    return Markup("".join(out))


@dataclass(frozen=True)
class Mark:
    """Words of the prompt behind one spec element."""

    start: int
    end: int
    element: str  # e.g. "filter amount > 1000"


def provenance_marks(prompt: str, spec: dict[str, Any]) -> list[Mark]:
    """Where the words behind each spec element (their ``provenance``) occur in ``prompt``, without overlaps."""
    found: list[Mark] = []
    low = prompt.lower()
    for words, element in _provenances(spec):
        at = low.find(words.lower())
        while at >= 0 and any(at < m.end and m.start < at + len(words) for m in found):
            at = low.find(words.lower(), at + 1)
        if at >= 0:
            found.append(Mark(at, at + len(words), element))
    return sorted(found, key=lambda m: m.start)


def highlight_prompt(prompt: str, spec: dict[str, Any]) -> Markup:
    """``prompt`` as escaped HTML, the words behind each spec element in a ``<mark>`` naming it."""
    out: list[str] = []
    pos = 0
    for m in provenance_marks(prompt, spec):
        out.append(html.escape(prompt[pos:m.start]))
        out.append(f'<mark title="{html.escape(m.element)}">{html.escape(prompt[m.start:m.end])}'
                   f'<small>{html.escape(m.element)}</small></mark>')  # fmt: skip
        pos = m.end
    out.append(html.escape(prompt[pos:]))
    return Markup("".join(out))


def _provenances(node: Any, path: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        words = node.get("provenance")
        if isinstance(words, str) and words.strip():
            out.append((words.strip(), _describe(path, node)))
        for k, v in node.items():
            if k != "provenance":
                out.extend(_provenances(v, k if isinstance(v, (dict, list)) else path))
    elif isinstance(node, list):
        for v in node:
            out.extend(_provenances(v, path))
    return out


def _describe(kind: str, node: dict[str, Any]) -> str:
    """A short label of a spec element: its kind and its main fields."""
    label = {"filters": "filter", "having": "having", "aggregations": "aggregation", "join_conditions": "join",
             "derived_columns": "derived column", "source_tables": "source", "order_by": "order",
             "target_table": "target", "windows": "window"}.get(kind, kind.rstrip("s") or "element")  # fmt: skip
    if "function" in node:
        return f"{label}: {node.get('function')}({node.get('column') or node.get('expression') or '*'})"
    if "operator" in node:
        return f"{label}: {node.get('column')} {node.get('operator')} {_short(node.get('value'))}"
    for key in ("table_name", "name", "column", "right_table"):
        if node.get(key):
            return f"{label}: {node[key]}"
    return label


def _short(v: Any) -> str:
    text = json.dumps(v, default=str) if not isinstance(v, str) else v
    return text if len(text) <= 40 else text[:37] + "..."


def spec_diff(before: str, after: str, before_name: str, after_name: str) -> list[tuple[str, str]]:
    """A unified diff of two spec JSON texts as ``(kind, line)``; kind is add, del, hunk or ctx."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(_pretty(before), _pretty(after), before_name, after_name, lineterm="", n=2):
        kind = "hunk" if line.startswith(("@@", "---", "+++")) else {"+": "add", "-": "del"}.get(line[:1], "ctx")
        out.append((kind, line))
    return out


def _pretty(text: str) -> list[str]:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True).splitlines()
    except ValueError:
        return text.splitlines()


def artifact_version(name: str, base: str, ext: str = "json") -> int | None:
    """1 for ``base.json``, N for ``base.vN.json`` (or another ``ext``), None for other names."""
    if name == f"{base}.{ext}":
        return 1
    m = re.fullmatch(re.escape(base) + r"\.v(\d+)\." + re.escape(ext), name)
    return int(m.group(1)) if m else None


def versions(names: list[str], base: str, ext: str = "json") -> list[tuple[int, str]]:
    """The versions of artifact ``base`` a run saved, oldest first."""
    found = [(v, n) for n in names if (v := artifact_version(n, base, ext)) is not None]
    return sorted(found)


def parse_ts(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def timeline(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bar per step record: ``name``, ``attempt``, ``status``, ``duration_ms``, ``left`` and ``width`` (% of
    the run's span)."""
    spans = [(s, parse_ts(s.get("started_at")), parse_ts(s.get("ended_at"))) for s in steps]
    starts = [a for _, a, _ in spans if a is not None]
    if not starts:
        return []
    t0 = min(starts)
    t1 = max([b for _, _, b in spans if b is not None] + starts)
    total = max((t1 - t0).total_seconds(), 1e-3)
    bars = []
    for s, a, b in spans:
        if a is None:
            continue
        end = b or t1
        bars.append({"name": s["step"], "attempt": s.get("attempt", 1), "status": s["status"],
                     "duration_ms": s.get("duration_ms"),
                     "left": round(100 * (a - t0).total_seconds() / total, 2),
                     "width": max(round(100 * (end - a).total_seconds() / total, 2), 0.5)})  # fmt: skip
    return bars


def duration_text(ms: float | int | None) -> str:
    if ms is None:
        return "…"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s" if ms < 60_000 else f"{ms / 60_000:.1f} min"


# -- the overview -----------------------------------------------------------------------------------


def overview(runs: list[dict[str, Any]], steps: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Runs per day (by status), success and remediation rates, and the median time of each step."""
    per_day: dict[str, Counter[str]] = {}
    for r in runs:
        day = (r.get("created_at") or "")[:10]
        per_day.setdefault(day, Counter())[r["status"]] += 1
    ended = [r for r in runs if r["status"] in ("completed", "failed", "abandoned")]
    completed = [r for r in ended if r["status"] == "completed"]
    remediated = [r for r in ended if _remediations(r) > 0]
    durations: dict[str, list[float]] = {}
    for run_steps in steps.values():
        for s in run_steps:
            if s["status"] == "ok" and s.get("duration_ms") is not None:
                durations.setdefault(s["step"], []).append(float(s["duration_ms"]))
    order = {name: i for i, name in enumerate(STEP_ORDER)}
    medians = sorted(((k, statistics.median(v), len(v)) for k, v in durations.items()),
                     key=lambda x: order.get(x[0], len(order)))  # fmt: skip
    return {
        "runs": len(runs),
        "ended": len(ended),
        "per_day": sorted((d, dict(c)) for d, c in per_day.items()),
        "success_rate": 100.0 * len(completed) / len(ended) if ended else None,
        "remediation_rate": 100.0 * len(remediated) / len(ended) if ended else None,
        "completed": len(completed),
        "remediated": len(remediated),
        "medians": medians,
    }


def _remediations(run: dict[str, Any]) -> int:
    body = (run.get("result") or {}).get("body") or {}
    try:
        return int(body.get("remediation_iterations") or 0)
    except (TypeError, ValueError):
        return 0


def bar_chart(items: list[tuple[str, float]], *, unit: str = "", width: int = 560, height: int = 200) -> Markup:
    """A vertical bar chart as inline SVG (one bar per item, its value above it)."""
    if not items:
        return Markup("")
    top = max(v for _, v in items) or 1.0
    pad, base = 28, height - 36
    slot = (width - pad) / len(items)
    bar = max(min(slot * 0.6, 60), 4)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet">',
             f'<line x1="{pad}" y1="{base}" x2="{width}" y2="{base}" class="axis"/>']  # fmt: skip
    for i, (label, v) in enumerate(items):
        h = (base - 20) * v / top
        x = pad + i * slot + (slot - bar) / 2
        value = f"{v:g}{unit}" if not unit.strip() else f"{v:,.0f}{unit}"
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" class="bar">'
                     f"<title>{html.escape(label)}: {html.escape(value)}</title></rect>")  # fmt: skip
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{base - h - 4:.1f}" class="val">{html.escape(value)}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{base + 14:.1f}" class="lbl">{html.escape(label[:14])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_day_chart(per_day: list[tuple[str, dict[str, int]]], width: int = 560, height: int = 200) -> Markup:
    """Runs per day as inline SVG: one bar per day, completed (green) under failed (red) under others."""
    if not per_day:
        return Markup("")
    top = max(sum(c.values()) for _, c in per_day) or 1
    pad, base = 28, height - 36
    slot = (width - pad) / len(per_day)
    bar = max(min(slot * 0.6, 60), 4)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet">',
             f'<line x1="{pad}" y1="{base}" x2="{width}" y2="{base}" class="axis"/>']  # fmt: skip
    for i, (day, counts) in enumerate(per_day):
        x = pad + i * slot + (slot - bar) / 2
        y = float(base)
        for status in ("completed", "failed", "abandoned", "running"):
            n = counts.get(status, 0)
            if not n:
                continue
            h = (base - 20) * n / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" class="bar {status}">'
                         f"<title>{day}: {n} {status}</title></rect>")  # fmt: skip
        total = sum(counts.values())
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" class="val">{total}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{base + 14:.1f}" class="lbl">{day[5:]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

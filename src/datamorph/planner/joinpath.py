"""Join paths: a tree of foreign-key edges connecting the tables a request uses."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from datamorph.catalog import Catalog
from datamorph.errors import PlanError
from datamorph.planner.matches import JoinEdge


def join_path(catalog: Catalog, adj: Mapping[str, Any], tables: list[str]) -> list[JoinEdge]:
    """Join edges connecting all ``tables`` (a tree over declared and inferred foreign keys).

    Tables are added in the order given, each by a shortest path (BFS) from the tables
    joined so far, through bridge tables when needed (``orders`` → ``order_items`` →
    ``products``); declared keys are preferred to inferred ones on equal length. In the
    result every edge's ``left_table`` is already joined and ``right_table`` is new, so
    the edges read as a chain of JOINs from the first table. A composite key gives one
    edge per column pair.

    Raises:
        CatalogError: a table is not in the catalog.
        PlanError: no chain of foreign keys connects some of the tables.
    """
    names: list[str] = []
    for t in tables:
        name = catalog.table(t).name
        if name not in names:
            names.append(name)
    if len(names) < 2:
        return []
    tree = [names[0]]
    joined = {names[0]}
    edges: list[JoinEdge] = []
    remaining = list(names[1:])
    while remaining:
        want = set(remaining)
        parent: dict[str, tuple[str, tuple[JoinEdge, ...]] | None] = {t: None for t in tree}
        queue = deque(tree)
        found = None
        while queue and found is None:
            cur = queue.popleft()
            for nb, es, _declared in adj.get(cur, ()):
                if nb in parent:
                    continue
                parent[nb] = (cur, es)
                if nb in want:
                    found = nb
                    break
                queue.append(nb)
        if found is None:
            missing = ", ".join(remaining)
            raise PlanError(
                f"cannot join {missing} to {', '.join(tree)}: no foreign keys connect them",
                hint="declare a foreign key, or name the join columns in the request",
                tables=list(names),
            )
        path: list[tuple[JoinEdge, ...]] = []
        node = found
        while (step := parent[node]) is not None:
            path.append(step[1])
            node = step[0]
        for es in reversed(path):
            edges.extend(es)
            new = es[0].right_table
            if new not in joined:
                joined.add(new)
                tree.append(new)
        remaining = [t for t in remaining if t not in joined]
    return edges

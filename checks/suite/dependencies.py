"""A suite's `depends-on`: which checks hold which, and the order that runs parents before their children."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(parents: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle among the names (`a`, `b`, `a`), or None; every parent named must be a key."""
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                if name in on_path:
                    return [*path[path.index(name):], name]
                if name in done:
                    continue
                path.append(name)
                on_path.add(name)
            children = parents[name]
            if index < len(children):
                stack.append((name, index + 1))
                stack.append((children[index], 0))
            else:
                done.add(name)
                on_path.discard(path.pop())
    return None


def levels(parents: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The names by level, in the mapping's order within each: no parent in a level at or after its child's.

    The mapping has no cycle (find_cycle said so when the file was read).
    """
    depth: dict[str, int] = {}
    for name in parents:
        stack = [name]
        while stack:
            current = stack[-1]
            waiting = [p for p in parents[current] if p not in depth]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            depth[current] = 1 + max((depth[p] for p in parents[current]), default=-1)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in parents:
        grouped[depth[name]].append(name)
    return grouped


def dependents(parents: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each check's direct children: the checks its hard problem holds."""
    found: dict[str, list[str]] = {name: [] for name in parents}
    for child, names in parents.items():
        for parent in names:
            found[parent].append(child)
    return found

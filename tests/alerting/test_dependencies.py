"""Dependencies: a suite's `depends-on` and `run --depends-on`, as real processes against a real store and a
receiver counting every message; the ordering and the cycle finder against the standard library's graphlib."""

from __future__ import annotations

import graphlib
import itertools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.alerting.messages import Fact, facts
from cronchecks.suite.dependencies import find_cycle, levels
from tests.alerting.quiet_fixtures import Hook, cronchecks, db, job


@pytest.fixture
def hook():
    """A loopback webhook receiver counting every alert it is sent."""
    with Hook() as server:
        yield server


def suite_file(tmp_path, hook, body: str):
    path = tmp_path / "suite.toml"
    path.write_text(textwrap.dedent(f"""
        [defaults]
        webhook = "{hook.hook}"
        webhook-format = "json"
    """) + textwrap.dedent(body))
    return path


def command_check(name: str, command: str, depends: list[str] | None = None) -> str:
    extra = f"depends-on = {depends!r}\n".replace("'", '"') if depends is not None else ""
    return f'\n[[check]]\nname = "{name}"\ntype = "command"\nargv = ["{command}"]\n{extra}'


def test_a_parent_down_holds_its_children_and_they_are_announced_once_it_recovers(tmp_path, hook):
    state = tmp_path / "state"
    parent, parent_code = job(tmp_path, "db")
    child, child_code = job(tmp_path, "app")
    body = "".join(command_check(name, child, ["db"]) for name in ("web", "api", "worker"))
    path = suite_file(tmp_path, hook, body + command_check("db", parent))  # the parent last: order is by depends-on
    parent_code.write_text("2")
    child_code.write_text("2")
    done = cronchecks(state, "suite", str(path))
    assert done.code == 2
    assert [(a["check"], a["kind"]) for a in hook.alerts()] == [("db", "problem")]
    assert hook.alerts()[0]["holds"] == ["web", "api", "worker"]
    assert Fact("Holding the messages of", "web, api, worker") in facts(hook.alerts()[0])  # what mail and chat say
    for name in ("web", "api", "worker"):
        said = "(depends on db, which is CRITICAL: messages held)"
        assert f"{name}: {name.upper()} CRITICAL - CRITICAL - step {said}" in done.stdout
    held = dict(db(state).execute("select name, held from checks"))
    assert held == {"db": None, "web": "dependency: db CRITICAL", "api": "dependency: db CRITICAL",
                    "worker": "dependency: db CRITICAL"}
    cronchecks(state, "suite", str(path))
    assert len(hook.alerts()) == 1  # still held, nothing new
    parent_code.write_text("0")
    cronchecks(state, "suite", str(path))
    # What the run owes the webhook goes as one grouped message (the suite's default).
    [group] = hook.alerts()[1:]
    assert group["kind"] == "group"
    assert sorted((a["check"], a["kind"]) for a in group["alerts"]) == [
        ("api", "problem"), ("db", "recovery"), ("web", "problem"), ("worker", "problem")]


def test_parents_run_before_their_children(tmp_path, hook):
    marker = tmp_path / "parent-ran"
    parent = tmp_path / "parent.sh"
    parent.write_text(f"#!/bin/sh\nsleep 0.2\ntouch {marker}\n")
    parent.chmod(0o755)
    child = tmp_path / "child.sh"
    child.write_text(f"#!/bin/sh\ntest -e {marker}\n")
    child.chmod(0o755)
    path = suite_file(tmp_path, hook, command_check("child", str(child), ["parent"])
                      + command_check("parent", str(parent)))
    done = cronchecks(tmp_path / "state", "suite", str(path))
    assert done.code == 0, done.stdout


@pytest.mark.parametrize("checks, message", [
    ([("a", ["b"]), ("b", ["a"])], "a cycle: a -> b -> a"),
    ([("a", ["a"])], "'a' cannot depend on itself"),
    ([("a", ["ghost"])], "no check named 'ghost' in this suite"),
])
def test_a_cycle_or_an_unknown_name_is_refused_before_anything_runs(tmp_path, hook, checks, message):
    marker = tmp_path / "ran"
    body = "".join(command_check(name, "touch", parents).replace('["touch"]', f'["touch", "{marker}"]')
                   for name, parents in checks)
    path = suite_file(tmp_path, hook, body)
    done = cronchecks(tmp_path / "state", "suite", str(path))
    assert done.code == 3
    assert done.stdout.startswith(f"CRONCHECKS UNKNOWN - {path}:10: check #1, key 'depends-on': ")
    assert "key 'depends-on'" in done.stdout and message in done.stdout
    assert not marker.exists()


def test_run_depends_on_reads_the_parents_state_from_the_store(tmp_path, hook):
    state = tmp_path / "state"
    parent, parent_code = job(tmp_path, "db")
    child, child_code = job(tmp_path, "app")

    def run(name, command, *extra):
        return cronchecks(state, "run", "--name", name, "--nagios", "--webhook", hook.hook, "--webhook-format",
                          "json", *extra, "--", command)

    parent_code.write_text("2")
    child_code.write_text("1")
    run("db", parent)
    assert run("app", child, "--depends-on", "db").code == 1
    assert hook.kinds("app") == []
    assert db(state).execute("select held from checks where name = 'app'").fetchone() == ("dependency: db CRITICAL",)
    parent_code.write_text("0")
    run("db", parent)
    run("app", child, "--depends-on", "db")
    assert hook.kinds("db") == ["problem", "recovery"] and hook.kinds("app") == ["problem"]
    itself = run("app", child, "--depends-on", "app")
    assert itself.code == 3 and "cannot depend on itself" in itself.stdout


graphs = st.integers(1, 7).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n))


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_the_cycle_finder_and_the_levels_agree_with_graphlib(edges):
    parents = {f"c{i}": tuple(dict.fromkeys(f"c{j}" for j in targets)) for i, targets in enumerate(edges)}
    try:
        list(graphlib.TopologicalSorter(parents).static_order())
        cyclic = False
    except graphlib.CycleError:
        cyclic = True
    cycle = find_cycle(parents)
    assert (cycle is not None) == cyclic
    if cycle is not None:  # a real cycle: each step is a parent of the one before, back to the start
        assert cycle[0] == cycle[-1]
        assert all(later in parents[earlier] for earlier, later in itertools.pairwise(cycle))
        return
    order = levels(parents)
    depth = {name: index for index, level in enumerate(order) for name in level}
    assert sorted(depth) == sorted(parents)
    assert all(depth[parent] < depth[child] for child, names in parents.items() for parent in names)

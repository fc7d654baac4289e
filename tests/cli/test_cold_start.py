"""What keeps a cold `planner` start cheap, checked in a fresh process (bench/cold_start.py has the timings)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
from project import ROOT

from planner.cli import app, export_app, pull_app, sync_app

# Runs the console entry in a new interpreter; at exit, prints what it imported, whether the plan models built
# their pydantic validators, and how many objects the collector was left with frozen.
_PROBE = """
import atexit, gc, json, sys
def _report():
    modules = sorted(sys.modules)
    model = sys.modules.get("planner.plan.model")
    built = sorted(n for n in getattr(model, "__all__", ()) if getattr(getattr(model, n), "__pydantic_complete__", 0))
    sys.stderr.write("PROBE" + json.dumps({"modules": modules, "built": built, "frozen": gc.get_freeze_count()}))
atexit.register(_report)
from planner.cli import main
main(sys.argv[1:])
"""

# Modules a `plan` or `check` of one design never needs: the trackers, suggest, the CI tree and drift
# machinery, rich, HTTP clients, JSON Schema.
_NOT_FOR_PLAN = (
    "planner.trackers",
    "planner.suggest",
    "planner.ci.tree",
    "planner.ci.drift",
    "planner.ci.build",
    "rich",
    "httpx",
    "jsonschema",
)


def _probe(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stderr.rpartition("PROBE")[2])
    return report


def _loaded(report: dict[str, object], prefix: str) -> list[str]:
    modules = report["modules"]
    assert isinstance(modules, list)
    return [m for m in modules if m == prefix or m.startswith(prefix + ".")]


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "fixtures/schedules.md", "--format", "json"],
        ["plan", "fixtures/schedules.md"],
        ["check", "fixtures/schedules.md"],
    ],
    ids=" ".join,
)
def test_plan_and_check_load_only_what_they_use(args: list[str]) -> None:
    report = _probe(*args)
    for prefix in _NOT_FOR_PLAN:
        assert _loaded(report, prefix) == [], prefix
    # model_construct and the JSON renderer's own walk: no plan model builds its validator or serializer
    # (but Provenance, which planner.ci.provenance validates, a small model of its own).
    built = report["built"]
    assert isinstance(built, list) and set(built) <= {"Provenance"}
    assert _loaded(report, "networkx")  # the plan is still ordered with networkx
    if "json" in args:
        assert _loaded(report, "planner.render.markdown") == []


def test_version_loads_no_pydantic_model_or_networkx() -> None:
    report = _probe("--version")
    for prefix in ("pydantic.main", "networkx", "mistune", "planner.plan", "planner.config", "planner.design"):
        assert _loaded(report, prefix) == [], prefix


def test_the_entry_leaves_its_objects_to_the_exit() -> None:
    # gc.freeze() after the command: re-enabling the paused collector would otherwise traverse them all.
    frozen = _probe("plan", "fixtures/schedules.md", "--format", "json")["frozen"]
    assert isinstance(frozen, int) and frozen > 10_000


def test_command_annotations_are_objects_not_strings() -> None:
    # typer evaluates string annotations (`from __future__ import annotations`) twice per command per start.
    callbacks = [
        info.callback
        for typer_app in (app, export_app, sync_app, pull_app)
        for info in typer_app.registered_commands
        if info.callback is not None
    ]
    assert app.registered_callback is not None and app.registered_callback.callback is not None
    callbacks.append(app.registered_callback.callback)
    assert len(callbacks) > 10
    for callback in callbacks:
        strings = {name for name, value in inspect.get_annotations(callback).items() if isinstance(value, str)}
        assert strings == set(), f"{callback.__module__}.{callback.__name__}: {sorted(strings)}"

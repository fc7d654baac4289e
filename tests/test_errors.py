"""One exception base: every exception class the library defines derives from `planner.PlannerError`."""

from __future__ import annotations

import importlib
import inspect

from project import ROOT

import planner
from planner.errors import PlannerError


def library_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module under planner/, by qualified name."""
    found: dict[str, type[BaseException]] = {}
    for path in sorted((ROOT / "planner").rglob("*.py")):
        if path.name == "__main__.py":
            continue  # importing it runs the command
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_library_exception_is_a_planner_error() -> None:
    found = library_exceptions()
    # The ones this test must at least see, so that an empty scan cannot pass.
    assert {"planner.files.OutputError", "planner.graph.DependencyError", "planner.errors.PlannerError"} <= set(found)
    assert sorted(name for name, cls in found.items() if not issubclass(cls, PlannerError)) == []


def test_planner_error_is_the_package_face() -> None:
    assert planner.PlannerError is PlannerError
    assert "PlannerError" in planner.__all__

"""Issue 2, sections 3-5: ordering, the task DAG, stable ids, the JSON shape and determinism."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import networkx as nx
import pytest
from rules_support import CONFIG, HEAD, ROOT, findings, line_of, plan_text, tasks_of

from planner.config import load_config, parse_config
from planner.files import GENERATED_MARKER
from planner.plan import Plan, plan_design
from planner.render import render
from planner.render.markdown import decode_id, inline

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = sorted((ROOT / "fixtures").glob("*.md"))


def repos_section(*lines: str) -> str:
    return "## Affected Repositories\n\n" + "".join(f"{line}\n" for line in lines) + "\n"


# -- ordering -------------------------------------------------------------------------------------


def test_straight_chain_gives_one_repo_per_wave(tmp_path: Path) -> None:
    text = HEAD + repos_section("- [x] sdk-python - c", "- [x] sdk-rust - b", "- [x] flovyn-server - a")
    plan = plan_text(tmp_path, text)
    assert plan.waves == (("flovyn-server",), ("sdk-rust",), ("sdk-python",))
    assert [(r.name, r.wave, r.depends_on) for r in plan.repos] == [
        ("flovyn-server", 1, ()),
        ("sdk-rust", 2, ("flovyn-server",)),
        ("sdk-python", 3, ("sdk-rust",)),
    ]


def test_order_is_transitive_through_an_unchecked_repo(tmp_path: Path) -> None:
    text = HEAD + repos_section("- [x] sdk-python - c", "- [ ] sdk-rust - unchanged", "- [x] flovyn-server - a")
    plan = plan_text(tmp_path, text)
    assert plan.waves == (("flovyn-server",), ("sdk-python",))
    assert [(r.name, r.depends_on) for r in plan.repos] == [("flovyn-server", ()), ("sdk-python", ("flovyn-server",))]


def test_independent_repos_share_a_wave_listed_by_name(tmp_path: Path) -> None:
    text = HEAD + repos_section(
        "- [x] sdk-python - p", "- [x] sdk-rust - r", "- [x] flovyn-app - a", "- [x] sdk-kotlin - k"
    )
    plan = plan_text(tmp_path, text)
    assert plan.waves == (("flovyn-app", "sdk-rust"), ("sdk-kotlin", "sdk-python"))
    assert [r.name for r in plan.repos] == ["flovyn-app", "sdk-rust", "sdk-kotlin", "sdk-python"]
    assert [r.wave for r in plan.repos] == [1, 1, 2, 2]


# -- tasks ----------------------------------------------------------------------------------------

FULL = (
    HEAD
    + repos_section("- [x] flovyn-server - API and storage", "- [x] flovyn-app - page", "- [x] sdk-rust - client")
    + """## API Changes

- `POST /api/widgets` - create
- `GET /api/widgets` - list

```protobuf
service WidgetService {
  rpc GetWidget(GetWidgetRequest) returns (Widget);
}
```

## Database Changes

- new table `widgets`

## Key Files

- `flovyn-server/src/widgets.rs` - handlers
- `flovyn-app/app/widgets/page.tsx` - page
"""
)


def test_migration_comes_first_and_the_provider_tasks_depend_on_it(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, FULL)
    assert findings(plan) == []
    server = tasks_of(plan, "flovyn-server")
    assert list(server) == [
        "flovyn-server:migration",
        "flovyn-server:rest:GET:/api/widgets",
        "flovyn-server:rest:POST:/api/widgets",
        "flovyn-server:grpc:WidgetService.GetWidget",
        "flovyn-server:file:src/widgets.rs",
    ]
    assert server["flovyn-server:migration"] == ()
    assert all(deps == ("flovyn-server:migration",) for tid, deps in server.items() if tid != "flovyn-server:migration")


def test_a_consumer_task_depends_on_the_providers_task_for_the_same_api(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, FULL)
    assert tasks_of(plan, "flovyn-app") == {
        "flovyn-app:rest:GET:/api/widgets": ("flovyn-server:rest:GET:/api/widgets",),
        "flovyn-app:rest:POST:/api/widgets": ("flovyn-server:rest:POST:/api/widgets",),
        "flovyn-app:file:app/widgets/page.tsx": (),
    }
    # sdk-rust consumes gRPC only: no REST task for it.
    assert tasks_of(plan, "sdk-rust") == {
        "sdk-rust:grpc:WidgetService.GetWidget": ("flovyn-server:grpc:WidgetService.GetWidget",),
    }
    titles = {t.id: t.title for r in plan.repos for t in r.tasks}
    assert titles["flovyn-server:rest:POST:/api/widgets"] == "Implement POST /api/widgets"
    assert titles["flovyn-app:rest:POST:/api/widgets"] == "Call POST /api/widgets"
    assert titles["sdk-rust:grpc:WidgetService.GetWidget"] == "Call rpc WidgetService.GetWidget"


def test_without_a_planned_provider_a_consumer_task_stands_alone(tmp_path: Path) -> None:
    text = FULL.replace("- [x] flovyn-server - API and storage", "- [ ] flovyn-server - shipped").replace(
        "- `flovyn-server/src/widgets.rs` - handlers\n", ""
    )
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("warning", "no-database-provider", line_of(text, "## Database Changes"))]
    assert tasks_of(plan, "flovyn-app")["flovyn-app:rest:GET:/api/widgets"] == ()


def test_api_changes_no_planned_repo_touches_are_a_warning(tmp_path: Path) -> None:
    text = HEAD + repos_section("- [x] flovyn-app - page") + "## API Changes\n\n```\nrpc Ping(A) returns (B);\n```\n"
    plan = plan_text(tmp_path, text)
    assert findings(plan) == [("warning", "api-unplanned", line_of(text, "rpc Ping"))]


BOTH_SIDES = """version = 1

[repos.gateway]
description = "Edge gateway: serves REST and also calls the core's REST API"
language = "go"
provides = ["rest"]
consumes = ["rest"]

[repos.web]
description = "Web console"
language = "typescript"
depends_on = ["gateway"]
consumes = ["rest"]
"""


def test_a_repo_that_provides_and_consumes_gets_the_provider_task_only(tmp_path: Path) -> None:
    config, problems = parse_config(BOTH_SIDES, "both.toml")
    assert config is not None, problems
    text = HEAD + repos_section("- [x] gateway - g", "- [x] web - w") + "## API Changes\n\n- `GET /v1/widgets`\n"
    plan = plan_text(tmp_path, text, config=config)
    assert tasks_of(plan, "gateway") == {"gateway:rest:GET:/v1/widgets": ()}
    assert tasks_of(plan, "web") == {"web:rest:GET:/v1/widgets": ("gateway:rest:GET:/v1/widgets",)}
    assert plan.repos[0].tasks[0].title == "Implement GET /v1/widgets"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_tasks_form_a_dag_over_known_ids(fixture: Path) -> None:
    plan = plan_design(fixture, CONFIG)
    assert plan.ok, plan.diagnostics
    ids = [t.id for r in plan.repos for t in r.tasks]
    assert len(ids) == len(set(ids))
    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from((d, t.id) for r in plan.repos for t in r.tasks for d in t.depends_on)
    assert set(graph.nodes) == set(ids), "a dependency names a task that is not in the plan"
    assert nx.is_directed_acyclic_graph(graph)
    # A task never depends on a repo that comes later in the plan.
    position = {t.id: i for i, r in enumerate(plan.repos) for t in r.tasks}
    assert all(position[a] <= position[b] for a, b in graph.edges)


def test_ids_survive_edits_to_unrelated_lines(tmp_path: Path) -> None:
    before = plan_text(tmp_path, FULL)
    edited = FULL.replace("## API Changes", "## Overview\n\nA new paragraph,\nthree lines long.\n\n## API Changes")
    after = plan_text(tmp_path, edited)
    assert [t.id for r in before.repos for t in r.tasks] == [t.id for r in after.repos for t in r.tasks]
    # The lines moved, the ids did not.
    assert [t.source_line + 5 for r in before.repos for t in r.tasks] == [
        t.source_line for r in after.repos for t in r.tasks
    ]


# -- JSON shape -----------------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    from typer.testing import CliRunner

    from planner.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_json_plan_shape_and_schema(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, FULL + "\n## Open Questions\n\n- [ ] Colour?\n")
    data = json.loads(render(plan, "json"))
    assert data["schema_version"] == 1
    assert {"path", "title", "status", "date", "branch"} <= set(data["design"])
    assert data["design"]["path"] == str(tmp_path / "design.md")
    assert data["waves"] == [["flovyn-server"], ["flovyn-app", "sdk-rust"]]
    repo_keys = {"name", "wave", "depends_on", "change", "description", "verify", "tasks"}
    task_keys = {"id", "kind", "title", "files", "depends_on", "source_line"}
    for repo in data["repos"]:
        assert repo_keys <= set(repo)
        assert repo["name"] in data["waves"][repo["wave"] - 1]  # waves numbered from 1
        assert all(task_keys <= set(task) for task in repo["tasks"])
        configured = CONFIG.repos[repo["name"]]
        assert (repo["description"], repo["verify"]) == (configured.description, list(configured.verify))
    assert [r["change"] for r in data["repos"]] == ["API and storage", "page", "client"]
    assert [r["name"] for r in data["repos"]] == ["flovyn-server", "flovyn-app", "sdk-rust"]
    assert data["diagnostics"] == [
        {
            "severity": "warning",
            "code": "open-question",
            "message": data["diagnostics"][0]["message"],
            "path": str(tmp_path / "design.md"),
            "line": line_of(FULL + "\n## Open Questions\n\n- [ ] Colour?\n", "Colour?"),
        }
    ]
    validator = jsonschema.Draft202012Validator(schema())
    validator.validate(data)


def test_schema_rejects_a_plan_that_breaks_the_shape(tmp_path: Path) -> None:
    data = json.loads(render(plan_text(tmp_path, FULL), "json"))
    validator = jsonschema.Draft202012Validator(schema())
    for broken in (
        {k: v for k, v in data.items() if k != "schema_version"},
        {**data, "schema_version": 2},
        {**data, "repos": [{**data["repos"][0], "tasks": [{**data["repos"][0]["tasks"][0], "kind": "deploy"}]}]},
        {**data, "design": {k: v for k, v in data["design"].items() if k != "path"}},
    ):
        assert not validator.is_valid(broken)


# -- determinism ----------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    return str(value).lower() if isinstance(value, bool) else str(value)


def shuffled_config(seed: int) -> str:
    """The example config with its repo tables, keys and unordered lists written in another order."""
    data = tomllib.loads((ROOT / "config" / "repos.toml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out = [f"version = {data['version']}", ""]
    names = list(data["repos"])
    rng.shuffle(names)
    for name in names:
        table = dict(data["repos"][name])
        tracker = table.pop("tracker", None)
        keys = list(table)
        rng.shuffle(keys)
        out.append(f"[repos.{name}]")
        for key in keys:
            value = table[key]
            if key in ("depends_on", "provides", "consumes", "aliases"):
                value = rng.sample(value, len(value))  # sets in meaning; `verify` keeps its order
            out.append(f"{key} = {_toml_value(value)}")
        if tracker is not None:
            out += ["", f"[repos.{name}.tracker]", *(f"{k} = {_toml_value(v)}" for k, v in tracker.items())]
        out.append("")
    return "\n".join(out)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shuffled_config_gives_byte_identical_plans(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "repos.toml"
    path.write_text(shuffled_config(seed), encoding="utf-8")
    shuffled, problems = load_config(path)
    assert shuffled is not None, problems
    assert path.read_text(encoding="utf-8") != (ROOT / "config" / "repos.toml").read_text(encoding="utf-8")
    for fixture in FIXTURES:
        a: Plan = plan_design(fixture, CONFIG)
        b: Plan = plan_design(fixture, shuffled)
        for fmt in ("markdown", "json"):
            assert render(a, fmt) == render(b, fmt), f"{fixture.name} {fmt} differs with seed {seed}"


def test_repeated_runs_are_byte_identical() -> None:
    for fixture in FIXTURES:
        for fmt in ("markdown", "json"):
            assert len({render(plan_design(fixture, CONFIG), fmt) for _ in range(3)}) == 1


TASK_LINE = re.compile(r"^- \[ \] \*\*(\d+)\.(\d+)\*\* (.+) <!-- planner:id=(\S+) -->$")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_markdown_plan_structure(fixture: Path) -> None:
    plan = plan_design(fixture, CONFIG)
    lines = render(plan, "markdown").split("\n")
    assert lines[0] == GENERATED_MARKER
    assert lines[1] == f"# Plan: {plan.design.feature}"
    assert lines[3] == f"- Design: [{plan.design.path}](<{plan.design.path}>)"
    assert "```mermaid" in lines and "| Wave | Repos |" in lines
    phases = [line for line in lines if line.startswith("## Phase ")]
    assert phases == [f"## Phase {i}: {r.name}" for i, r in enumerate(plan.repos, 1)]
    numbered = [m.groups() for m in map(TASK_LINE.match, lines) if m]
    expected = [(str(i), str(j), t.id) for i, r in enumerate(plan.repos, 1) for j, t in enumerate(r.tasks, 1)]
    assert [(n, m, decode_id(tid)) for n, m, _, tid in numbered] == expected
    files = [line.strip() for line in lines if line.startswith("  File: ")]
    assert files == [f"File: `{f}`" for r in plan.repos for t in r.tasks for f in t.files]
    for repo in plan.repos:
        assert "\n".join(["```sh", *repo.verify, "```"]) in "\n".join(lines)
    warnings = [d for d in plan.diagnostics if d.severity == "warning"]
    assert ("## Warnings" in lines) == bool(warnings)
    if warnings:
        assert lines.index("## Warnings") > lines.index(phases[-1])  # at the end, after every phase
        assert lines[lines.index("## Warnings") :][2 : 2 + len(warnings)] == [
            f"- line {d.line}: {inline(d.message)} ({d.code})" for d in warnings
        ]

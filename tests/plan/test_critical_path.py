"""The task graph and the plan's critical path: the longest chain of dependent tasks, with a fixed tie rule."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from project import ROOT
from rules_support import HEAD, plan_text

from planner.config import parse_config
from planner.plan import RepoPlan, Task
from planner.plan.order import critical_path, task_graph, task_order
from planner.render import render


def repo(name: str, *tasks: tuple[str, Sequence[str]]) -> RepoPlan:
    """A repo of the plan with tasks given as (id, ids it waits for)."""
    return RepoPlan(
        name=name,
        wave=1,
        depends_on=(),
        change="",
        description=name,
        language="x",
        verify=(),
        tasks=tuple(
            Task(id=task_id, kind="file", title=task_id, depends_on=tuple(deps), source_line=1)
            for task_id, deps in tasks
        ),
    )


def test_the_longest_chain_across_repos() -> None:
    repos = [
        repo("core", ("core:schema", []), ("core:api", ["core:schema"]), ("core:docs", [])),
        repo("app", ("app:client", ["core:api"]), ("app:screen", ["app:client"]), ("app:icon", [])),
    ]
    assert critical_path(repos) == ("core:schema", "core:api", "app:client", "app:screen")


def test_no_task_no_path_and_a_lone_task_is_its_own_path() -> None:
    assert critical_path([]) == ()
    assert critical_path([repo("empty")]) == ()
    assert critical_path([repo("one", ("one:only", []))]) == ("one:only",)


def test_equal_chains_go_to_the_one_ending_first_then_the_earliest_steps_back() -> None:
    # Two chains of two end at b:1 and b:2; b:1 is listed first. b:1 waits for a:1 and a:2 alike: a:1 is earlier.
    repos = [
        repo("a", ("a:1", []), ("a:2", [])),
        repo("b", ("b:1", ["a:2", "a:1"]), ("b:2", ["a:1"])),
    ]
    assert critical_path(repos) == ("a:1", "b:1")
    # Listed the other way round, the other chain wins: the rule is the plan's order, not the ids.
    repos = [
        repo("a", ("a:2", []), ("a:1", [])),
        repo("b", ("b:2", ["a:1"]), ("b:1", ["a:2", "a:1"])),
    ]
    assert critical_path(repos) == ("a:1", "b:2")


def test_a_task_waiting_for_one_listed_later_still_gets_a_chain() -> None:
    # The consumer's repo is listed first but waits for the provider's task: the task order puts it after.
    repos = [repo("consumer", ("c:call", ["p:serve"])), repo("provider", ("p:migrate", []), ("p:serve", ["p:migrate"]))]
    assert list(task_graph(repos)) == ["c:call", "p:migrate", "p:serve"]
    assert task_order(task_graph(repos)) == ["p:migrate", "p:serve", "c:call"]
    assert critical_path(repos) == ("p:migrate", "p:serve", "c:call")


@st.composite
def task_plans(draw: st.DrawFn) -> list[RepoPlan]:
    """Up to 12 tasks over up to 4 repos, each waiting for any of the others that cannot make a cycle."""
    count = draw(st.integers(0, 12))
    ranks = draw(st.permutations(range(count)))  # a hidden order that keeps the graph acyclic
    ids = [f"t{i:02d}" for i in range(count)]
    waits = {
        ids[i]: draw(st.lists(st.sampled_from([ids[j] for j in range(count) if ranks[j] < ranks[i]] or [""])))
        for i in range(count)
    }
    cuts = sorted(draw(st.lists(st.integers(0, count), max_size=3)))
    bounds = [0, *cuts, count]
    return [
        repo(f"r{n}", *((task_id, sorted(set(waits[task_id]) - {""})) for task_id in ids[start:end]))
        for n, (start, end) in enumerate(itertools.pairwise(bounds))
    ]


@FUZZ
@given(task_plans())
def test_critical_path_is_a_longest_chain_chosen_by_the_stated_rule(repos: list[RepoPlan]) -> None:
    graph = task_graph(repos)
    listed = [task.id for r in repos for task in r.tasks]
    assert list(graph) == listed
    order = task_order(graph)
    assert sorted(order) == sorted(listed)
    # Every task's dependencies come earlier in the task order ...
    rank = {task_id: index for index, task_id in enumerate(order)}
    assert all(rank[dep] < rank[task.id] for r in repos for task in r.tasks for dep in task.depends_on)
    # ... which is the plan's own order whenever that already holds.
    position = {task_id: index for index, task_id in enumerate(listed)}
    if all(position[dep] < position[task.id] for r in repos for task in r.tasks for dep in task.depends_on):
        assert order == listed

    # Longest chain ending at each task, counted in tasks, straight from the definition.
    longest: dict[str, int] = {}
    for task_id in order:
        longest[task_id] = 1 + max((longest[dep] for dep in graph.pred[task_id]), default=0)
    path = critical_path(repos)
    if not order:
        assert path == ()
        return
    assert len(path) == max(longest.values())
    assert all(graph.has_edge(a, b) for a, b in itertools.pairwise(path))
    # Ties: the end listed first in the plan, then at each step back the dependency listed first in the plan
    # that keeps the chain longest.
    assert path[-1] == next(t for t in listed if longest[t] == len(path))
    for before, after in itertools.pairwise(path):
        assert before == min(
            (d for d in graph.pred[after] if longest[d] == longest[after] - 1), key=position.__getitem__
        )


SERVICE_DESIGN = (
    HEAD
    + "## Affected Repositories\n\n- [x] flovyn-server - store and serve widgets\n- [x] flovyn-app - show them\n\n"
    + "## API Changes\n\n```\nGET /api/widgets\n```\n\n"
    + "## Database Changes\n\n```sql\nCREATE TABLE widgets (id UUID PRIMARY KEY);\n```\n\n"
)


def test_a_planned_design_carries_its_critical_path(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, SERVICE_DESIGN)
    assert plan.ok, plan.diagnostics
    assert plan.critical_path == (
        "flovyn-server:migration",
        "flovyn-server:rest:GET:/api/widgets",
        "flovyn-app:rest:GET:/api/widgets",
    )
    assert json.loads(render(plan, "json"))["critical_path"] == list(plan.critical_path)
    markdown = render(plan, "markdown")
    order = markdown.split("## Order", 1)[1].split("\n## ", 1)[0]
    assert "\nCritical path (3 tasks): 1.1 -> 1.2 -> 2.1\n" in order


def test_a_plan_without_tasks_has_no_critical_path_line(tmp_path: Path) -> None:
    # Every checked repo gets at least a change task, so only a plan with no checked repo has no task.
    text = HEAD + "## Affected Repositories\n\n- [ ] sdk-kotlin - not this time\n\n"
    plan = plan_text(tmp_path, text)
    assert not plan.ok and plan.repos == ()
    assert plan.critical_path == ()
    assert "Critical path" not in render(plan, "markdown")
    assert json.loads(render(plan, "json"))["critical_path"] == []


def test_one_task_is_a_path_of_one_task(tmp_path: Path) -> None:
    text = HEAD + "## Affected Repositories\n\n- [x] sdk-kotlin - c\n\n## Key Files\n\n- `sdk-kotlin/src/A.kt` - a\n"
    plan = plan_text(tmp_path, text)
    assert "\nCritical path (1 task): 1.1\n" in render(plan, "markdown")


def test_consumer_not_depending_on_its_provider(tmp_path: Path) -> None:
    # `web` calls the API `api` serves, but the config does not say web depends on api: both are in wave 1,
    # web listed first. The chain still runs provider first.
    config, problems = parse_config(
        "version = 1\n"
        '[repos.api]\ndescription = "d"\nlanguage = "x"\nprovides = ["rest"]\n'
        '[repos.web]\ndescription = "d"\nlanguage = "x"\nconsumes = ["rest"]\n',
        "mem.toml",
    )
    assert config is not None, problems
    text = HEAD + "## Affected Repositories\n\n- [x] web - call\n- [x] api - serve\n\n## API Changes\n\n`GET /x`\n"
    plan = plan_text(tmp_path, text, config=config)
    assert plan.critical_path == ("api:rest:GET:/x", "web:rest:GET:/x")
    assert nx.is_directed_acyclic_graph(task_graph(plan.repos))


def test_planning_needs_networkx() -> None:
    # A fresh interpreter, so the block cannot leak into other tests: with networkx unimportable, planning
    # fails at the import, and the same script plans fine without the block.
    script = (
        "import sys\n"
        "if sys.argv[1] == 'block':\n"
        "    sys.modules['networkx'] = None\n"
        "from planner import plan_design\n"
        "plan = plan_design('fixtures/schedules.md', 'config/repos.toml')\n"
        "print(plan.ok, len(plan.critical_path))\n"
    )
    blocked = subprocess.run(
        [sys.executable, "-c", script, "block"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert blocked.returncode != 0
    assert "ModuleNotFoundError: import of networkx halted" in blocked.stderr
    free = subprocess.run([sys.executable, "-c", script, "free"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (free.returncode, free.stdout) == (0, "True 4\n"), free.stderr


def test_a_path_task_missing_from_the_plan_is_shown_by_its_id(tmp_path: Path) -> None:
    # A JSON plan edited by hand can name a task the plan does not hold: shown as its id, not a crash.
    plan = plan_text(tmp_path, SERVICE_DESIGN)
    edited = plan.model_copy(update={"critical_path": ("flovyn-server:migration", "gone:task")})
    assert "\nCritical path (2 tasks): 1.1 -> `gone:task`\n" in render(edited, "markdown")

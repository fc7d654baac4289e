"""Issue 11: task templates from the config — steps, their ids, placeholders and config errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from rules_support import HEAD, ROOT, line_of, plan_text, tasks_of

from planner.config import Config, parse_config
from planner.config.templates import PLACEHOLDERS, step_suffix

BASE = (ROOT / "config" / "repos.toml").read_text(encoding="utf-8")

DESIGN = (
    HEAD
    + """## API Changes

- `POST /api/gadgets` - create

## Database Changes

```sql
CREATE TABLE gadgets (id UUID PRIMARY KEY);
```

## Affected Repositories

- [x] flovyn-server - gadgets
- [x] flovyn-app - gadgets page
"""
)


def config(templates: str, app_templates: str = "") -> Config:
    text = BASE.replace("version = 1\n", f"version = 1\n\n[templates]\n{templates}\n", 1)
    if app_templates:
        text += f"\n[repos.flovyn-app.templates]\n{app_templates}\n"
    loaded, problems = parse_config(text, "repos.toml")
    assert loaded is not None, problems
    return loaded


def problems_of(templates: str) -> list[tuple[str, int, str]]:
    text = BASE.replace("version = 1\n", f"version = 1\n\n[templates]\n{templates}\n", 1)
    loaded, problems = parse_config(text, "repos.toml")
    assert loaded is None
    return [(d.code, d.line, d.message) for d in problems]


TESTS_FIRST = (
    'rest_provide = ["Write a failing test for {method} {path}", "Implement {method} {path}"]\n'
    'migration = ["Write the migration ({tables})", "Test the migration up and down"]\n'
)


def test_each_template_line_is_a_task_and_the_steps_chain(tmp_path: Path) -> None:
    plan = plan_text(tmp_path, DESIGN, config=config(TESTS_FIRST))
    server = tasks_of(plan, "flovyn-server")
    first = "flovyn-server:rest:POST:/api/gadgets"
    implement = f"{first}:implement-method-path"
    migrated = "flovyn-server:migration:test-the-migration-up-and-down"
    assert server == {
        "flovyn-server:migration": (),
        migrated: ("flovyn-server:migration",),
        first: (migrated,),
        implement: (first,),
    }
    titles = [t.title for t in plan.repos[0].tasks]
    assert titles == [
        "Write the migration (gadgets)",
        "Test the migration up and down",
        "Write a failing test for POST /api/gadgets",
        "Implement POST /api/gadgets",
    ]
    # The consumer waits for the provider's last step; without its own template it keeps today's task.
    assert tasks_of(plan, "flovyn-app") == {"flovyn-app:rest:POST:/api/gadgets": (implement,)}
    assert plan.repos[1].tasks[0].title == "Call POST /api/gadgets"


def test_a_repo_template_overrides_the_top_level_one(tmp_path: Path) -> None:
    overridden = config(
        TESTS_FIRST + 'rest_consume = ["Call {endpoint}"]\n',
        'rest_consume = ["Add {method} {path} to the client", "Use it in the UI ({feature}, {repo})"]',
    )
    plan = plan_text(tmp_path, DESIGN, config=overridden)
    app = plan.repos[1].tasks
    assert [t.title for t in app] == ["Add POST /api/gadgets to the client", "Use it in the UI (Widgets, flovyn-app)"]
    assert [t.id for t in app] == [
        "flovyn-app:rest:POST:/api/gadgets",
        "flovyn-app:rest:POST:/api/gadgets:use-it-in-the-ui-feature-repo",
    ]


def test_without_templates_the_plan_is_unchanged(tmp_path: Path) -> None:
    plain = plan_text(tmp_path, DESIGN)
    empty = plan_text(tmp_path, DESIGN, config=config(""))
    assert plain.repos == empty.repos


_STEP = st.from_regex(r"[A-Z][a-z]{2,8}( [a-z]{2,8}){0,3}", fullmatch=True)


@FUZZ
@given(steps=st.lists(_STEP, min_size=1, max_size=4, unique_by=step_suffix), extra=_STEP, at=st.integers(1, 4))
def test_a_new_step_leaves_the_ids_of_the_others(steps: list[str], extra: str, at: int) -> None:
    # A step's id comes from its own words: inserting another step after the first changes no other id.
    if any(step_suffix(extra) == step_suffix(s) for s in steps):
        return
    grown = [*steps[:at], extra, *steps[at:]]
    before = _ids(steps)
    after = _ids(grown)
    assert set(before) <= set(after) and len(after) == len(before) + 1


def _ids(lines: list[str]) -> list[str]:
    from planner.design import parse_design
    from planner.plan import build_plan

    quoted = ", ".join(f'"{line}"' for line in lines)
    doc, problems = parse_design(DESIGN, "d.md")
    plan = build_plan(doc, config(f"rest_provide = [{quoted}]"), problems)
    return [t.id for t in plan.repos[0].tasks if ":rest:" in t.id]


# -- config errors -----------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_a_config_error_at_its_line() -> None:
    templates = 'migration = [\n    "Write the migration ({tables})",\n    "Check {path} too",\n]\n'
    found = problems_of(templates)
    text = BASE.replace("version = 1\n", f"version = 1\n\n[templates]\n{templates}\n", 1)
    assert [(code, line) for code, line, _ in found] == [("config-template", line_of(text, "Check {path}"))]
    message = found[0][2]
    assert "{path}" in message and "{tables}" in message and "migration" in message


def test_format_specs_empty_lists_and_clashing_steps_are_errors() -> None:
    assert "unknown placeholder {method:>10}" in problems_of('rest_provide = ["Do {method:>10}"]')[0][2]
    assert "is empty" in problems_of("file = []")[0][2]
    clash = problems_of('change = ["Start", "Do it!", "Do: it"]')[0][2]
    assert "same task id suffix ':do-it'" in clash
    assert "[templates]: unknown task kind 'templates.bogus'" in problems_of('bogus = ["x"]')[0][2]


def test_the_placeholder_sets_are_closed_and_documented() -> None:
    docs = (ROOT / "docs" / "reading-designs.md").read_text(encoding="utf-8")
    for kind, names in PLACEHOLDERS.items():
        assert f"`{kind}`" in docs
        assert all(f"{{{name}}}" in docs for name in names)


def test_plan_with_a_bad_template_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = BASE.replace("version = 1\n", 'version = 1\n\n[templates]\nchange = ["{nope}"]\n', 1)
    (tmp_path / "repos.toml").write_text(bad, encoding="utf-8")
    (tmp_path / "d.md").write_text(DESIGN, encoding="utf-8")
    out = tmp_path / "plan.md"
    done = subprocess.run(
        [sys.executable, "-m", "planner", "plan", "--config", "repos.toml", "d.md", "--output", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and not out.exists()
    line = line_of(bad, "{nope}")
    assert f"repos.toml:{line}: error: [templates] change line '{{nope}}' has unknown placeholder" in done.stderr

"""Property tests: hostile Markdown and raw bytes never crash planner, and the plan only depends on what matters.

The budget per property is `PLANNER_FUZZ_EXAMPLES` (25 by default, 200 in `.ci/run`); see CONTRIBUTING.md.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_designs import (
    EXAMPLES,
    FUZZ,
    PROSE,
    PROSE_BLOCKS,
    PROSE_SECTIONS,
    READ_SECTION_PROSE,
    DesignSpec,
    config_texts,
    design_bytes,
    design_specs,
    file_line_count,
    plan_shape,
    write,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG
from typer.testing import CliRunner

from planner.ci.progress import box_state, carry_over, read_progress
from planner.cli import app
from planner.config import Config, load_config, parse_config
from planner.design import decode_design, parse_design
from planner.plan import Plan, plan_design
from planner.render import FORMATS, render
from planner.render.markdown import TASK_MARKER, decode_id

# The long property tests: `-m 'not slow'` leaves them out of a quick loop; the default run keeps them.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # Hypothesis reruns the test body many times inside one function-scoped fixture; a module dir is reused.
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def config() -> Config:
    loaded, problems = load_config(EXAMPLE_CONFIG)
    assert loaded is not None, problems
    return loaded


def assert_lines_within(plan: Plan, path: Path, data: bytes) -> None:
    limit = file_line_count(data)
    for d in plan.diagnostics:
        assert d.path == str(path), d
        assert 1 <= d.line <= limit, (d, limit)
        assert d.message and d.code


# -- nothing crashes -------------------------------------------------------------------------------


@FUZZ
@given(data=design_bytes(), allow=st.booleans(), strict=st.booleans())
def test_plan_design_never_raises_and_lines_stay_in_file(
    workdir: Path, config: Config, data: bytes, allow: bool, strict: bool
) -> None:
    path = write(workdir, "design.md", data)
    plan = plan_design(path, config, allow_unapproved=allow, strict=strict)
    assert_lines_within(plan, path, data)
    if plan.ok:
        for fmt in FORMATS:
            assert render(plan, fmt).endswith("\n")
    else:
        assert any(d.severity == "error" for d in plan.diagnostics)


@FUZZ
@given(data=design_bytes())
def test_parse_design_lines_match_decoded_text(data: bytes) -> None:
    text, problems = decode_design(data, "d.md")
    if text is None:
        assert len(problems) == 1 and problems[0].severity.value == "error"
        assert 1 <= problems[0].line <= file_line_count(data)
        return
    doc, found = parse_design(text, "d.md")
    total = text.count("\n")
    assert doc.line_count == total
    lines = [d.line for d in found] + [r.line for r in doc.repos] + [k.line for k in doc.key_files]
    lines += [e.line for e in doc.endpoints] + [r.line for r in doc.rpcs] + [c.line for c in doc.db_changes]
    assert all(1 <= line <= total for line in lines), (lines, total)


runner = CliRunner()
# The CLI runs on a sample: half the library's budget (each example is a whole typer invocation).
CLI_FUZZ = settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))


@CLI_FUZZ
# Found by a 5,000-example run: a form feed in a message is one line to the Actions runner.
@example(data=b"\xef\xbb\xbf**Status:** 0\x0c0\nGET /api/x\n", command="plan", fmt="github")
@given(data=design_bytes(), command=st.sampled_from(["plan", "check"]), fmt=st.sampled_from(["text", "json", "github"]))
def test_cli_plan_and_check_exit_0_or_1_with_diagnostics(workdir: Path, data: bytes, command: str, fmt: str) -> None:
    path = write(workdir, "cli.md", data)
    args = [command, str(path), "--config", str(EXAMPLE_CONFIG)]
    if command == "plan":
        args += ["--format", "json" if fmt == "json" else "markdown"]
        args += ["--diagnostics", "github"] if fmt == "github" else []
    else:
        args += ["--format", fmt]
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    if result.exit_code == 1 and fmt == "text":
        assert f"{path}:" in result.stderr
    if fmt == "github":
        # Every diagnostic is one workflow command line, whatever the design held. Lines as the runner reads
        # them: split at LF (a form feed or U+2028 in a message is text to it, not a line break).
        assert "\r" not in result.stderr
        lines = result.stderr.rstrip("\n").split("\n") if result.stderr else []
        # (`check` reports a design that is not Approved as a note: `::notice`.)
        assert all(line.startswith(("::error file=", "::warning file=", "::notice file=")) for line in lines), lines
        assert result.exit_code == 0 or "::error " in result.stderr
    if command == "check" and fmt == "json":
        report = json.loads(result.stdout)
        assert report[0]["ok"] is (result.exit_code == 0)
        limit = file_line_count(data)
        assert all(1 <= d["line"] <= limit for d in report[0]["diagnostics"])
    elif command == "plan" and result.exit_code == 0 and fmt == "json":
        assert json.loads(result.stdout)["schema_version"] == 1


# -- the plan depends only on what it should -------------------------------------------------------


def shape(plan: Plan) -> dict[str, object]:
    """The plan without positions; diagnostics as a sorted list, since their order follows lines."""
    dumped = plan_shape(plan.model_dump(mode="json"))
    assert isinstance(dumped, dict)
    dumped["diagnostics"] = sorted(json.dumps(d, sort_keys=True) for d in dumped["diagnostics"])
    return dumped


def planned(workdir: Path, name: str, spec_or_text: DesignSpec | str, config: Config) -> Plan:
    text = spec_or_text.render() if isinstance(spec_or_text, DesignSpec) else spec_or_text
    return plan_design(write(workdir, name, text), config)


# Bare names in Markdown: `_x_` would be emphasis, so names start and end with a letter or digit.
_REPO_NAME = st.from_regex(r"[a-z0-9](?:[a-z0-9_-]{0,8}[a-z0-9])?", fullmatch=True)
_SURFACES = st.lists(st.sampled_from(["rest", "grpc", "database"]), unique=True)


@st.composite
def configs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, list[str], list[str], list[str]]]]:
    """Repos (name, depends_on, provides, consumes) in a dependency order, so there is never a cycle."""
    names = draw(st.lists(_REPO_NAME, min_size=1, max_size=8, unique_by=str.lower))
    repos = []
    for i, name in enumerate(names):
        deps = draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else []
        repos.append((name, deps, draw(_SURFACES), draw(_SURFACES)))
    return names, repos


def config_toml(repos: list[tuple[str, list[str], list[str], list[str]]], rng: random.Random) -> str:
    """The config with its tables, and every depends_on list, in the order rng picks."""
    tables = ["version = 1", ""]
    for name, deps, provides, consumes in rng.sample(repos, len(repos)):
        shuffled = rng.sample(deps, len(deps))
        tables += [
            f'[repos."{name}"]',
            f'description = "the {name} repo"',
            'language = "rust"',
            "depends_on = [" + ", ".join(f'"{d}"' for d in shuffled) + "]",
            "provides = [" + ", ".join(f'"{s}"' for s in provides) + "]",
            "consumes = [" + ", ".join(f'"{s}"' for s in consumes) + "]",
            f'verify = ["make -C {name} test", "make -C {name} lint"]',
            "",
        ]
    return "\n".join(tables)


@FUZZ
@given(data=st.data(), seeds=st.tuples(st.integers(), st.integers()))
def test_plan_is_invariant_under_reordering_config_repos(
    workdir: Path, data: st.DataObject, seeds: tuple[int, int]
) -> None:
    names, repos = data.draw(configs())
    spec = data.draw(design_specs(tuple(names)))
    plans = []
    for seed in seeds:
        config, problems = parse_config(config_toml(repos, random.Random(seed)), "repos.toml")
        assert config is not None, problems
        plans.append(planned(workdir, "reorder-config.md", spec, config))
    assert plans[0].ok, plans[0].diagnostics
    # Same config path, same design: the dumps match exactly (config hashes stay out of plan_design).
    assert plans[0].model_dump() == plans[1].model_dump()
    assert render(plans[0], "markdown") == render(plans[1], "markdown")


@FUZZ
@given(spec=design_specs(), order=st.randoms(use_true_random=False))
def test_plan_is_invariant_under_reordering_key_files(
    workdir: Path, config: Config, spec: DesignSpec, order: random.Random
) -> None:
    shuffled = DesignSpec(**{**spec.__dict__, "key_files": tuple(order.sample(spec.key_files, len(spec.key_files)))})
    first = planned(workdir, "keys.md", spec, config)
    second = planned(workdir, "keys.md", shuffled, config)
    assert first.ok, first.diagnostics
    assert shape(first) == shape(second)


@FUZZ
@given(
    spec=design_specs(),
    additions=st.lists(st.tuples(st.sampled_from(PROSE_SECTIONS), st.lists(PROSE_BLOCKS, min_size=1, max_size=3))),
    between=st.lists(st.tuples(st.sampled_from(READ_SECTION_PROSE), st.lists(PROSE, min_size=1, max_size=2))),
)
def test_plan_is_invariant_under_prose_outside_read_sections(
    workdir: Path,
    config: Config,
    spec: DesignSpec,
    additions: list[tuple[str, list[str]]],
    between: list[tuple[str, list[str]]],
) -> None:
    # Outside the sections planner reads any block goes; inside them, paragraphs between the lines it reads.
    longer = spec
    for section, paragraphs in additions + between:
        longer = longer.with_prose(section, tuple(paragraphs))
    before = planned(workdir, "prose.md", spec, config)
    after = planned(workdir, "prose.md", longer, config)
    assert before.ok, before.diagnostics
    assert shape(before) == shape(after)


@FUZZ
@given(spec=design_specs(), data=st.data())
def test_task_ids_are_invariant_under_edits_to_unrelated_lines(
    workdir: Path, config: Config, spec: DesignSpec, data: st.DataObject
) -> None:
    # Rewording a key file's or repo's description, or any prose, is not a new task.
    edited = DesignSpec(
        repos=tuple((name, checked, data.draw(PROSE)) for name, checked, _ in spec.repos),
        key_files=tuple(k.__class__(k.repo, k.path, data.draw(PROSE)) for k in spec.key_files),
        endpoints=spec.endpoints,
        rpcs=spec.rpcs,
        sql=spec.sql,
    ).with_prose(data.draw(st.sampled_from(PROSE_SECTIONS + READ_SECTION_PROSE)), (data.draw(PROSE),))
    before = planned(workdir, "ids.md", spec, config)
    after = planned(workdir, "ids.md", edited, config)
    assert before.ok, before.diagnostics
    ids = [[t.id for t in r.tasks] for r in before.repos]
    assert ids == [[t.id for t in r.tasks] for r in after.repos]
    assert sum(map(len, ids)) >= len(spec.key_files)
    assert [r.name for r in before.repos] == [r.name for r in after.repos]


@FUZZ
@given(text=config_texts())
def test_config_never_raises_and_lines_stay_in_file(text: str) -> None:
    loaded, problems = parse_config(text, "repos.toml")
    assert (loaded is None) == bool(problems) or loaded is not None
    limit = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
    for d in problems:
        assert d.path == "repos.toml" and d.message
        assert 1 <= d.line <= limit, (d, limit)
    if loaded is not None:
        assert all(r.name == name for name, r in loaded.repos.items())


# -- progress carry-over -------------------------------------------------------------------------------


@FUZZ
@given(spec=design_specs(), ticks=st.lists(st.sampled_from(["x", "X", " ", "~", "-"]), max_size=40), data=st.data())
def test_ticked_boxes_survive_regeneration_and_edits(
    workdir: Path, config: Config, spec: DesignSpec, ticks: list[str], data: st.DataObject
) -> None:
    plan = planned(workdir, "progress.md", spec, config)
    assert plan.ok, plan.diagnostics
    lines = render(plan, "markdown").split("\n")
    boxes: dict[str, str] = {}
    marked = [i for i, line in enumerate(lines) if TASK_MARKER.search(line)]
    for i, box in zip(marked, ticks, strict=False):
        lines[i] = lines[i].replace("- [ ]", f"- [{box}]", 1)
    for i in marked:
        match = TASK_MARKER.search(lines[i])
        assert match is not None
        boxes[decode_id(match.group(1))] = box_state(lines[i][3])
    edited = "\n".join(lines)
    # The design is reworded (ids stay), then the plan is regenerated over the ticked file.
    reworded = DesignSpec(**{**spec.__dict__, "repos": tuple((n, c, data.draw(PROSE)) for n, c, _ in spec.repos)})
    fresh = render(planned(workdir, "progress.md", reworded, config), "markdown")
    again = carry_over(fresh, edited)
    assert dict(read_progress(again).boxes) == boxes
    assert carry_over(fresh, again) == again


@FUZZ
@given(old=design_bytes(), spec=design_specs())
def test_carry_over_accepts_any_old_file(workdir: Path, config: Config, old: bytes, spec: DesignSpec) -> None:
    # Whatever sits at --output (a design by mistake, a binary, a hand-mangled plan), regenerating works
    # and every task of the new plan is there exactly once.
    plan = planned(workdir, "any-old.md", spec, config)
    fresh = render(plan, "markdown")
    again = carry_over(fresh, old.decode("utf-8", "replace"))
    ids = [t.id for r in plan.repos for t in r.tasks]
    ours = [decode_id(m.group(1)) for m in map(TASK_MARKER.search, again.split("\n")) if m]
    assert all(ours.count(i) == 1 for i in ids)

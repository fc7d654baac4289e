"""Tests for planner.config: loading, validation diagnostics, lookup and discovery."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from project import EXAMPLE_CONFIG

from planner.config import Config, find_config, load_config, parse_config
from planner.diagnostics import Diagnostic, Severity

EXAMPLE = EXAMPLE_CONFIG


def repo_toml(name: str, *, depends_on: list[str] | None = None, aliases: list[str] | None = None) -> str:
    lines = [f"[repos.{name}]", f'description = "{name} repo"', 'language = "rust"']
    if depends_on is not None:
        lines.append("depends_on = [" + ", ".join(f'"{d}"' for d in depends_on) + "]")
    if aliases is not None:
        lines.append("aliases = [" + ", ".join(f'"{a}"' for a in aliases) + "]")
    return "\n".join(lines) + "\n"


def config_text(*repos: str) -> str:
    return "version = 1\n\n" + "\n".join(repos)


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "repos.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only(diagnostics: tuple[Diagnostic, ...], code: str) -> Diagnostic:
    matching = [d for d in diagnostics if d.code == code]
    assert len(matching) == 1, diagnostics
    return matching[0]


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


# --- the example config -------------------------------------------------------------------------


def test_example_config_loads_cleanly() -> None:
    config, diagnostics = load_config(EXAMPLE)
    assert diagnostics == ()
    assert config is not None
    assert list(config.repos) == ["flovyn-app", "flovyn-server", "sdk-kotlin", "sdk-python", "sdk-rust"]
    server = config.repos["flovyn-server"]
    assert server.name == "flovyn-server"
    assert server.provides == ("rest", "grpc", "database")
    assert server.tracker.github == "flovyn/flovyn-server"
    assert server.tracker.labels == ("backend",)
    assert config.repos["sdk-python"].depends_on == ("sdk-rust",)
    assert config.version == 1
    assert config.path == str(EXAMPLE)
    assert config.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()


def test_config_is_frozen() -> None:
    config, _ = load_config(EXAMPLE)
    assert config is not None
    with pytest.raises(ValueError):
        setattr(config.repos["sdk-rust"], "language", "go")  # noqa: B010


def test_repos_sorted_regardless_of_file_order(tmp_path: Path) -> None:
    config, diagnostics = parse_config(config_text(repo_toml("zeta"), repo_toml("alpha"), repo_toml("mid")), "x")
    assert diagnostics == ()
    assert config is not None
    assert list(config.repos) == ["alpha", "mid", "zeta"]


def test_defaults(tmp_path: Path) -> None:
    config, diagnostics = parse_config(config_text(repo_toml("solo")), "x")
    assert diagnostics == ()
    assert config is not None
    repo = config.repos["solo"]
    assert (repo.depends_on, repo.provides, repo.consumes, repo.verify, repo.aliases) == ((),) * 5
    assert repo.tracker.github is None and repo.tracker.labels == ()


def test_resolve_names_and_aliases_case_insensitively() -> None:
    config, _ = load_config(EXAMPLE)
    assert config is not None
    assert config.resolve("flovyn-server") == "flovyn-server"
    assert config.resolve("FLOVYN-Server") == "flovyn-server"
    assert config.resolve("server") == "flovyn-server"
    assert config.resolve("Web") == "flovyn-app"
    assert config.resolve("CORE") == "sdk-rust"
    assert config.resolve("nope") is None


def test_suggest() -> None:
    config, _ = load_config(EXAMPLE)
    assert config is not None
    assert config.suggest("sdk-pyton") == "sdk-python"
    assert config.suggest("Kotlin-SDKK") == "sdk-kotlin"
    assert config.suggest("servr") == "flovyn-server"
    assert config.suggest("completely-different-thing") is None


def test_parse_config_sha_and_path() -> None:
    text = config_text(repo_toml("a"))
    config, _ = parse_config(text, "some/where.toml")
    assert config is not None
    assert config.path == "some/where.toml"
    assert config.sha256 == hashlib.sha256(text.encode()).hexdigest()


# --- structural errors ----------------------------------------------------------------------------


def test_unknown_key_names_key_repo_and_line(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'depends_on = ["flovyn-server"]\nprovides = []\nconsumes = ["rest"]',
        'depend_on = ["flovyn-server"]\nprovides = []\nconsumes = ["rest"]',
    )
    assert "depend_on =" in text
    config, diagnostics = load_config(write(tmp_path, text))
    assert config is None
    diag = only(diagnostics, "config-invalid")
    assert diag.severity is Severity.ERROR
    assert "'depend_on'" in diag.message
    assert "'flovyn-app'" in diag.message
    assert "did you mean 'depends_on'" in diag.message
    assert diag.line == line_of(text, "depend_on =")
    assert diag.path == str(tmp_path / "repos.toml")


def test_unknown_tracker_key_and_top_level_key() -> None:
    text = "version = 1\nrepo = 3\n" + repo_toml("a") + "[repos.a.tracker]\ngithb = 'x/y'\n"
    config, diagnostics = parse_config(text, "x")
    assert config is None
    messages = {d.line: d.message for d in diagnostics}
    assert "unknown top-level key 'repo'" in messages[2] and "'repos'" in messages[2]
    tracker_line = line_of(text, "githb")
    assert "'tracker.githb'" in messages[tracker_line] and "did you mean 'github'" in messages[tracker_line]


def test_invalid_toml_reports_line(tmp_path: Path) -> None:
    text = config_text(repo_toml("a")) + 'oops = "unterminated\n'
    config, diagnostics = load_config(write(tmp_path, text))
    assert config is None
    diag = only(diagnostics, "config-syntax")
    assert diag.line == line_of(text, "oops")
    assert "invalid TOML" in diag.message


def test_duplicate_table_is_a_syntax_error() -> None:
    text = config_text(repo_toml("a"), repo_toml("a"))
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-syntax")
    assert diag.line == 7  # the second [repos.a] header
    assert "twice" in diag.message


def test_wrong_types_and_missing_keys_all_reported() -> None:
    text = (
        "version = 1\n"
        "[repos.a]\n"
        "description = 5\n"
        'language = "rust"\n'
        'depends_on = "b"\n'
        'provides = ["rest", "http"]\n'
        "[repos.b]\n"
        'language = "go"\n'
        "verify = [1]\n"
    )
    config, diagnostics = parse_config(text, "x")
    assert config is None
    assert all(d.code == "config-invalid" for d in diagnostics)
    by_line = {d.line: d.message for d in diagnostics}
    assert len(diagnostics) == 5, diagnostics
    assert "description must be a string" in by_line[3] and "repo 'a'" in by_line[3]
    assert "depends_on must be an array" in by_line[5]
    assert "'http'" in by_line[6] and "'rest', 'grpc', 'database'" in by_line[6]
    assert "missing required key 'description'" in by_line[7] and "repo 'b'" in by_line[7]
    assert "verify[0] must be a string" in by_line[9]


def test_repo_that_is_not_a_table() -> None:
    _, diagnostics = parse_config("version = 1\n[repos]\na = 1\n", "x")
    diag = only(diagnostics, "config-invalid")
    assert diag.line == 3
    assert "repo 'a' must be a table" in diag.message


@pytest.mark.parametrize(
    ("version_line", "needle"),
    [("version = 2", "unsupported config version 2"), ("version = true", "True"), ("", "'version'")],
)
def test_bad_or_missing_version(version_line: str, needle: str) -> None:
    text = version_line + "\n" + repo_toml("a")
    config, diagnostics = parse_config(text, "x")
    assert config is None
    diag = only(diagnostics, "config-invalid")
    assert needle in diag.message
    assert "version = 1" in diag.message
    assert diag.line == 1


def test_name_key_is_rejected() -> None:
    text = config_text(repo_toml("a") + 'name = "b"\n')
    config, diagnostics = parse_config(text, "x")
    assert config is None
    diag = only(diagnostics, "config-invalid")
    assert "'name'" in diag.message
    assert diag.line == line_of(text, "name =")


@pytest.mark.parametrize("text", ["version = 1\n", "version = 1\n[repos]\n"])
def test_empty_repos(text: str) -> None:
    config, diagnostics = parse_config(text, "x")
    assert config is None
    assert only(diagnostics, "config-empty").severity is Severity.ERROR


def test_line_index_ignores_lookalikes_inside_multiline_values() -> None:
    text = (
        "version = 1\n"
        "[repos.a]\n"
        'description = """\n'
        "[repos.fake]\n"
        "depend_on = 1\n"
        '"""\n'
        "verify = [\n"
        '  "x = 1",\n'
        "]\n"
        'language = "rust"\n'
        "depend_on = []\n"
    )
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-invalid")
    assert diag.line == 11


def test_dotted_and_quoted_keys_get_lines() -> None:
    text = 'version = 1\n[repos."odd.name"]\ndescription = "d"\nlanguage = "x"\ntracker.labels = "bad"\n'
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-invalid")
    assert diag.line == 5
    assert "repo 'odd.name'" in diag.message


# --- semantic errors -----------------------------------------------------------------------------


def test_unknown_dependency_with_suggestion() -> None:
    text = config_text(repo_toml("flovyn-server"), repo_toml("app", depends_on=["flovyn-sever"]))
    config, diagnostics = parse_config(text, "x")
    assert config is None
    diag = only(diagnostics, "config-unknown-dependency")
    assert "'flovyn-sever'" in diag.message and "'app'" in diag.message
    assert "did you mean 'flovyn-server'" in diag.message
    assert diag.line == line_of(text, "depends_on")


def test_dependency_on_alias_points_at_canonical_name() -> None:
    text = config_text(repo_toml("flovyn-server", aliases=["server"]), repo_toml("app", depends_on=["Server"]))
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-unknown-dependency")
    assert "did you mean 'flovyn-server'" in diag.message
    assert "alias" in diag.message


def test_self_dependency() -> None:
    text = config_text(repo_toml("a", depends_on=["a"]))
    config, diagnostics = parse_config(text, "x")
    assert config is None
    diag = only(diagnostics, "config-self-dependency")
    assert "'a'" in diag.message
    assert diag.line == line_of(text, "depends_on")
    assert not [d for d in diagnostics if d.code == "config-cycle"]


@pytest.mark.parametrize(
    ("first", "second", "needles", "line"),
    [
        # Alias vs alias: the later repo's alias is blamed.
        (["shared"], ["SHARED"], ("'shared'", "'SHARED'"), 11),
        # Alias vs name: the alias is blamed, never the name.
        (["b"], [], ("alias 'b' of repo 'a'", "name of repo 'b'"), 6),
    ],
)
def test_alias_collision_names_both_repos(
    first: list[str], second: list[str], needles: tuple[str, ...], line: int
) -> None:
    text = config_text(repo_toml("a", aliases=first), repo_toml("b", aliases=second))
    config, diagnostics = parse_config(text, "x")
    assert config is None
    diag = only(diagnostics, "config-alias-collision")
    assert "'a'" in diag.message and "'b'" in diag.message
    for needle in needles:
        assert needle in diag.message
    assert diag.line == line


def test_names_differing_only_in_case_collide() -> None:
    _, diagnostics = parse_config(config_text(repo_toml("Api"), repo_toml("api")), "x")
    diag = only(diagnostics, "config-alias-collision")
    assert "'Api'" in diag.message and "'api'" in diag.message


def test_own_name_as_alias_is_fine() -> None:
    config, diagnostics = parse_config(config_text(repo_toml("a", aliases=["A", "a"])), "x")
    assert diagnostics == ()
    assert config is not None


def test_two_cycle() -> None:
    text = config_text(repo_toml("a", depends_on=["b"]), repo_toml("b", depends_on=["a"]))
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-cycle")
    assert "a -> b -> a" in diag.message
    assert diag.line == line_of(text, "depends_on")


def test_three_cycle_reads_like_depends_on() -> None:
    text = config_text(
        repo_toml("c", depends_on=["a"]), repo_toml("b", depends_on=["c"]), repo_toml("a", depends_on=["b"])
    )
    _, diagnostics = parse_config(text, "x")
    diag = only(diagnostics, "config-cycle")
    assert "a -> b -> c -> a" in diag.message


def test_every_cycle_reported() -> None:
    text = config_text(
        repo_toml("a", depends_on=["b"]),
        repo_toml("b", depends_on=["a"]),
        repo_toml("x", depends_on=["y"]),
        repo_toml("y", depends_on=["x"]),
        repo_toml("free", depends_on=["a", "x"]),
    )
    _, diagnostics = parse_config(text, "x")
    cycles = sorted(d.message for d in diagnostics if d.code == "config-cycle")
    assert len(cycles) == 2
    assert "a -> b -> a" in cycles[0] and "x -> y -> x" in cycles[1]


def test_all_semantic_problems_reported_together() -> None:
    text = config_text(
        repo_toml("a", depends_on=["a", "ghost"], aliases=["b"]),
        repo_toml("b", depends_on=["c"]),
        repo_toml("c", depends_on=["b"]),
    )
    _, diagnostics = parse_config(text, "x")
    codes = sorted(d.code for d in diagnostics)
    assert codes == [
        "config-alias-collision",
        "config-cycle",
        "config-self-dependency",
        "config-unknown-dependency",
    ]


@pytest.mark.slow
def test_huge_cycle_reported_compactly() -> None:
    n = 10_000
    parts = ["version = 1"]
    for i in range(n):
        parts.append(f'[repos.r{i:05d}]\ndescription = "d"\nlanguage = "x"\ndepends_on = ["r{(i + 1) % n:05d}"]')
    config, diagnostics = parse_config("\n".join(parts), "big.toml")
    assert config is None
    diag = only(diagnostics, "config-cycle")
    assert len(diag.message) < 500
    assert "r00000 -> r00001 -> r00002 -> ... (9,996 more) -> r09999 -> r00000" in diag.message
    assert diag.line == 5


# --- reading files --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    config, diagnostics = load_config(tmp_path / "nope.toml")
    assert config is None
    diag = only(diagnostics, "config-read")
    assert diag.line == 1
    assert "not found" in diag.message and "--config" in diag.message


def test_directory_is_unreadable(tmp_path: Path) -> None:
    config, diagnostics = load_config(tmp_path)
    assert config is None
    assert only(diagnostics, "config-read").line == 1


def test_non_utf8(tmp_path: Path) -> None:
    config, diagnostics = load_config(write(tmp_path, b"version = 1\n# caf\xe9\n"))
    assert config is None
    diag = only(diagnostics, "config-read")
    assert "UTF-8" in diag.message
    assert diag.line == 2


def test_bom_is_tolerated_and_hashed(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + config_text(repo_toml("a")).encode()
    config, diagnostics = load_config(write(tmp_path, data))
    assert diagnostics == ()
    assert config is not None
    assert config.sha256 == hashlib.sha256(data).hexdigest()


def test_load_never_raises_on_garbage(tmp_path: Path) -> None:
    for text in ["", "[", "[[repos]]\n", "repos = []\nversion = 1\n", "version = 1\nrepos.a.tracker = 3\n"]:
        config, diagnostics = load_config(write(tmp_path, text))
        assert config is None
        assert diagnostics, text


# --- find_config ----------------------------------------------------------------------------------


def test_find_config_order(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    nested = root / "a" / "b"
    nested.mkdir(parents=True)
    (root / "config").mkdir()
    found = root / "config" / "repos.toml"
    found.write_text("version = 1\n", encoding="utf-8")
    env = {"PLANNER_CONFIG": "/elsewhere/env.toml"}

    assert find_config("explicit.toml", env, nested) == nested / "explicit.toml"
    assert find_config("/abs/explicit.toml", env, nested) == Path("/abs/explicit.toml")
    assert find_config(None, env, nested) == Path("/elsewhere/env.toml")
    assert find_config(None, {}, nested) == found
    assert find_config(None, {"PLANNER_CONFIG": ""}, root) == found


def test_find_config_nothing(tmp_path: Path) -> None:
    assert find_config(None, {}, tmp_path) is None


def test_find_config_prefers_nearest(tmp_path: Path) -> None:
    inner = tmp_path / "outer" / "inner"
    for base in (tmp_path / "outer", inner):
        (base / "config").mkdir(parents=True)
        (base / "config" / "repos.toml").write_text("", encoding="utf-8")
    assert find_config(None, {}, inner / "config") == inner / "config" / "repos.toml"
    assert find_config(None, {}, inner) == inner / "config" / "repos.toml"


def test_config_type_is_exported() -> None:
    config, _ = load_config(EXAMPLE)
    assert isinstance(config, Config)


def test_a_device_as_config_is_refused_unread() -> None:
    # Read, `/dev/zero` would fill memory.
    config, diagnostics = load_config(Path("/dev/null"))
    assert config is None
    assert "a character device, not a regular file" in only(diagnostics, "config-read").message


def test_a_fifo_as_config_is_read_when_written_to_and_empty_when_not(tmp_path: Path) -> None:
    fifo = tmp_path / "repos.toml"
    os.mkfifo(fifo)
    args = [sys.executable, "-m", "planner", "graph", "--config", str(fifo)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "version" in done.stderr, done.stderr  # no writer: an empty config
    # `--config <(cmd)`: a pipe with a writer is read.
    shell = f"{shlex.join(args[:-1])} <(cat {shlex.quote(str(EXAMPLE_CONFIG))})"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "flovyn-server" in done.stdout, done.stderr


def test_a_big_org_config_over_5_mib_is_read(tmp_path: Path) -> None:
    # A config of 20,000 repos is about 6 MiB (bench/scale.py): the read limit is for endless streams only.
    big = tmp_path / "repos.toml"
    big.write_text(EXAMPLE_CONFIG.read_text() + ("# " + "x" * 98 + "\n") * 60_000)
    assert big.stat().st_size > 5 * 1024 * 1024
    config, diagnostics = load_config(big)
    assert config is not None, diagnostics


def test_a_config_over_the_read_limit_is_an_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.config.load as load

    monkeypatch.setattr(load, "_MAX_CONFIG_BYTES", 1000)
    path = tmp_path / "repos.toml"
    path.write_text(EXAMPLE_CONFIG.read_text() + "#" * 1000)
    config, diagnostics = load_config(path)
    assert config is None
    assert f"{path} is over the 1,000-byte limit" in only(diagnostics, "config-read").message

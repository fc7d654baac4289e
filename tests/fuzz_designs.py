"""Hypothesis strategies for hostile design docs, built from the template's own pieces (shared by tests)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "EXAMPLES",
    "FUZZ",
    "DesignSpec",
    "KeyFileSpec",
    "design_bytes",
    "design_specs",
    "file_line_count",
    "markdown_docs",
    "plan_shape",
]

# The budget per property: small by default so that `pytest -n auto` stays quick; `.ci/run` sets 200, and
# `PLANNER_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py` digs deeper (see CONTRIBUTING.md).
EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

REPOS = ("flovyn-server", "flovyn-app", "sdk-rust", "sdk-python", "sdk-kotlin")
ALIASES = ("server", "app", "web", "core", "rust-sdk", "python-sdk", "kotlin-sdk", "SERVER", "Flovyn-App")
SECTIONS = (
    "Overview",
    "Goals",
    "Non-Goals",
    "Current State",
    "Proposed Solution",
    "Architecture",
    "Domain Model",
    "API Changes",
    "Database Changes",
    "Affected Repositories",
    "Key Files",
    "Alternatives Considered",
    "Open Questions",
    "Security Considerations",
    "References",
    "Status",
)

_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
# Text with every kind of character a person can type, but no lone surrogates (not encodable).
_UNICODE = st.text(alphabet=st.characters(exclude_categories=_SURROGATES, exclude_characters="\r\n\x00"), max_size=30)
_WORD = st.sampled_from(
    [
        "schedule",
        "Ünïcødé",
        "日本語",
        "emoji🎉",
        "‮rtl",
        "zero\u200bwidth",
        "tab\there",
        "\u2028sep",
        "**bold**",
        "_em_",
        "`code`",
        "[x]",
        "[ ]",
        "<b>",
        "</div>",
        "<!--",
        "-->",
        "|",
        "\\",
        "&amp;",
        "{org_slug}",
        "%0A",
        "::error::",
        "=cmd()",
        "@sum",
        "+1",
        "-1",
        "#",
        "```",
        "~~~",
        ">",
        "1.",
        "*",
    ]
)
_TEXT = st.one_of(_UNICODE, st.lists(_WORD, min_size=1, max_size=6).map(" ".join))


def _lines(*parts: str) -> list[str]:
    return [line for part in parts for line in part.split("\n")]


_CHECKBOX = st.sampled_from(
    ["- [x] ", "- [X] ", "* [x] ", "+ [x] ", "- [ ] ", "-[x] ", "- [x]", "- [ x] ", "1. [x] ", "- [x]  ", "- [-] "]
)
_NAME = st.one_of(
    st.sampled_from(REPOS + ALIASES),
    st.sampled_from(REPOS).map(lambda n: f"**{n}**"),
    st.sampled_from(REPOS).map(lambda n: f"`{n}`"),
    st.sampled_from(REPOS).map(lambda n: f"[{n}](https://x/{n})"),
    _TEXT,
)
_SEPARATOR = st.sampled_from([" - ", " – ", ": ", " -> ", " ", "", " — "])  # noqa: RUF001 - dashes people type
_PATH = st.one_of(
    st.sampled_from(
        [
            "src/lib.rs",
            "a/b/c.py",
            "/etc/passwd",
            "../x",
            "a/../../b",
            "%2e%2e/x",
            "a\\b",
            "a\x00b",
            "C:/x",
            "c:\\x",
            "dir/",
            "a//b",
            "./a",
            "with space.rs",
            "ünï/cødé.rs",
            "",
            "[org]/page.tsx",
        ]
    ),
    _UNICODE,
)
_KEY_FILE = st.builds(
    lambda repo, path, sep, desc, tick: f"- {tick}{repo}/{path}{tick}{sep}{desc}",
    st.sampled_from(REPOS + ALIASES + ("unknown-repo", "")),
    _PATH,
    _SEPARATOR,
    _TEXT,
    st.sampled_from(["`", "``", "", "`` "]),
)
_METHOD = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "FETCH"])
_REST = st.builds(
    lambda lead, method, path, tail: f"{lead}{method} {path}{tail}",
    st.sampled_from(["", "- ", "* ", "`", "    "]),
    _METHOD,
    st.sampled_from(["/api/x", "/api/{org}/x", "api/x", "/a b", "/x?q=1#f", "/", "/ünï", "/x`", "//"]),
    st.sampled_from(["", " - does x", " body", "`", " HTTP/1.1", ": x", " (admin)"]),
)
_RPC = st.sampled_from(
    [
        "rpc Create(CreateRequest) returns (Reply);",
        "rpc Create(CreateRequest returns (Reply);",
        "rpc Create(CreateRequest)) returns ((Reply);",
        "rpc Stream(stream A) returns (stream B) {}",
        "rpc (A) returns (B);",
        "rpc X",
        "service S {",
        "service S",
        "}",
        "}}",
        "  rpc Nested(a.B) returns (c.D);",
    ]
)
_SQL = st.sampled_from(
    [
        "CREATE TABLE t (id UUID PRIMARY KEY, name TEXT);",
        "CREATE TABLE t (",
        "ALTER TABLE t ADD COLUMN c INT;",
        "DROP TABLE IF EXISTS t",
        "-- comment only",
        "INSERT INTO t VALUES (1);",
        ");",
    ]
)
_DOMAIN = st.sampled_from(
    ["pub struct S {", "enum E { A, B }", "class C:", "interface I {}", "message M {", "type T = string", "}"]
)


def _heading(draw: st.DrawFn) -> list[str]:
    level = draw(st.integers(1, 7))
    name = draw(st.one_of(st.sampled_from(SECTIONS), _TEXT))
    deco = draw(st.sampled_from(["{}", "**{}**", "3. {}", "{}:", "`{}`", "IV. {}", "{} #"]))
    return ["#" * level + draw(st.sampled_from([" ", "", "  "])) + deco.format(name)]


def _fenced(draw: st.DrawFn) -> list[str]:
    fence = draw(st.sampled_from(["```", "~~~", "````", "```sql", "```protobuf", "```rust", "~~~ts x"]))
    body = draw(st.lists(st.one_of(_REST, _RPC, _SQL, _DOMAIN, _TEXT), max_size=5))
    closed = draw(st.booleans())
    return [fence, *body, *([fence[:3]] if closed else [])]


def _nested(draw: st.DrawFn) -> list[str]:
    prefix = draw(st.lists(st.sampled_from(["> ", "- ", "  ", "1. ", "* ", ">", "    "]), max_size=14))
    inner = draw(_block_flat)
    return ["".join(prefix) + line for line in inner]


def _table(draw: st.DrawFn) -> list[str]:
    cols = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_TEXT, min_size=cols, max_size=cols), max_size=3))
    header = "| " + " | ".join(f"h{i}" for i in range(cols)) + " |"
    return [header, "|" + "---|" * cols, *("| " + " | ".join(r) + " |" for r in rows)]


def _field(draw: st.DrawFn) -> list[str]:
    field_name = draw(st.sampled_from(["Status", "Date", "Branch", "status", "STATUS"]))
    value = draw(
        st.one_of(
            st.sampled_from(["Approved", "approved (2026-01-01)", "Draft | Review | Approved", "Draft", ""]),
            _TEXT,
        )
    )
    return [draw(st.sampled_from(["**{}:** {}", "{}: {}", "*{}*: {}", "__{}__:{}"])).format(field_name, value)]


# The template's pieces, by kind: a strategy for one line, or a function drawing several lines.
_PIECES: tuple[st.SearchStrategy[str] | Callable[[st.DrawFn], list[str]], ...] = (
    _heading,
    st.tuples(_CHECKBOX, _NAME, _SEPARATOR, _TEXT).map("".join),
    _KEY_FILE,
    _REST,
    _RPC,
    _SQL,
    _fenced,
    _nested,
    _table,
    st.sampled_from(["<!-- note -->", "<!--", "-->", "<!-- a", "b -->", "<div>", "</div>"]),
    _field,
    st.just(""),
    _TEXT,
    st.sampled_from(["- [x] Question? yes", "- [ ] Open question", "- [x]", "- [ ]"]),
    st.sampled_from(["===", "---", "***", "Title", "    indented code", "\t- tabbed"]),
    st.sampled_from(["{Feature Name} Design", "YYYY-MM-DD", "{describe changes}"]),
    _DOMAIN,
)


@st.composite
def _block(draw: st.DrawFn) -> list[str]:
    """One template piece, as lines."""
    kind = draw(st.integers(0, len(_PIECES)))
    if kind == len(_PIECES):
        return draw(st.lists(_TEXT, min_size=1, max_size=3))
    piece = _PIECES[kind]
    if isinstance(piece, st.SearchStrategy):
        return [draw(piece)]
    return piece(draw)


_block_flat = st.lists(
    st.one_of(_KEY_FILE, _REST, _RPC, _TEXT, _CHECKBOX.map(lambda c: c + "flovyn-server - x")),
    min_size=1,
    max_size=3,
)

_SKELETON = _lines(
    "# Fuzz Design",
    "",
    "**Status:** Approved",
    "",
    "## Proposed Solution",
    "",
    "### API Changes",
    "",
    "### Affected Repositories",
    "",
    "- [x] flovyn-server - x",
    "",
    "### Key Files",
    "",
    "- `flovyn-server/src/a.rs` - a",
    "",
)


@st.composite
def markdown_docs(draw: st.DrawFn) -> str:
    """Markdown text, often close enough to the template that the deep parsing paths run."""
    lines = list(draw(st.sampled_from([[], _SKELETON])))
    for block in draw(st.lists(_block(), max_size=25)):
        headings = [i + 1 for i, line in enumerate(lines) if line.startswith("#")]
        # Half the time right under a heading: inside a section planner reads.
        under = bool(headings) and draw(st.booleans())
        at = draw(st.sampled_from(headings)) if under else draw(st.integers(0, len(lines)))
        lines[at:at] = block
    return "\n".join(lines)


@st.composite
def design_bytes(draw: st.DrawFn) -> bytes:
    """A document as bytes: mixed line ends, maybe a BOM, maybe stray raw bytes, maybe pure noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=600))
    lines = draw(markdown_docs()).split("\n")
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    data = text.encode("utf-8")
    if draw(st.integers(0, 3)) == 0:
        data = "\ufeff".encode() + data
    if draw(st.integers(0, 9)) == 0 and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


def file_line_count(data: bytes) -> int:
    """Lines of a file as an editor counts them (CRLF, CR and LF each end one); at least 1."""
    ends = len(re.findall(rb"\r\n|\r|\n", data))
    if data and not data.endswith((b"\n", b"\r")):
        ends += 1
    return max(ends, 1)


# -- structured designs for the invariance properties ------------------------------------------------


@dataclass(frozen=True)
class KeyFileSpec:
    repo: str
    path: str
    description: str


@dataclass(frozen=True)
class DesignSpec:
    """A well-formed design: what matters for the plan, plus prose that must not matter."""

    repos: tuple[tuple[str, bool, str], ...]
    key_files: tuple[KeyFileSpec, ...]
    endpoints: tuple[str, ...]
    rpcs: tuple[str, ...]
    sql: tuple[str, ...]
    prose: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def with_prose(self, section: str, paragraphs: tuple[str, ...]) -> DesignSpec:
        return replace(self, prose={**self.prose, section: self.prose.get(section, ()) + paragraphs})

    def render(self) -> str:
        def prose(section: str) -> list[str]:
            return [line for p in self.prose.get(section, ()) for line in ("", p)]

        lines = ["# Fuzzed Feature Design", "", "**Date:** 2026-01-02", "**Status:** Approved", *prose("head")]
        lines += ["", "## Overview", *prose("overview"), "", "## Goals", "", "1. goal", *prose("goals")]
        lines += ["", "## Proposed Solution", *prose("solution"), "", "### Architecture", *prose("architecture")]
        lines += ["", "### API Changes", *prose("api"), "", "```", *self.endpoints, "```", ""]
        if self.rpcs:
            lines += ["```protobuf", "service Fuzz {", *(f"  {r}" for r in self.rpcs), "}", "```", ""]
        lines += ["### Database Changes", *prose("database"), ""]
        if self.sql:
            lines += ["```sql", *self.sql, "```"]
        lines += ["", "### Affected Repositories", *prose("repos"), ""]
        lines += [f"- [{'x' if c else ' '}] {name} - {change}" for name, c, change in self.repos]
        lines += [*prose("repos-after"), "", "### Key Files", *prose("keys"), ""]
        lines += [f"- `{k.repo}/{k.path}` - {k.description}" for k in self.key_files]
        lines += [*prose("keys-after"), "", "## Alternatives Considered", *prose("alternatives")]
        lines += ["", "## Open Questions", ""]
        lines += ["- [x] Settled? Yes.", "", "## References", *prose("references")]
        return "\n".join(lines) + "\n"


PROSE_SECTIONS = ("head", "overview", "goals", "solution", "architecture", "alternatives", "references")
# Prose between the lines planner reads, inside the sections it reads: not a repo, file or API line.
READ_SECTION_PROSE = ("api", "database", "repos", "repos-after", "keys", "keys-after")
_PROSE_WORD = st.text(alphabet=st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12)
PROSE = st.lists(
    st.one_of(_PROSE_WORD, _PROSE_WORD.map(lambda w: f"*{w}*"), st.sampled_from([".", ",", "!", "?", "—"])),
    min_size=1,
    max_size=20,
).map(lambda words: "Note " + " ".join(words))
# Whole blocks that are prose to planner: closed fences (holding headings and API-like lines), comments,
# quotes, tables, lists. Unclosed ones are left out: they swallow the sections after them, by design.
PROSE_BLOCKS = st.one_of(
    PROSE,
    PROSE.map(lambda p: f"```\n# {p}\nGET /not/an/endpoint\n- [x] flovyn-app - no\n```"),
    PROSE.map(lambda p: f"~~~~ text\n## Key Files\n- `flovyn-app/x.ts` - {p}\n~~~~"),
    PROSE.map(lambda p: f"<!-- {p}\n### API Changes\nPOST /hidden\n-->"),
    PROSE.map(lambda p: f"> {p}\n> more"),
    PROSE.map(lambda p: f"| A | B |\n| --- | --- |\n| {p} | x |"),
    PROSE.map(lambda p: f"- {p}\n  - nested {p}\n1. first"),
    PROSE.map(lambda p: f"<details>\n\n{p}\n\n</details>"),
)
_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
_CLEAN_PATH = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join).map(lambda p: p + ".rs")


@st.composite
def design_specs(draw: st.DrawFn, repos: tuple[str, ...] = REPOS) -> DesignSpec:
    """A valid design over the given repo names: some checked, key files for checked repos only."""
    checked = draw(st.lists(st.sampled_from(repos), min_size=1, max_size=len(repos), unique=True))
    unchecked = [r for r in repos if r not in checked and draw(st.booleans())]
    items = [(r, True, draw(PROSE)) for r in checked] + [(r, False, draw(PROSE)) for r in unchecked]
    items = draw(st.permutations(items))
    paths = draw(st.lists(st.tuples(st.sampled_from(checked), _CLEAN_PATH), max_size=12, unique=True))
    key_files = tuple(KeyFileSpec(repo, path, draw(PROSE)) for repo, path in paths)
    endpoints = draw(
        st.lists(
            st.tuples(st.sampled_from(["GET", "POST", "DELETE"]), _CLEAN_PATH).map(lambda t: f"{t[0]} /{t[1]}"),
            max_size=4,
            unique=True,
        )
    )
    rpcs = draw(
        st.lists(_SEGMENT.map(lambda s: f"rpc R{s.replace('-', '_')}(Req) returns (Resp);"), max_size=3, unique=True)
    )
    sql = draw(st.sampled_from([(), ("ALTER TABLE runs ADD COLUMN fuzz INT;",)]))
    return DesignSpec(tuple(items), key_files, tuple(endpoints), tuple(rpcs), sql)


_LINE_KEYS = {"line", "source_line"}
_PROVENANCE = re.compile(r"sha256|provenance|commit|generated", re.IGNORECASE)


def plan_shape(dumped: Any) -> Any:
    """A dumped plan without source positions or provenance: what must not move when lines do."""
    if isinstance(dumped, dict):
        return {k: plan_shape(v) for k, v in dumped.items() if k not in _LINE_KEYS and not _PROVENANCE.search(k)}
    if isinstance(dumped, list | tuple):
        items = [plan_shape(v) for v in dumped]
        return items
    if isinstance(dumped, str):
        return re.sub(r"line \d+", "line N", dumped)
    return dumped


def write(directory: Path, name: str, data: bytes | str) -> Path:
    path = directory / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# -- configs -------------------------------------------------------------------------------------------

_TOML_KEY = st.one_of(
    st.sampled_from(
        [
            "description",
            "language",
            "depends_on",
            "provides",
            "consumes",
            "verify",
            "aliases",
            "name",
            "version",
            "github",
            "jira",
            "labels",
            "depend_on",
            "repos",
            "path",
            "sha256",
        ]
    ),
    st.sampled_from(['"quoted key"', '"a.b"', "a.b", "'lit'", '""', "ünï"]),
)
_TOML_VALUE = st.one_of(
    st.sampled_from(
        [
            '"x"',
            "1",
            "1.0",
            "true",
            "[]",
            '["a", "b"]',
            '["rest", "grpc"]',
            '["bogus"]',
            "{}",
            '{ github = "o/r" }',
            '"""\nmulti\n"""',
            "'''\nlit\n'''",
            '"unterminated',
            "[1, [2, [3]]]",
            "1979-05-27",
            '["a",\n"b"]',
            "[",
            '"\\u0000"',
            "nan",
            "inf",
        ]
    ),
    _UNICODE.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)
_REPO_TABLE = st.one_of(
    st.sampled_from((*REPOS, "a", "b", "A", "x y", "server")),
    _UNICODE,
).map(lambda n: n if re.fullmatch(r"[A-Za-z0-9_-]+", n) else '"' + n.replace("\\", "").replace('"', "") + '"')


_NAMES = st.sampled_from((*REPOS, "a", "b", "A", "server", "ghost"))
_LIST_OF_NAMES = st.lists(_NAMES, max_size=3).map(lambda ns: "[" + ", ".join(f'"{n}"' for n in ns) + "]")
_OPTIONAL = {
    "depends_on": st.one_of(_LIST_OF_NAMES, _TOML_VALUE),
    "provides": st.sampled_from(['["rest"]', '["grpc", "database"]', "[]", '["rest", "rest"]', '["soap"]', '"rest"']),
    "consumes": st.sampled_from(['["rest"]', '["grpc"]', "[]", "[1]"]),
    "verify": st.sampled_from(['["make test"]', "[]", '"make"', '["a", 1]']),
    "aliases": st.one_of(_LIST_OF_NAMES, st.sampled_from(['["SERVER"]', '["a b"]', "[true]"])),
}


@st.composite
def _structured_config(draw: st.DrawFn) -> str:
    """One table per repo with the required keys, and optional keys of right or wrong type."""
    lines = ["version = 1", ""]
    for name in draw(st.lists(_NAMES, min_size=1, max_size=5, unique=True)):
        lines += [f'[repos."{name}"]', 'description = "d"', f"language = {draw(_TOML_VALUE)}"]
        for key in draw(st.lists(st.sampled_from(sorted(_OPTIONAL)), unique=True)):
            lines.append(f"{key} = {draw(_OPTIONAL[key])}")
        if draw(st.booleans()):
            lines += [f'[repos."{name}".tracker]', f"{draw(_TOML_KEY)} = {draw(_TOML_VALUE)}"]
        lines.append("")
    return "\n".join(lines)


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    """TOML near the config's shape: tables, keys and values of every kind, broken ones included."""
    if draw(st.booleans()):
        return draw(_structured_config())
    lines = [draw(st.sampled_from(["version = 1", "version = 2", 'version = "1"', "", "# comment"]))]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            name = draw(_REPO_TABLE)
            suffix = draw(st.sampled_from(["", ".tracker", ".tracker.x"]))
            header = draw(st.sampled_from(["[repos.{}{}]", "[[repos.{}{}]]", "[repos.{}{}", "[{}{}]"]))
            lines.append(header.format(name, suffix))
        elif kind in (1, 2):
            lines.append(f"{draw(_TOML_KEY)} = {draw(_TOML_VALUE)}")
        elif kind == 3:
            lines.append(draw(_UNICODE))
        else:
            lines.append("")
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))

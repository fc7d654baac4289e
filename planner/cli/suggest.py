"""`planner suggest`: propose the Affected Repositories and Key Files a design lacks, with evidence."""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeAlias

import typer

from planner.cli.app import app
from planner.cli.common import (
    EXIT_ERRORS,
    EXIT_USAGE,
    ConfigOption,
    MaxBytesOption,
    choice,
    design_paths,
    load_config_or_exit,
    print_diagnostics,
)
from planner.diagnostics import Diagnostic, error, one_line, printable
from planner.jsonio import json_text

if TYPE_CHECKING:
    from planner.config import Config
    from planner.suggest import Suggestion

    SuggestFormat: TypeAlias = str
else:
    SuggestFormat = Enum("SuggestFormat", {"markdown": "markdown", "json": "json"}, type=str)

__all__ = ["suggest"]

# Kept equal to planner.suggest.DEFAULT_MIN_EVIDENCE (a test says so); not imported, so `--help` stays fast.
_DEFAULT_MIN_EVIDENCE = 1


@app.command()
def suggest(
    designs: Annotated[
        list[str] | None, typer.Argument(help="Design docs or folders of them.", show_default=False)
    ] = None,
    config: ConfigOption = None,
    fmt: Annotated[SuggestFormat, typer.Option("--format", "-f", help="Output format.")] = "markdown",
    write: Annotated[
        bool,
        typer.Option("--write", help="Insert the missing sections into each design (atomically; other bytes kept)."),
    ] = False,
    min_evidence: Annotated[
        int,
        typer.Option("--min-evidence", min=1, help="Suggest a repo only with at least this many pieces of evidence."),
    ] = _DEFAULT_MIN_EVIDENCE,
    learn_paths: Annotated[
        Path | None,
        typer.Option(
            "--learn-paths",
            help="Read the plan documents in this folder and print a `paths = [...]` proposal per repo.",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of --format json and exit.")] = False,
    max_bytes: MaxBytesOption = None,
) -> None:
    """Suggest the sections a design lacks (repos and key files, unticked, with evidence); --write inserts them."""
    if schema:
        from planner.suggest import REPORT

        typer.echo(json.dumps(REPORT.json_schema(mode="serialization"), indent=2, sort_keys=True))
        return
    if learn_paths is not None:
        if designs or write:
            _usage("--learn-paths reads plans and prints a proposal; give no design and no --write with it")
        _learn(learn_paths, load_config_or_exit(config))
        return
    if not designs:
        _usage("give one or more design docs or folders (or --learn-paths PLANS_DIR, or --schema)")
    _suggest(designs, load_config_or_exit(config), choice(fmt), write, min_evidence, max_bytes)


def _usage(message: str) -> NoReturn:
    typer.echo(f"planner: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _suggest(
    targets: list[str], cfg: "Config", fmt: str, write: bool, min_evidence: int, max_bytes: int | None
) -> None:
    from planner.files import OutputError, write_atomic
    from planner.suggest import REPORT, suggest_text
    from planner.suggest.render import missing_sections, report_markdown, sections_markdown
    from planner.suggest.write import with_sections

    paths, problems = design_paths(targets)
    found: list[Suggestion] = []
    reports: list[str] = []
    for path in paths:
        read, problems_of = _read(path, max_bytes)
        if read is None:
            problems += problems_of
            continue
        raw, text = read
        suggestion, doc = suggest_text(text, path, cfg, min_evidence=min_evidence)
        found.append(suggestion)
        reports.append(report_markdown(doc, suggestion))
        sections = missing_sections(doc, suggestion)
        if write and sections:
            updated = with_sections(raw, text, sections, sections_markdown(suggestion, sections))
            if updated is None:
                problems.append(
                    error(
                        "write-unread",
                        "the design ends inside an unclosed code block, where the planner would not read the "
                        "suggested sections; close the block (```), then run --write again",
                        path,
                        doc.line_count,
                    )
                )
                continue
            try:
                write_atomic(Path(path), updated)
            except (OutputError, OSError) as exc:
                problems.append(error("write-error", f"cannot write the suggested sections: {exc}", path, 1))
                continue
            typer.echo(f"{one_line(path)}: inserted {', '.join(sections)}", err=True)
    if fmt == "json":
        typer.echo(json_text(REPORT.dump_python(found, mode="json")))
    else:
        typer.echo(printable("\n".join(reports)), nl=False)
    _finish(problems)


def _read(path: str, max_bytes: int | None) -> tuple[tuple[str, str] | None, tuple[Diagnostic, ...]]:
    """A design's text as it is (BOM, line ends) and normalised, or why it cannot be read."""
    from planner.design import MAX_DESIGN_BYTES, decode_design, load_design

    loaded, problems = load_design(path, max_bytes=max_bytes or MAX_DESIGN_BYTES)
    if loaded is None:
        return None, problems
    # Read again for the bytes --write inserts into; only a regular file, which cannot stream forever.
    if not Path(path).is_file():
        return None, (error("not-a-file", "is not a regular file; give a design doc (.md) file", path, 1),)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, (error("read-error", f"cannot read: {exc.strerror or exc}; check that it is readable", path, 1),)
    text, problems = decode_design(data, path)
    # Decoded as UTF-8 (with any BOM), the raw text is valid UTF-8 too: it keeps the BOM as U+FEFF.
    return (None, problems) if text is None else ((data.decode("utf-8"), text), ())


def _finish(problems: list[Diagnostic]) -> None:
    print_diagnostics(problems)
    if problems:
        raise typer.Exit(EXIT_ERRORS)


def _learn(folder: Path, cfg: "Config") -> None:
    from planner.design import decode_design
    from planner.suggest.learn import learn_paths, render_learned

    if not folder.is_dir():
        _finish([error("not-a-folder", "--learn-paths takes a folder of plan documents (*.md)", str(folder), 1)])
    texts: list[str] = []
    problems: list[Diagnostic] = []
    # Regular files only: reading a FIFO would wait for a writer forever.
    for path in sorted(p for p in folder.rglob("*.md") if p.is_file()):
        try:
            text, bad = decode_design(path.read_bytes(), str(path))
        except OSError as exc:
            problems.append(error("read-error", f"cannot read: {exc.strerror or exc}", str(path), 1))
            continue
        problems += bad
        if text is not None:
            texts.append(text)
    typer.echo(printable(render_learned(learn_paths(texts, cfg), str(folder))), nl=False)
    _finish(problems)

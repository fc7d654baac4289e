"""The typer applications every command module registers on: `planner` and its `export`/`sync`/`pull` groups."""

# No `from __future__ import annotations` here: typer would evaluate every command's annotation strings, twice
# per command, on every start (tests/cli/test_cold_start.py).

from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from planner import __version__

__all__ = ["CONTEXT", "app", "export_app", "pull_app", "sync_app"]

# `-h` as well as `--help`, on every command.
CONTEXT = {"help_option_names": ["-h", "--help"]}


class _Command(TyperCommand):
    """Help that reads like a man page: arguments by name (`DESIGN...`), not by Python type (`<list[str]>`)."""

    # Typer's click may be its own vendored copy: parameters are told apart by click's `param_type_name`.
    @staticmethod
    def _name(param: Any) -> str:
        name = str(param.metavar or (param.name or "").upper())
        return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar or "[OPTIONS]"]
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(self._name(param) if param.required else f"[{self._name(param)}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        rows: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                rows["Arguments"].append((self._name(param), record[1]))
            else:
                rows["Options"].append(record)
        for title, records in rows.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


class _Group(TyperGroup):
    """The command list in full: each command's first sentence, wrapped instead of cut at the terminal's width."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _Typer(typer.Typer):
    """Every command of every sub-app gets `_Command`'s help, whoever registers it."""

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", _Command)
        kwargs.setdefault("context_settings", CONTEXT)
        return super().command(name, **kwargs)


app = _Typer(
    cls=_Group,
    name="planner",
    help="Turn an approved design document into an ordered per-repository implementation plan.",
    no_args_is_help=True,
    # `planner --install-completion` / `--show-completion`: bash, zsh, fish and PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)

# `planner export <tracker> DESIGN` writes a tracker's feed; `planner sync <tracker> DESIGN` pushes it.
export_app = _Typer(
    cls=_Group,
    help="Write a plan's tasks in a tracker's import format.",
    no_args_is_help=True,
    context_settings=CONTEXT,
)
sync_app = _Typer(
    cls=_Group, help="Push a plan's tasks into a tracker, idempotently.", no_args_is_help=True, context_settings=CONTEXT
)
app.add_typer(export_app, name="export")
app.add_typer(sync_app, name="sync")
# `planner pull <tracker> DESIGN --plan PLAN.md` brings a tracker's progress back into the plan's boxes.
pull_app = _Typer(
    cls=_Group,
    help="Tick a plan's boxes from a tracker's state (two-way, against a base).",
    no_args_is_help=True,
    context_settings=CONTEXT,
)
app.add_typer(pull_app, name="pull")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Turn an approved design document into an ordered per-repository implementation plan."""

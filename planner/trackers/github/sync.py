"""Make a repository's issues match a plan: found again by marker, updated, created, linked, never doubled."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from planner.config import Config
from planner.diagnostics import Diagnostic, warning
from planner.plan import Plan
from planner.render.markdown import code
from planner.trackers.github.client import AmbiguousWrite, GitHubClient, GitHubError
from planner.trackers.github.epics import epic_key, epic_specs, limit_problems
from planner.trackers.github.issues import (
    REPO_PATTERN,
    IssueSpec,
    design_path,
    feature_label,
    issue_key,
    plan_issues,
)
from planner.trackers.github.projects import (
    ADD_ITEM,
    PROJECT_QUERY,
    SET_FIELD,
    STATUS_CLOSED,
    STATUS_FIELD,
    STATUS_OPEN,
    Project,
    field_value,
    parse_project,
)
from planner.trackers.github.state import list_issues
from planner.trackers.identity import identity

__all__ = ["Action", "SyncResult", "sync_github"]

Verb = Literal[
    "create", "update", "link", "unlink", "close", "removed", "duplicate", "restore", "epic", "nest", "project"
]
# Labels planner owns: a stale one of these is taken off; any other label a person added stays.
_MANAGED_PREFIXES = ("kind:", "feature:")


@dataclass(frozen=True)
class Action:
    """One change (or, for `removed`/`duplicate`, one finding) on one issue; `number` is None before creation."""

    verb: Verb
    repo: str
    task_id: str
    number: int | None = None
    detail: str = ""

    def format(self, dry_run: bool = False) -> str:
        where = f"{self.repo}#{self.number}" if self.number is not None else f"{self.repo} (new)"
        verb = f"would {self.verb}" if dry_run and self.verb not in ("removed", "duplicate") else self.verb
        detail = f" {self.detail}" if self.detail else ""
        return f"{verb} {where}{detail} [{self.task_id}]"


@dataclass(frozen=True)
class SyncResult:
    actions: tuple[Action, ...]
    unchanged: int
    kept_closed: int
    writes: int
    dry_run: bool
    diagnostics: tuple[Diagnostic, ...] = ()
    # Found while syncing (a project field or option missing), unlike `diagnostics`, which come from the plan.
    notes: tuple[Diagnostic, ...] = ()

    def count(self, verb: Verb) -> int:
        return sum(1 for a in self.actions if a.verb == verb)

    def summary(self) -> str:
        # Every verb in declaration order; "removed" is a finding, counted in the tail.
        verbs = [verb for verb in get_args(Verb) if verb != "removed"]
        done = ", ".join(f"{verb} {self.count(verb)}" for verb in verbs)
        tail = "no write sent" if self.dry_run else f"{self.writes} write(s)"
        head = "github (dry run): would" if self.dry_run else "github:"
        return (
            f"{head} {done}; unchanged {self.unchanged}, kept closed {self.kept_closed}, "
            f"removed from the plan and left open {self.count('removed')}; {tail}"
        )


@dataclass
class _Issue:
    """What sync knows of one issue: as GitHub has it, or as it will be created (dry run: number None)."""

    repo: str
    number: int | None
    id: int | None
    title: str
    body: str
    labels: tuple[str, ...]
    state: str
    created: bool = False
    node: str | None = None  # GraphQL node id, for Projects


@dataclass
class _Run:
    plan: Plan
    client: GitHubClient | None
    dry_run: bool
    close_removed: bool
    report: Callable[[Action], None]
    actions: list[Action] = field(default_factory=list)
    unchanged: int = 0
    kept_closed: int = 0
    # (repo, task id) -> this feature's issue; every issue id of this feature, for unlinking.
    issues: dict[tuple[str, str], _Issue] = field(default_factory=dict)
    # repo -> its issues without planner markers; old identity -> its open issues written from this design.
    unmarked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    renamed: dict[str, list[str]] = field(default_factory=dict)
    # (repo, planner repo) -> this design's epic there.
    epics: dict[tuple[str, str], _Issue] = field(default_factory=dict)
    notes: list[Diagnostic] = field(default_factory=list)

    def act(self, action: Action) -> None:
        self.actions.append(action)
        self.report(action)

    @property
    def gh(self) -> GitHubClient:
        assert self.client is not None
        return self.client


def sync_github(
    plan: Plan,
    config: Config,
    client: GitHubClient | None,
    *,
    dry_run: bool = False,
    close_removed: bool = False,
    epics: bool = False,
    report: Callable[[Action], None] | None = None,
) -> SyncResult:
    """Sync a plan's issues. Dry run sends GETs only (client may be None for a plan with no issue target).

    Raises GitHubError for a refusal or an exhausted retry; actions done before it were already reported.
    """
    specs, problems = plan_issues(plan, config)
    limits = limit_problems(specs, epics)
    if limits:
        raise GitHubError("; ".join(limits) + "; nothing was written")
    run = _Run(plan, client, dry_run, close_removed, report or (lambda _: None))
    targets = sorted({s.repo for s in specs} | _configured_repos(config))
    if targets and client is None:
        raise GitHubError("no GitHub client given")
    for repo in targets:
        _load(run, repo)
    if run.renamed and not run.issues:
        raise GitHubError(_renamed_message(run))
    _adopt(run, specs)
    wanted = {(s.repo, s.task_id) for s in specs}
    for spec in specs:
        _ensure(run, spec)
    _settle(run, sorted({i.repo for i in run.issues.values() if i.created and i.number is not None}))
    if epics:
        for epic in epic_specs(plan, specs):
            _sync_epic(run, epic, [run.issues[s.repo, s.task_id] for s in specs if s.planner_repo == epic.task_id])
    specs_by_id = {s.task_id: s for s in specs}
    for spec in specs:
        _link(run, spec, specs_by_id)
    for (repo, task_id), issue in sorted(run.issues.items()):
        if (repo, task_id) not in wanted and issue.state == "open" and not issue.created:
            _retire(run, repo, task_id, issue)
    if config.trackers.github.project is not None and (specs or run.epics):
        _sync_project(run, config, specs)
    return SyncResult(
        actions=tuple(run.actions),
        unchanged=run.unchanged,
        kept_closed=run.kept_closed,
        writes=client.writes if client is not None else 0,
        dry_run=dry_run,
        diagnostics=problems,
        notes=tuple(run.notes),
    )


def _configured_repos(config: Config) -> set[str]:
    # Every configured target is scanned: a repo dropped from the design still holds issues to report.
    return {
        r.tracker.github for r in config.repos.values() if r.tracker.github and REPO_PATTERN.match(r.tracker.github)
    }


def _load(run: _Run, repo: str) -> None:
    feature = identity(run.plan.design)
    found: dict[str, list[dict[str, Any]]] = {}
    unmarked: list[dict[str, Any]] = []
    epics: dict[str, list[dict[str, Any]]] = {}
    for item in list_issues(run.gh, repo):
        key = issue_key(item.get("body"))
        epic = epic_key(item.get("body")) if key is None else None
        if epic is not None:
            if epic[0] == feature:
                epics.setdefault(epic[1], []).append(item)
        elif key is None:
            unmarked.append(item)
        elif key[0] == feature:
            found.setdefault(key[1], []).append(item)
        elif _same_design(run, item):
            run.renamed.setdefault(key[0], []).append(f"{repo}#{item['number']}")
    run.unmarked[repo] = unmarked
    for task_id, items in sorted(found.items()):
        run.issues[repo, task_id] = _from_github(repo, _keep_first(run, repo, task_id, items))
    for name, items in sorted(epics.items()):
        run.epics[repo, name] = _from_github(repo, min(items, key=lambda i: int(i["number"])))


def _settle_epic(run: _Run, spec: IssueSpec, ours: _Issue) -> _Issue:
    """After creating an epic: keep the lowest-numbered one, in case another sync created it too."""
    key = (identity(run.plan.design), spec.task_id)
    items = [item for item in list_issues(run.gh, spec.repo) if epic_key(item.get("body")) == key]
    if len(items) < 2:
        return ours
    first = _from_github(spec.repo, _keep_first(run, spec.repo, f"{spec.task_id} epic", items))
    first.created = first.number == ours.number
    return first


def _sync_epic(run: _Run, spec: IssueSpec, children: list[_Issue]) -> None:
    """Create or update the repo's epic, then make each of its task issues a sub-issue (in plan order)."""
    tag = f"{spec.task_id} epic"
    epic = run.epics.get((spec.repo, spec.task_id))
    if epic is None:
        epic = _Issue(spec.repo, None, None, spec.title, spec.body, spec.labels, "open", created=True)
        if not run.dry_run:
            epic = _from_github(spec.repo, _post(run, spec, epic_key))
            epic.created = True
            epic = _settle_epic(run, spec, epic)
        run.epics[spec.repo, spec.task_id] = epic
        run.act(Action("epic", spec.repo, tag, epic.number, f"(created) {_quoted(spec.title)}"))
    elif epic.state == "open" and (changes := _changes(epic, spec)):
        if not run.dry_run:
            run.gh.write("PATCH", f"repos/{spec.repo}/issues/{epic.number}", changes, idempotent=True)
        run.act(Action("epic", spec.repo, tag, epic.number, f"(updated {', '.join(sorted(changes))})"))
    path = f"repos/{spec.repo}/issues/{epic.number}/sub_issues"
    nested = set() if epic.created else {int(i["id"]) for i in run.gh.get_all(path, {"per_page": 100})}
    for child in children:
        if child.id is not None and child.id in nested:
            continue
        if not run.dry_run:
            try:
                run.gh.write("POST", path, {"sub_issue_id": child.id}, idempotent=False)
            except GitHubError as exc:
                # Unknown fate, or 422 because another sync nested it a moment ago: fine if it is there now.
                ambiguous = isinstance(exc, AmbiguousWrite) or exc.status == 422
                if not ambiguous or child.id not in {int(i["id"]) for i in run.gh.get_all(path, {"per_page": 100})}:
                    raise
        run.act(Action("nest", spec.repo, tag, child.number, f"(sub-issue of {_ref(epic, tag)})"))


def _renamed_message(run: _Run) -> str:
    old = sorted(run.renamed)
    where = "; ".join(f"{name!r}: {', '.join(sorted(run.renamed[name])[:5])}" for name in old)
    return (
        f"{design_path(run.plan.design)} has no issues as {identity(run.plan.design)!r}, but open issues of "
        f"{where} were written from it: the design was retitled. Add `**Id:** {old[0]}` to its header to keep "
        "those issues (or close them to start afresh); nothing was created"
    )


def _settle(run: _Run, repos: list[str]) -> None:
    """After creating: list again and keep one issue per task, in case another sync created it too."""
    feature = identity(run.plan.design)
    for repo in repos:
        found: dict[str, list[dict[str, Any]]] = {}
        for item in list_issues(run.gh, repo):
            key = issue_key(item.get("body"))
            if key is not None and key[0] == feature:
                found.setdefault(key[1], []).append(item)
        for task_id, items in sorted(found.items()):
            if len(items) > 1:
                ours = run.issues.get((repo, task_id))
                first = _from_github(repo, _keep_first(run, repo, task_id, items))
                first.created = ours is not None and ours.number == first.number and ours.created
                run.issues[repo, task_id] = first


def _keep_first(run: _Run, repo: str, task_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The lowest-numbered of one task's issues; the other open ones are closed as its duplicates.

    Two syncs running at once can each create a task's issue; both then keep the same one, the lowest.
    """
    first, *others = sorted(items, key=lambda i: int(i["number"]))
    for other in others:
        if other.get("state") != "open":
            continue
        number = int(other["number"])
        if not run.dry_run:
            _close_duplicate(run, repo, number, task_id, int(first["number"]))
        closed = "would close" if run.dry_run else "closed"
        run.act(Action("duplicate", repo, task_id, number, f"({closed} as a duplicate of #{first['number']})"))
    return first


def _close_duplicate(run: _Run, repo: str, number: int, task_id: str, first: int) -> None:
    note = f"Duplicate of #{first}: planner found two issues for task `{task_id}` and keeps the first."
    with contextlib.suppress(AmbiguousWrite):  # the comment only explains; closing the duplicate is what matters
        run.gh.write("POST", f"repos/{repo}/issues/{number}/comments", {"body": note}, idempotent=False)
    closing = {"state": "closed", "state_reason": "not_planned"}
    run.gh.write("PATCH", f"repos/{repo}/issues/{number}", closing, idempotent=True)


def _same_design(run: _Run, item: dict[str, Any]) -> bool:
    """An open issue of another identity written from this very design file: the design was retitled."""
    return item.get("state") == "open" and f"- Design: {code(design_path(run.plan.design))}," in str(
        item.get("body") or ""
    )


def _adopt(run: _Run, specs: tuple[IssueSpec, ...]) -> None:
    """Find again, by title, a task issue whose markers a person deleted; its markers are restored on update."""
    label = feature_label(identity(run.plan.design)).casefold()
    titles = Counter((s.repo, s.title) for s in specs)
    for spec in specs:
        if (spec.repo, spec.task_id) in run.issues or titles[spec.repo, spec.title] > 1:
            continue
        matches = [
            item
            for item in run.unmarked.get(spec.repo, [])
            if item.get("title") == spec.title and label in {n.casefold() for n in _from_github(spec.repo, item).labels}
        ]
        if len(matches) == 1:
            run.issues[spec.repo, spec.task_id] = _from_github(spec.repo, matches[0])
            detail = "(its planner markers were gone: matched by title, markers restored)"
            run.act(Action("restore", spec.repo, spec.task_id, int(matches[0]["number"]), detail))


def _from_github(repo: str, item: dict[str, Any]) -> _Issue:
    return _Issue(
        repo=repo,
        number=int(item["number"]),
        id=int(item["id"]),
        title=str(item.get("title") or ""),
        body=str(item.get("body") or ""),
        labels=tuple(str(label["name"] if isinstance(label, dict) else label) for label in item.get("labels") or ()),
        state=str(item.get("state") or "open"),
        node=str(item["node_id"]) if item.get("node_id") else None,
    )


def _ensure(run: _Run, spec: IssueSpec) -> None:
    issue = run.issues.get((spec.repo, spec.task_id))
    if issue is None:
        _create(run, spec)
        return
    if issue.state != "open":
        # Done work stays done: a closed issue is neither reopened nor rewritten.
        run.kept_closed += 1
        return
    changes = _changes(issue, spec)
    if not changes:
        run.unchanged += 1
        return
    if not run.dry_run:
        data = run.gh.write("PATCH", f"repos/{spec.repo}/issues/{issue.number}", changes, idempotent=True)
        run.issues[spec.repo, spec.task_id] = _from_github(spec.repo, data)
    run.act(Action("update", spec.repo, spec.task_id, issue.number, f"({', '.join(sorted(changes))})"))


def _changes(issue: _Issue, spec: IssueSpec) -> dict[str, Any]:
    """The PATCH that makes an open issue say what the spec says (people's own labels kept)."""
    changes: dict[str, Any] = {}
    if issue.title != spec.title:
        changes["title"] = spec.title
    if issue.body.replace("\r\n", "\n") != spec.body:
        changes["body"] = spec.body
    labels = _merged_labels(issue.labels, spec.labels)
    if labels is not None:
        changes["labels"] = list(labels)
    return changes


def _merged_labels(current: Iterable[str], wanted: Iterable[str]) -> tuple[str, ...] | None:
    """Labels after adding planner's and dropping its stale ones; None when nothing changes.

    GitHub matches label names case-insensitively and answers with the repository's spelling.
    """
    have = {label.casefold(): label for label in current}
    want = {label.casefold(): label for label in wanted}
    keep = {k: v for k, v in have.items() if k in want or not k.startswith(_MANAGED_PREFIXES)}
    merged = {**want, **keep}
    if merged.keys() == have.keys():
        return None
    return tuple(sorted(merged.values()))


def _create(run: _Run, spec: IssueSpec) -> None:
    if run.dry_run:
        run.issues[spec.repo, spec.task_id] = _Issue(
            spec.repo, None, None, spec.title, spec.body, spec.labels, "open", created=True
        )
        run.act(Action("create", spec.repo, spec.task_id, None, _quoted(spec.title)))
        return
    issue = _from_github(spec.repo, _post(run, spec, issue_key))
    issue.created = True
    run.issues[spec.repo, spec.task_id] = issue
    run.act(Action("create", spec.repo, spec.task_id, issue.number, _quoted(spec.title)))


def _post(run: _Run, spec: IssueSpec, keyer: Callable[[str | None], tuple[str, str] | None]) -> dict[str, Any]:
    """Create the spec's issue once: after an ambiguous answer, look for its markers before posting again."""
    payload = {"title": spec.title, "body": spec.body, "labels": list(spec.labels)}
    failures = 0
    while True:
        try:
            data: dict[str, Any] = run.gh.write("POST", f"repos/{spec.repo}/issues", payload, idempotent=False)
            return data
        except AmbiguousWrite as exc:
            adopted = _find(run, spec, keyer)
            if adopted is not None:
                return adopted
            failures += 1
            if failures >= run.gh.pacing.max_attempts:
                raise GitHubError(f"{exc} (gave up after {failures} attempts); run sync again later") from exc
            run.gh.pacing.sleep(run.gh.pacing.backoff_delay(failures))


def _find(run: _Run, spec: IssueSpec, keyer: Callable[[str | None], tuple[str, str] | None]) -> dict[str, Any] | None:
    key = (identity(run.plan.design), spec.task_id)
    matches = [item for item in list_issues(run.gh, spec.repo) if keyer(item.get("body")) == key]
    return min(matches, key=lambda i: int(i["number"])) if matches else None


def _quoted(title: str) -> str:
    return '"' + title.replace('"', "'") + '"'


def _ref(issue: _Issue, task_id: str) -> str:
    return f"{issue.repo}#{issue.number}" if issue.number is not None else f"{issue.repo} (new: {task_id})"


def _link(run: _Run, spec: IssueSpec, specs: dict[str, IssueSpec]) -> None:
    issue = run.issues[spec.repo, spec.task_id]
    if issue.state != "open":
        return
    blockers = {dep: run.issues[specs[dep].repo, dep] for dep in spec.blocked_by}
    ours = {i.id for i in run.issues.values() if i.id is not None}
    existing: set[int] = set()
    if not issue.created:
        existing = {int(item["id"]) for item in _blockers(run, spec.repo, issue)}
    for dep, blocker in sorted(blockers.items()):
        if blocker.id is not None and blocker.id in existing:
            continue
        if not run.dry_run:
            _add_link(run, spec.repo, issue, blocker)
        run.act(Action("link", spec.repo, spec.task_id, issue.number, f"blocked by {_ref(blocker, dep)}"))
    wanted = {b.id for b in blockers.values()}
    for stale in sorted(existing & ours - wanted):
        if not run.dry_run:
            path = f"repos/{spec.repo}/issues/{issue.number}/dependencies/blocked_by/{stale}"
            run.gh.write("DELETE", path, idempotent=True)
        owner = next(i for i in run.issues.values() if i.id == stale)
        run.act(Action("unlink", spec.repo, spec.task_id, issue.number, f"blocked by {owner.repo}#{owner.number}"))


def _blockers(run: _Run, repo: str, issue: _Issue) -> list[dict[str, Any]]:
    return run.gh.get_all(f"repos/{repo}/issues/{issue.number}/dependencies/blocked_by", {"per_page": 100})


def _add_link(run: _Run, repo: str, issue: _Issue, blocker: _Issue) -> None:
    path = f"repos/{repo}/issues/{issue.number}/dependencies/blocked_by"
    failures = 0
    while True:
        try:
            run.gh.write("POST", path, {"issue_id": blocker.id}, idempotent=False)
            return
        except GitHubError as exc:
            # Unknown fate, or 422 because another sync running at once added it: fine if it is there now.
            if not isinstance(exc, AmbiguousWrite) and exc.status != 422:
                raise
            if any(int(item["id"]) == blocker.id for item in _blockers(run, repo, issue)):
                return
            failures += 1
            if exc.status == 422 or failures >= run.gh.pacing.max_attempts:
                raise GitHubError(f"{exc} (gave up after {failures} attempts); run sync again later") from exc
            run.gh.pacing.sleep(run.gh.pacing.backoff_delay(failures))


def _sync_project(run: _Run, config: Config, specs: tuple[IssueSpec, ...]) -> None:
    """Put every task issue, then every epic, on the configured board with the plan's field values."""
    board = _load_project(run, str(config.trackers.github.project))
    kinds = {task.id: (repo, task.kind) for repo in run.plan.repos for task in repo.tasks}
    waves = {repo.name: repo.wave for repo in run.plan.repos}
    feature = run.plan.design.feature
    line = _project_line(config)
    for spec in specs:
        repo, kind = kinds[spec.task_id]
        values: dict[str, str | int] = {"Wave": repo.wave, "Repo": repo.name, "Kind": kind, "Feature": feature}
        _place(run, board, run.issues[spec.repo, spec.task_id], spec.task_id, values, (config.path, line))
    for (_, name), epic in sorted(run.epics.items()):
        values = {"Wave": waves.get(name, 0), "Repo": name, "Kind": "epic", "Feature": feature}
        _place(run, board, epic, f"{name} epic", values, (config.path, line))


def _load_project(run: _Run, setting: str) -> Project:
    owner, number = setting.split("/")
    board: Project | None = None
    after: str | None = None
    while True:
        variables = {"login": owner, "number": int(number), "after": after}
        board, after = parse_project(run.gh.graphql(PROJECT_QUERY, variables, mutation=False), board)
        if board is None:
            raise GitHubError(
                f"[trackers.github] project = {setting!r}: no such project, or the token cannot see it; check the "
                "owner and the number in the project's URL"
            )
        if after is None:
            return board


def _place(
    run: _Run, board: Project, issue: _Issue, tag: str, values: dict[str, str | int], where: tuple[str, int]
) -> None:
    item = board.items.get(issue.node) if issue.node else None
    added = item is None
    if added:
        # Status only on adding: after that the board's people own it.
        values = {**values, STATUS_FIELD: STATUS_OPEN if issue.state == "open" else STATUS_CLOSED}
        if not run.dry_run:
            answer = run.gh.graphql(ADD_ITEM, {"project": board.id, "content": issue.node}, mutation=True)
            item = str(answer["addProjectV2ItemById"]["item"]["id"])
            board.items[str(issue.node)] = item
    current = board.values.get(item, {}) if item is not None else {}
    done: list[str] = []
    for name, value in values.items():
        setting = _field_setting(run, board, name, value, where)
        if setting is None or current.get(setting[0]) == setting[2]:
            continue
        if item is not None and not run.dry_run:
            variables = {"project": board.id, "item": item, "field": setting[0], "value": setting[1]}
            run.gh.graphql(SET_FIELD, variables, mutation=True)
        done.append(f"{name}={value}")
    if added or done:
        detail = ("added; " if added else "") + ", ".join(done)
        run.act(Action("project", issue.repo, tag, issue.number, f"({detail.rstrip('; ')})"))


def _field_setting(
    run: _Run, board: Project, name: str, value: str | int, where: tuple[str, int]
) -> tuple[str, dict[str, object], object] | None:
    """(field id, GraphQL value, stored value) to set, or None with a warning (once) saying why not."""
    found = board.fields.get(name.casefold())
    problem = f"the project has no field {name!r}; add it to set it from the plan" if found is None else None
    if found is not None:
        graphql, stored, problem = field_value(found, value)
        if graphql is not None:
            return found.id, graphql, stored
    message = f"[trackers.github] project: {problem}"
    if all(n.message != message for n in run.notes):
        run.notes.append(warning("github-project-field", message, *where))
    return None


def _project_line(config: Config) -> int:
    try:
        lines = Path(config.path).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, raw in enumerate(lines, 1) if raw.replace(" ", "").startswith("[trackers.github]")), 1)


def _retire(run: _Run, repo: str, task_id: str, issue: _Issue) -> None:
    if not run.close_removed:
        run.act(Action("removed", repo, task_id, issue.number, "(no longer in the plan; --close-removed closes it)"))
        return
    if not run.dry_run:
        body = {"state": "closed", "state_reason": "not_planned"}
        run.gh.write("PATCH", f"repos/{repo}/issues/{issue.number}", body, idempotent=True)
    run.act(Action("close", repo, task_id, issue.number, "(no longer in the plan)"))

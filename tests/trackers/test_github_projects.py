"""Projects (v2) against the fake's GraphQL endpoint: items added once, fields from the plan, Status left to people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import Board, FakeGitHub
from github_world import CONFIG, TOKEN, World

from planner.trackers.github import GitHubError

PROJECT = '\n[trackers.github]\nproject = "acme/7"\n'
FIELDS: dict[str, str | list[str]] = {
    "Wave": "NUMBER",
    "Repo": ["ledger", "portal"],
    "Kind": ["migration", "rest", "epic"],
    "Feature": ["Refund Ledger"],
    "Status": ["Todo", "In Progress", "Done"],
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    server = FakeGitHub(TOKEN).start()
    server.add_repo("acme/ledger")
    server.add_repo("acme/portal")
    w = World(tmp_path, server)
    (tmp_path / "repos.toml").write_text(CONFIG + PROJECT, encoding="utf-8")
    yield w
    server.stop()


def board(world: World, fields: dict[str, str | list[str]] = FIELDS) -> Board:
    return world.server.add_project("acme", 7, fields)


def mutations(world: World) -> list[str]:
    posts = [r for r in world.server.requests if r.path == "/graphql"]
    return [r.body["query"].split("(")[0].split()[-1] for r in posts if r.body["query"].startswith("mutation")]


def test_every_issue_is_added_with_the_plans_fields_and_status(world: World) -> None:
    b = board(world)
    result = world.push(epics=True)
    issues = world.server.all_issues()
    assert len(b.items) == len(issues) == 5 and result.count("project") == 5
    migration = next(i for i in issues if "planner:id=ledger:migration" in i["body"])
    assert world.server.item_values(b, migration) == {
        "Wave": 1.0,
        "Repo": "ledger",
        "Kind": "migration",
        "Feature": "Refund Ledger",
        "Status": "Todo",
    }
    epic = next(i for i in issues if "planner:epic=portal" in i["body"])
    assert world.server.item_values(b, epic)["Kind"] == "epic"
    assert world.server.item_values(b, epic)["Wave"] == 2.0


def test_a_second_sync_sends_no_mutation(world: World) -> None:
    board(world)
    world.push(epics=True)
    before = len(mutations(world))
    again = world.push(epics=True)
    assert again.count("project") == 0 and len(mutations(world)) == before


def test_status_is_set_only_when_added_then_people_own_it(world: World) -> None:
    b = board(world)
    world.push()
    issue = world.issue("ledger:migration")
    item = b.item(issue["node_id"])
    assert item is not None
    progress = next(o["id"] for o in b.field("Status")["options"] if o["name"] == "In Progress")
    item["values"][b.field("Status")["id"]] = progress
    world.push()
    assert world.server.item_values(b, issue)["Status"] == "In Progress"


def test_a_missing_option_or_field_is_a_warning_naming_it_and_the_rest_is_set(world: World) -> None:
    fields = {k: v for k, v in FIELDS.items() if k != "Kind"}
    fields["Repo"] = ["ledger"]
    b = board(world, fields)
    result = world.push()
    messages = [n.message for n in result.notes]
    assert any("no option 'portal'" in m and "'Repo'" in m for m in messages)
    assert any("no field 'Kind'" in m for m in messages)
    assert len(messages) == 2  # one warning per problem, not one per issue
    assert all(n.severity.value == "warning" and n.line == 21 for n in result.notes)
    portal = world.issue("portal:rest:POST:/api/refunds")
    assert world.server.item_values(b, portal) == {"Wave": 2.0, "Feature": "Refund Ledger", "Status": "Todo"}


def test_a_field_of_another_type_is_a_warning(world: World) -> None:
    board(world, {**FIELDS, "Wave": ["1", "2"], "Feature": "DATE"})
    result = world.push()
    messages = " ".join(n.message for n in result.notes)
    assert "field 'Feature' is a DATE field" in messages
    assert "no option '1'" not in messages  # waves 1 and 2 are options here: matched by name


def test_items_are_read_across_pages(world: World) -> None:
    b = board(world)
    world.server.graphql_page = 2
    world.push(epics=True)
    before = len(mutations(world))
    assert world.push(epics=True).count("project") == 0
    assert len(mutations(world)) == before and len(b.items) == 5


def test_dry_run_reads_the_board_and_writes_nothing(world: World) -> None:
    b = board(world)
    result = world.push(dry_run=True)
    assert result.count("project") == 3 and b.items == [] and mutations(world) == []


def test_an_unknown_project_is_a_clear_error(world: World) -> None:
    world.server.add_project("acme", 8, FIELDS)
    with pytest.raises(GitHubError, match=r"Could not resolve to a ProjectV2 with the number 7.*\[trackers.github\]"):
        world.push()
    out = world.cli("sync", "github", str(world.root / "design.md"), "--min-interval", "0", code=1)
    assert "error[github]" in out or "github" in out


def gql(server: FakeGitHub, query: str, variables: dict[str, object]) -> dict[str, object]:
    answer = server.handle(
        "POST",
        "/graphql",
        {"authorization": f"Bearer {TOKEN}"},
        json.dumps({"query": query, "variables": variables}).encode(),
    )
    assert answer is not None and answer[0] == 200
    payload: dict[str, object] = answer[1]
    return payload


def test_the_fake_rejects_what_github_rejects(world: World) -> None:
    b = board(world)
    issue = world.server.seed("acme/ledger", "Hand-made")
    add = "mutation PlannerAddItem($project: ID!, $content: ID!) { x }"
    assert "errors" in gql(world.server, add, {"project": b.id, "content": "I_nope"})
    item = gql(world.server, add, {"project": b.id, "content": issue["node_id"]})
    item_id = item["data"]["addProjectV2ItemById"]["item"]["id"]  # type: ignore[index]
    again = gql(world.server, add, {"project": b.id, "content": issue["node_id"]})
    assert again["data"]["addProjectV2ItemById"]["item"]["id"] == item_id  # type: ignore[index]
    setter = "mutation PlannerSetField($project: ID!, $item: ID!, $field: ID!, $value: ProjectV2FieldValue!) { x }"
    other_option = b.field("Kind")["options"][0]["id"]
    for field, value in (
        ("Repo", {"singleSelectOptionId": other_option}),
        ("Repo", {"number": 1}),
        ("Wave", {"text": "1"}),
        ("Wave", {"number": 1, "text": "1"}),
    ):
        variables = {"project": b.id, "item": item_id, "field": b.field(field)["id"], "value": value}
        assert "errors" in gql(world.server, setter, variables), (field, value)

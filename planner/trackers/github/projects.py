"""Projects (v2): every synced issue on the configured board, with Wave, Repo, Kind and Feature set from the plan.

`Status` is set only when planner adds an item; after that people own it. Fields and single-select options are
matched by name, case-insensitively; a missing one is a warning naming it, never a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ADD_ITEM",
    "PROJECT_QUERY",
    "SET_FIELD",
    "STATUS_CLOSED",
    "STATUS_FIELD",
    "STATUS_OPEN",
    "Project",
    "ProjectField",
    "field_value",
    "parse_project",
]

STATUS_FIELD = "Status"
# Status options planner picks when it adds an item: GitHub's default board has "Todo" and "Done".
STATUS_OPEN, STATUS_CLOSED = "Todo", "Done"

PROJECT_QUERY = """query PlannerProject($login: String!, $number: Int!, $after: String) {
  repositoryOwner(login: $login) {
    ... on ProjectV2Owner {
      projectV2(number: $number) {
        id
        fields(first: 100) {
          nodes {
            ... on ProjectV2FieldCommon { id name dataType }
            ... on ProjectV2SingleSelectField { options { id name } }
          }
        }
        items(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          nodes {
            id
            content { ... on Issue { id } }
            fieldValues(first: 50) {
              nodes {
                ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2FieldCommon { id } } }
                ... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2FieldCommon { id } } }
                ... on ProjectV2ItemFieldSingleSelectValue { optionId field { ... on ProjectV2FieldCommon { id } } }
              }
            }
          }
        }
      }
    }
  }
}"""

ADD_ITEM = """mutation PlannerAddItem($project: ID!, $content: ID!) {
  addProjectV2ItemById(input: {projectId: $project, contentId: $content}) { item { id } }
}"""

SET_FIELD = """mutation PlannerSetField($project: ID!, $item: ID!, $field: ID!, $value: ProjectV2FieldValue!) {
  updateProjectV2ItemFieldValue(
    input: {projectId: $project, itemId: $item, fieldId: $field, value: $value}
  ) { projectV2Item { id } }
}"""


@dataclass(frozen=True)
class ProjectField:
    id: str
    name: str
    data_type: str  # NUMBER, TEXT, SINGLE_SELECT, ... (GitHub's ProjectV2FieldType)
    options: Mapping[str, str] = field(default_factory=dict)  # casefolded option name -> option id


@dataclass
class Project:
    """A board as read: its fields by casefolded name, and its items by the issue node id they hold."""

    id: str
    fields: dict[str, ProjectField]
    items: dict[str, str]  # issue node id -> item id
    values: dict[str, dict[str, object]]  # item id -> field id -> value (number, text or option id)


def parse_project(data: Mapping[str, Any], project: Project | None) -> tuple[Project | None, str | None]:
    """Merge one page of PROJECT_QUERY's answer into `project`; (project, cursor of the next page or None).

    (None, None) when the owner or the board does not exist.
    """
    owner = data.get("repositoryOwner") or {}
    board = owner.get("projectV2") if isinstance(owner, dict) else None
    if not isinstance(board, dict):
        return None, None
    if project is None:
        fields = {}
        for node in (board.get("fields") or {}).get("nodes") or []:
            if isinstance(node, dict) and node.get("id") and node.get("name"):
                options = {str(o["name"]).casefold(): str(o["id"]) for o in node.get("options") or []}
                fields[str(node["name"]).casefold()] = ProjectField(
                    str(node["id"]), str(node["name"]), str(node.get("dataType", "")), options
                )
        project = Project(str(board["id"]), fields, {}, {})
    items = board.get("items") or {}
    for node in items.get("nodes") or []:
        content = node.get("content") or {}
        if content.get("id"):
            project.items[str(content["id"])] = str(node["id"])
            project.values[str(node["id"])] = _values(node)
    page = items.get("pageInfo") or {}
    return project, (str(page["endCursor"]) if page.get("hasNextPage") else None)


def _values(node: Mapping[str, Any]) -> dict[str, object]:
    found: dict[str, object] = {}
    for value in (node.get("fieldValues") or {}).get("nodes") or []:
        owner = (value or {}).get("field") or {}
        for key in ("number", "text", "optionId"):
            if owner.get("id") and key in value:
                found[str(owner["id"])] = value[key]
    return found


def field_value(project_field: ProjectField, value: str | int) -> tuple[dict[str, object] | None, object, str | None]:
    """(GraphQL value, the value as stored, problem): how to set this field to `value`, or why it cannot be."""
    if project_field.data_type == "NUMBER" and isinstance(value, int):
        return {"number": float(value)}, float(value), None
    if project_field.data_type == "TEXT":
        return {"text": str(value)}, str(value), None
    if project_field.data_type == "SINGLE_SELECT":
        option = project_field.options.get(str(value).casefold())
        if option is None:
            return None, None, f"field {project_field.name!r} has no option {str(value)!r}; add it to the project"
        return {"singleSelectOptionId": option}, option, None
    return (
        None,
        None,
        (
            f"field {project_field.name!r} is a {project_field.data_type} field; planner sets number, text or "
            "single-select fields: change its type or rename it"
        ),
    )

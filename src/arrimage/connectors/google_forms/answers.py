"""The trigger output of a form response, the same in both modes (Apps Script and Forms API).

A response becomes::

    {"response_id", "form_id", "form_title", "create_time", "last_submitted_time",
     "respondent_email", "answers": {title: value}, "answers_by_id": {id: value}, "source"}

Values follow the question kind:

- text, choice, scale, date and time questions give a string;
- checkbox questions give a list of strings;
- file uploads give a list of Google Drive URLs;
- grids give an object keyed by row title, with a string per row (a list for checkbox grids).

An unanswered question gives the empty value of its kind (``""``, ``[]``, or a grid whose rows are
empty), so a mapping never meets a missing key. Two questions with the same title are told
apart by a suffix: the second ``Title`` becomes ``Title (2)``. The generated Apps Script
(``apps_script.js``) applies the same rules in JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

DRIVE_FILE_URL = "https://drive.google.com/open?id="


@dataclass(frozen=True)
class Question:
    """One question of a form as the Forms API describes it, reduced to what answers need."""

    item_id: str
    title: str
    # "text" (one string), "checkbox" (list of strings), "file_upload" (list of URLs),
    # "grid" (row title to string) or "checkbox_grid" (row title to list of strings).
    kind: str
    question_id: str = ""
    # Grids only: (question id, row title) for each row, in order.
    rows: tuple[tuple[str, str], ...] = ()


def form_questions(form: dict[str, Any]) -> list[Question]:
    """Return the questions of a ``forms.get`` body, in form order, skipping layout items."""
    questions: list[Question] = []
    for item in form.get("items") or []:
        if not isinstance(item, dict):
            continue
        item_id = str(item.get("itemId") or "")
        title = str(item.get("title") or "")
        single = (item.get("questionItem") or {}).get("question")
        group = item.get("questionGroupItem")
        if isinstance(single, dict):
            questions.append(Question(item_id, title, _question_kind(single),
                                      question_id=str(single.get("questionId") or "")))
        elif isinstance(group, dict):
            columns = (group.get("grid") or {}).get("columns") or {}
            kind = "checkbox_grid" if columns.get("type") == "CHECKBOX" else "grid"
            rows = tuple(
                (str(row.get("questionId") or ""), str((row.get("rowQuestion") or {}).get("title") or ""))
                for row in group.get("questions") or []
                if isinstance(row, dict)
            )
            questions.append(Question(item_id, title, kind, rows=rows))
    return questions


def response_payload(form: dict[str, Any], questions: list[Question],
                     response: dict[str, Any]) -> dict[str, Any]:
    """Return the trigger output of one ``forms.responses`` item."""
    raw_answers = response.get("answers") or {}
    answers: dict[str, Any] = {}
    answers_by_id: dict[str, Any] = {}
    used_titles: set[str] = set()
    for question in questions:
        title = unique_title(question.title, question.item_id, used_titles)
        if question.kind in ("grid", "checkbox_grid"):
            multiple = question.kind == "checkbox_grid"
            grid: dict[str, Any] = {}
            for question_id, row_title in question.rows:
                value = _answer_value(raw_answers.get(question_id), multiple=multiple)
                grid[row_title] = value
                answers_by_id[question_id] = value
            answers[title] = grid
            answers_by_id[question.item_id] = grid
            continue

        raw = raw_answers.get(question.question_id)
        if question.kind == "file_upload":
            value = _file_urls(raw)
        else:
            value = _answer_value(raw, multiple=question.kind == "checkbox")
        answers[title] = value
        answers_by_id[question.question_id] = value

    info = form.get("info") or {}
    return {
        "response_id": str(response.get("responseId") or ""),
        "form_id": str(form.get("formId") or ""),
        "form_title": str(info.get("title") or info.get("documentTitle") or ""),
        "create_time": str(response.get("createTime") or ""),
        "last_submitted_time": str(response.get("lastSubmittedTime") or ""),
        "respondent_email": str(response.get("respondentEmail") or ""),
        "answers": answers,
        "answers_by_id": answers_by_id,
        "source": "forms_api",
    }


def unique_title(title: str, fallback: str, used: set[str]) -> str:
    """Return ``title`` (or ``fallback`` when it is blank), suffixed `` (2)``… if already used."""
    base = title.strip() or fallback
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base} ({number})"
        number += 1
    used.add(candidate)
    return candidate


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 time such as ``2024-12-04T19:03:11.055199Z``; None if unreadable.

    Google may send nine fractional digits, which Python reads only up to six.
    """
    text = str(value or "").strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}" if digits else head + rest
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(value: datetime) -> str:
    """Return ``value`` as RFC 3339 UTC with a ``Z``, whole seconds (the filter's format)."""
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _question_kind(question: dict[str, Any]) -> str:
    if "fileUploadQuestion" in question:
        return "file_upload"
    if (question.get("choiceQuestion") or {}).get("type") == "CHECKBOX":
        return "checkbox"
    return "text"


def _answer_value(answer: Any, *, multiple: bool) -> str | list[str]:
    values = [str(entry.get("value", "")) for entry in _entries(answer, "textAnswers")]
    if multiple:
        return values
    return values[0] if values else ""


def _file_urls(answer: Any) -> list[str]:
    return [DRIVE_FILE_URL + str(entry.get("fileId"))
            for entry in _entries(answer, "fileUploadAnswers") if entry.get("fileId")]


def _entries(answer: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        return []
    entries = (answer.get(kind) or {}).get("answers") or []
    return [entry for entry in entries if isinstance(entry, dict)]

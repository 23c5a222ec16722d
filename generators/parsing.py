"""Parsing teacher replies: pure functions, each returning (value, error) and never raising.

Structured outputs make JSON likely, not certain (the transformers backend has none, a reply
can be cut at `max_tokens`), so every parser validates and falls back to plain-text forms.
The schemas below are also what the backends are asked to follow.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from core.json_text import extract_json


class NewTasks(BaseModel):
    tasks: list[str] = Field(min_length=1)


class IsClassification(BaseModel):
    is_classification: bool


class InstanceReply(BaseModel):
    input: str = ""
    output: str


def tasks_schema(n: int) -> dict[str, Any]:
    return {
        "title": "NewTasks",
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "items": {"type": "string", "minLength": 8, "maxLength": 200},
                "minItems": 1,
                "maxItems": n,
            }
        },
        "required": ["tasks"],
        "additionalProperties": False,
    }


CLASSIFICATION_SCHEMA = IsClassification.model_json_schema()


def instance_schema(output_first: bool) -> dict[str, Any]:
    # Property order is generation order for the grammar: label first for classification.
    order = ["output", "input"] if output_first else ["input", "output"]
    return {
        "title": "Instance",
        "type": "object",
        "properties": {key: {"type": "string", "maxLength": 2000} for key in order},
        "required": order,
        "additionalProperties": False,
    }


# Greedy `.*\S` then `\s*$`: linear; a lazy `.+?` before `\s*$` backtracks quadratically.
_NUMBERED = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•])\s+(.*\S)\s*$", re.S)


def _clean_task(task: str) -> str:
    m = _NUMBERED.match(task)
    return " ".join((m.group(1) if m else task).split())


def parse_instructions(text: str, finish_reason: str | None = None) -> tuple[list[str], str | None]:
    """New instructions from a reply: JSON `{"tasks": [...]}`, else a numbered/bulleted list."""
    if not text or not text.strip():
        return [], "empty reply"
    data = extract_json(text)
    if data is not None:
        try:
            tasks = [_clean_task(t) for t in NewTasks.model_validate(data).tasks]
        except ValidationError:
            tasks, error = [], "JSON without a 'tasks' list of strings"
        else:
            tasks = [t for t in tasks if t]
            error = None if tasks else "'tasks' list is empty"
        if tasks:
            return tasks, None
    elif "{" in text:
        cut = " (cut at max_tokens)" if finish_reason == "length" else ""
        error = f"malformed JSON{cut}"
    else:
        error = "no JSON and no list of tasks"
    # A plain numbered list may itself contain braces ("Explain {} in f-strings").
    listed = [_clean_task(m.group(1)) for line in text.splitlines() if (m := _NUMBERED.match(line))]
    listed = [t for t in listed if t]
    return (listed, None) if listed else ([], error)


def parse_is_classification(text: str) -> tuple[bool | None, str | None]:
    data = extract_json(text or "")
    if isinstance(data, dict):
        try:
            return IsClassification.model_validate(data).is_classification, None
        except ValidationError:
            pass
    word = (text or "").strip().lower()
    if re.match(r"(yes|true)\b|예|네", word):
        return True, None
    if re.match(r"(no|false)\b|아니", word):
        return False, None
    return None, "no yes/no answer"


_INPUT_LABEL = re.compile(r"(?i)\binput\s*:")
_OUTPUT_LABEL = re.compile(r"(?i)\boutput\s*:")


def _labelled(text: str) -> tuple[str, str] | None:
    """`Input: ... Output: ...` by two linear searches (one regex with a lazy group between
    the labels backtracks quadratically on repeated labels)."""
    first = _INPUT_LABEL.search(text)
    if not first:
        return None
    second = _OUTPUT_LABEL.search(text, first.end())
    if not second:
        return None
    return text[first.end() : second.start()].strip(), text[second.end() :].strip()


def parse_instance(text: str, finish_reason: str | None = None) -> tuple[InstanceReply | None, str | None]:
    """An instance from `{"input": ..., "output": ...}`, else `Input: ... Output: ...` text."""
    if not text or not text.strip():
        return None, "empty reply"
    data = extract_json(text)
    if isinstance(data, dict):
        try:
            reply = InstanceReply.model_validate(data)
        except ValidationError:
            error = "JSON without a string 'output'"
        else:
            return InstanceReply(input=reply.input.strip(), output=reply.output.strip()), None
    elif data is not None:
        error = "JSON is not an object"
    elif "{" in text:
        cut = " (cut at max_tokens)" if finish_reason == "length" else ""
        error = f"malformed JSON{cut}"
    else:
        error = "no JSON and no Input:/Output: fields"
    # Labelled plain text may contain braces of its own (code, f-strings).
    labelled = _labelled(text)
    if labelled:
        return InstanceReply(input=labelled[0], output=labelled[1]), None
    return None, error

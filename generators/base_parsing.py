"""Parsing a base teacher's plain-text continuations: pure functions, (value, error), never raising.

A small base model does not stop where it should. What it does, and what the parsers do:
- numbering runs away (9, 10, 11, then 3 or 10 again: it started another list) -> keep the
  tasks up to the first number out of sequence;
- a line that is not a numbered task (an answer, "Input:", prose) -> the list ended there;
- a task cut at max_tokens (finish_reason "length") -> that last, half-written one is dropped;
- an instance without its "Output:" (or a label without an input) -> an error, kept as raw text;
- fields in the other label language (a Korean prompt answered "Output:") -> accepted.
"""

from __future__ import annotations

import re

from generators.base_prompts import LABELS
from generators.parsing import InstanceReply

_NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.)]\s*(.*)$")


def _alternatives(key: str) -> str:
    return "|".join(re.escape(labels[key]) for labels in LABELS.values())


# A field label at the start of a line, in any label language ("Input:", "입력:").
_INPUT = re.compile(rf"(?im)^[ \t]*(?:{_alternatives('input')})[ \t]*:")
_OUTPUT = re.compile(rf"(?im)^[ \t]*(?:{_alternatives('output')})[ \t]*:")
_LABEL = re.compile(rf"(?im)^[ \t]*(?:{_alternatives('label')}|label)[ \t]*:")
_ANY_FIELD = re.compile(
    rf"(?im)^[ \t]*(?:{_alternatives('task')}|{_alternatives('input')}|{_alternatives('output')}|{_alternatives('label')})[ \t]*:"
)


def parse_task_list(text: str, first: int, wanted: int, finish_reason: str | None = None) -> tuple[list[str], str | None]:
    """Up to `wanted` new tasks from a continuation of a list whose next number is `first`.

    The prompt ended with "{first}.", so the text starts with that task's words.
    """
    if not text or not text.strip():
        return [], "empty reply"
    lines = f"{first}.{text}".splitlines()
    tasks: list[str] = []
    expected = first
    complete = True
    for line in lines:
        m = _NUMBERED.match(line)
        if not m or int(m.group(1)) != expected:
            complete = False  # the list ended or restarted here: what follows is not ours
            break
        task = " ".join(m.group(2).split())
        if not task:
            complete = False
            break
        tasks.append(task)
        expected += 1
    # Cut at max_tokens, the last task read may be half a sentence; the list broken off by
    # another line ended before it.
    if finish_reason == "length" and complete and tasks:
        tasks.pop()
    tasks = tasks[:wanted]
    if not tasks:
        return [], f"no task numbered {first}." if finish_reason != "length" else "cut at max_tokens before a whole task"
    return tasks, None


def _field(text: str, label: re.Pattern[str]) -> tuple[str, int] | None:
    """The text after `label` up to the next field label line, and where it ends."""
    m = label.search(text)
    if not m:
        return None
    nxt = _ANY_FIELD.search(text, m.end())
    end = nxt.start() if nxt else len(text)
    return text[m.end() : end].strip(), end


def parse_instance_text(text: str, output_first: bool) -> tuple[InstanceReply | None, str | None]:
    """An instance from a continuation of `base_prompts.instance_prompt`.

    Input-first: "Input: ...\\nOutput: ..." or just "Output: ..." (a task without input).
    Output-first: the label on the first line (the prompt ended in "Class label:"), then
    "Input: ...".
    """
    if not text or not text.strip():
        return None, "empty reply"
    if output_first:
        nxt = _ANY_FIELD.search(text)
        label = " ".join(text[: nxt.start() if nxt else len(text)].split())
        if not label:
            return None, "no class label"
        found = _field(text, _INPUT)
        if found is None or not found[0]:
            return None, "no Input: for the class label"
        return InstanceReply(input=found[0], output=label), None
    out = _OUTPUT.search(text)
    if not out:
        return None, "no Output: field"
    inp = _INPUT.search(text, 0, out.start())
    input_text = _field(text[: out.start()], _INPUT)[0] if inp else ""
    output = _field(text[out.start() :], _OUTPUT)[0]
    if not output:
        return None, "empty Output: field"
    return InstanceReply(input=input_text, output=output), None

"""Prompt building for Self-Instruct: pure functions from tasks to chat messages.

The templates live in `generators/prompts/*.jinja`. Fixed instructions come first and the
sampled examples last, so requests share a long common prefix (vLLM's prefix cache reuses it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from core.language import language_names
from core.records import SeedTask
from core.templating import template


def _template(name: str):
    return template(f"generators/prompts/{name}.jinja")


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text.strip()}]


def instruction_messages(examples: list[str], n: int, languages: Sequence[str]) -> list[dict[str, str]]:
    """Ask for `n` new instructions in `languages` (codes, `curate.languages`), showing
    `examples` (seed + machine tasks)."""
    return _user(_template("new_instructions").render(examples=examples, n=n, languages=language_names(languages)))


def classification_messages(instruction: str) -> list[dict[str, str]]:
    """Self-Instruct's classification identification: finite label set or not."""
    return _user(_template("is_classification").render(instruction=instruction))


def instance_messages(instruction: str, is_classification: bool, demos: list[SeedTask]) -> list[dict[str, str]]:
    """Ask for one instance. Classification tasks go output-first (label, then an input that
    fits it), which Self-Instruct found avoids inputs that all share one label."""
    if is_classification:
        name = "instance_output_first"
        shown = [{"instruction": d.instruction,
                  "json": json.dumps({"output": d.instances[0].output, "input": d.instances[0].input},
                                     ensure_ascii=False)} for d in demos]
    else:
        name = "instance_input_first"
        shown = [{"instruction": d.instruction,
                  "json": json.dumps({"input": d.instances[0].input, "output": d.instances[0].output},
                                     ensure_ascii=False)} for d in demos]
    return _user(_template(name).render(instruction=instruction, demos=shown))

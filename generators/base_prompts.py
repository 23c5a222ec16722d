"""Self-Instruct's prompts for a *base* (pretrained, not chat) teacher: plain text to continue.

Wang et al. (2022) bootstrapped GPT-3 itself, a base model, with text it would naturally
continue, and this module rebuilds those prompts (templates in `prompts/base_*.jinja`):

- instructions: "Come up with a series of tasks:" and a numbered list of 8 tasks ending in
  "9.", which the model continues; it is stopped at a blank line or at the number past the
  tasks wanted (`instruction_stop`);
- classification: the paper's few-shot "Can the following task be regarded as a
  classification task with finite output labels?" with examples answered Yes/No (here the
  seed file's own tasks, whose `is_classification` is known), asked a second time the other
  way round ("... open-ended ...?"); a task is classification only when both answers agree.
  Measured on the 50 seeds (leave-one-out, gemma-3-270m): asked once the model says Yes to
  40 of 50 (accuracy 0.38); both ways, with demos in the seeds' proportion, accuracy 0.78,
  2 of 39 open tasks wrongly sent output-first. A model that can tell loses nothing;
  a small one that answers Yes to everything falls back to input-first, the safe side;
- instances: few-shot "Task: / Input: / Output:" from the seeds, input-first; output-first
  for classification ("Task: / Class label: / Input:"), so inputs follow the label.

Labels are written in the language of the tasks shown (English or Korean); `LABELS` holds
both. Pure functions: prompts in, nothing called.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from core.language import detect_language
from core.records import SeedTask
from core.templating import template

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tasks_header": "Come up with a series of tasks:",
        "classification_question": "Can the following task be regarded as a classification task with finite output labels?",
        "is_classification": "Is it classification?",
        "open_question": "Is the following task open-ended, with no fixed set of output labels?",
        "is_open": "Is it open-ended?",
        "yes": "Yes",
        "no": "No",
        "instance_header": "Come up with an example for each task. If the task does not need an input, write the output directly.",
        "label_header": "Given a classification task and one of its class labels, write an input that belongs to that label.",
        "task": "Task",
        "input": "Input",
        "output": "Output",
        "label": "Class label",
    },
    "ko": {
        "tasks_header": "다양한 작업 목록을 만들어 보세요:",
        "classification_question": "다음 작업이 정해진 몇 개의 답(분류 레이블) 중 하나를 고르는 분류 작업인지 판단하세요.",
        "is_classification": "분류 작업인가?",
        "open_question": "다음 작업이 정해진 답 없이 자유롭게 답을 쓰는 작업인지 판단하세요.",
        "is_open": "자유롭게 답을 쓰는 작업인가?",
        "yes": "예",
        "no": "아니요",
        "instance_header": "각 작업의 예시를 하나씩 만드세요. 입력이 필요 없는 작업은 바로 출력을 쓰세요.",
        "label_header": "분류 작업과 그 분류 레이블 하나가 주어지면, 그 레이블에 해당하는 입력을 쓰세요.",
        "task": "작업",
        "input": "입력",
        "output": "출력",
        "label": "분류",
    },
}
# Demos per instance prompt: a base model learns the format from them alone.
INSTANCE_DEMOS = 3
# Examples per classification question, Yes and No in the seeds' proportion (at least one
# of each): with as many Yes as No the small model answered Yes even more often.
CLASSIFICATION_DEMOS = 8


def _template(name: str):
    return template(f"generators/prompts/{name}.jinja")


def prompt_language(texts: Sequence[str]) -> str:
    """The labels' language for prompts showing `texts`: Korean when most of them are."""
    langs = [detect_language(t) for t in texts]
    return "ko" if langs.count("ko") * 2 > len(langs) else "en"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def instruction_prompt(examples: Sequence[str]) -> str:
    """The list to continue: the examples numbered 1..k, then "k+1." for the model."""
    labels = LABELS[prompt_language(examples)]
    return _template("base_instructions").render(L=labels, examples=[_one_line(t) for t in examples])


def instruction_stop(shown: int, wanted: int) -> list[str]:
    """Stop at a blank line (the list ended) or when the model starts task number
    shown + wanted + 1 (enough tasks). Self-Instruct stopped at "\\n\\n" and "16."."""
    return ["\n\n", f"\n{shown + wanted + 1}."]


def _same_language(pool: Sequence[SeedTask], text: str) -> list[SeedTask]:
    lang = detect_language(text)
    same = [s for s in pool if detect_language(s.instruction) == lang]
    return same or list(pool)


def classification_prompt(instruction: str, seeds: Sequence[SeedTask], seed: int, inverse: bool = False) -> str:
    """Is `instruction` a classification task? Few-shot Yes/No from the seed tasks, in the
    instruction's language where the seeds have it, in an order fixed by `seed`. `inverse`
    asks whether it is open-ended instead (the same demos, answers flipped)."""
    rng = random.Random(seed)
    pool = _same_language(seeds, instruction)
    yes = [s for s in pool if s.is_classification]
    no = [s for s in pool if not s.is_classification]
    n_yes = min(len(yes), max(1, round(CLASSIFICATION_DEMOS * len(yes) / max(1, len(pool)))))
    demos = rng.sample(yes, n_yes) + rng.sample(no, min(len(no), CLASSIFICATION_DEMOS - n_yes))
    rng.shuffle(demos)
    labels = dict(LABELS[prompt_language([instruction])])
    if inverse:
        labels.update(classification_question=labels["open_question"], is_classification=labels["is_open"])
    shown = [{"instruction": _one_line(d.instruction), "is_classification": d.is_classification != inverse}
             for d in demos]
    return _template("base_is_classification").render(L=labels, demos=shown, instruction=_one_line(instruction))


def classification_stop() -> list[str]:
    return ["\n"]


def instance_demos(instruction: str, is_classification: bool, seeds: Sequence[SeedTask], seed: int) -> list[SeedTask]:
    """`INSTANCE_DEMOS` seed tasks of the same kind, in the instruction's language if possible."""
    kind = [s for s in seeds if s.is_classification == is_classification] or list(seeds)
    pool = _same_language(kind, instruction)
    return random.Random(seed).sample(pool, min(INSTANCE_DEMOS, len(pool)))


def instance_prompt(instruction: str, is_classification: bool, demos: Sequence[SeedTask]) -> str:
    """Few-shot instance text ending where the model writes: after "Task: ...\\n" (input-first)
    or after "Class label:" (output-first, for classification)."""
    labels = LABELS[prompt_language([instruction])]
    shown = [{"instruction": _one_line(d.instruction), "input": d.instances[0].input.strip(),
              "output": d.instances[0].output.strip()} for d in demos]
    if is_classification:
        return _template("base_instance_output_first").render(L=labels, demos=shown, instruction=_one_line(instruction))
    text = _template("base_instance_input_first").render(L=labels, demos=shown, instruction=_one_line(instruction))
    return text + "\n"


def instance_stop(instruction: str) -> list[str]:
    """Stop when the model starts the next task (in either label language) or loops blank lines."""
    task = LABELS[prompt_language([instruction])]["task"]
    return list(dict.fromkeys([f"\n{task}:", "\nTask:", "\n\n\n"]))

"""The one chat template a student without its own uses: training, evaluation and serving.

A pretrained base model (the default student, gemma-3-270m) ships no chat template, so
germinate assigns this one and saves it into the student's tokenizer, where TRL, transformers,
vLLM and lm-evaluation-harness all read it. It uses Gemma's turn markers (single tokens in the
vocabulary) and ends every assistant turn with the tokenizer's EOS, the token engines stop on by
default: that EOS is what instruction tuning must teach the base model to emit.

`{% generation %}` marks the assistant span for TRL's response-only loss; the EOS sits inside
it so the model is trained to stop (TRL warns when a template leaves it out).
"""

from __future__ import annotations

STUDENT_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}"
    "{{ '<start_of_turn>user\n' + (message['content'] | trim) + '<end_of_turn>\n' }}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{ '<start_of_turn>model\n' }}"
    "{% generation %}{{ (message['content'] | trim) + eos_token }}{% endgeneration %}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def ensure_chat_template(tokenizer) -> bool:
    """Give `tokenizer` germinate's template if it has none; returns True when assigned."""
    if getattr(tokenizer, "chat_template", None):
        return False
    tokenizer.chat_template = STUDENT_CHAT_TEMPLATE
    return True

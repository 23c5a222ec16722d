"""One template contract: prompt tokens carry label -100 under response-only loss, not under full."""

from __future__ import annotations

import pytest

from core import runtime_env
from core.chat_template import STUDENT_CHAT_TEMPLATE
from core.config import TuneConfig
from core.models import resolve_model
from tuning.data import as_messages
from tuning.train import build_trainer

ROWS = [{"id": "a", "messages": as_messages("Name a primary colour.", "", "Red.")},
        {"id": "b", "messages": as_messages("Translate to English.", "안녕하세요", "Hello.")}]


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    runtime_env.configure(tmp_path_factory.mktemp("root"))
    return resolve_model("embedded:gemma-3-270m")


def _labels(student, tmp_path, loss_on):
    trainer = build_trainer(TuneConfig(loss_on=loss_on, max_steps=1), student, ROWS, tmp_path)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(ROWS))])
    return trainer, batch


def test_student_has_germinates_template(student):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(student)
    assert tok.chat_template == STUDENT_CHAT_TEMPLATE
    text = tok.apply_chat_template(ROWS[0]["messages"], tokenize=False)
    assert text.startswith(tok.bos_token)
    assert text.endswith("Red." + tok.eos_token)


def test_response_only_masks_prompt_tokens(student, tmp_path):
    trainer, batch = _labels(student, tmp_path, "response")
    tok = trainer.processing_class
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        trained = [i for i, lab in zip(ids, labels) if lab != -100]
        # Exactly the answer and its EOS are trained; the whole prompt is masked.
        assert trained[-1] == tok.eos_token_id
        answer = tok.decode(trained[:-1]).strip()
        assert answer in ("Red.", "Hello.")
        first = labels.index(next(lab for lab in labels if lab != -100))
        assert all(lab == -100 for lab in labels[:first])
        assert len(trained) < sum(1 for i in ids if i != tok.pad_token_id)


def test_full_loss_trains_prompt_tokens(student, tmp_path):
    trainer, batch = _labels(student, tmp_path, "full")
    tok = trainer.processing_class
    ids, labels = batch["input_ids"].tolist()[0], batch["labels"].tolist()[0]
    real = [i for i, lab in zip(ids, labels) if lab != -100]
    # Under `full` the instruction itself is in the loss too.
    assert "Name a primary colour." in tok.decode(real)
    assert real[-1] == tok.eos_token_id

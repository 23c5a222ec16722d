"""The quality signals with the real reference LM (the embedded gemma-3-270m), end to end:
`germinate curate --input` scores every row, the ledger stores the scores, inspect and
report.html show them, and refilter re-thresholds them without loading the model.

One curation (one model load) serves every assertion here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from core.store import RunDir
from germinate.cli import main
from filters.quality.reference_lm import MIN_OUTPUT_TOKENS
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow

# (instruction, input, output, what curation must say): [] = kept, else reasons it must include.
ROWS = [
    ("Name the largest planet in our solar system.", "", "Jupiter", []),
    ("Translate into English.", "이 약은 식후 30분에 드세요.", "Take this medicine 30 minutes after a meal.", []),
    ("우리나라에서 가장 높은 산은 무엇인가요?", "", "한라산입니다. 높이는 약 1,947미터입니다.", []),
    ("다음 상품 후기의 감정을 '긍정' 또는 '부정'으로 분류하세요.", "사진과 색상이 너무 달라요. 한 번 빨았더니 줄었어요.", "부정", []),
    ("Explain why we should wash our hands with soap.", "",
     "Soap molecules bind to oils and dirt on the skin, so rinsing washes away germs that water alone leaves.", []),
    # From real runs of the 135M chat teacher:
    ("다음 절소는 무어서 절찾오옴 무역으로 알겠지", "어제 주문한 신발이 아직 출고 전이라고 나오는데", "고객 메시지", ["not_korean"]),
    ("Decision. 2. Decision. 2. 3. 2. Decision", "please close the window", "command", ["degenerate_text"]),
    ("2022.11.17.23:19:31.473", "오늘 저녁에 시간 있어요", "존댓말", ["degenerate_text"]),
    # A seed's input and label pasted under an unrelated instruction: the input predicts the
    # label, the instruction does not (IFD with the input kept in the denominator).
    ("Solve this word problem and provide a short answer.", "오늘 저녁에 시간 있어요", "존댓말", ["output_unrelated"]),
    ("Solve this word problem and explain the answer briefly.",
     "The headphones broke after two days and customer service never replied to my emails.", "negative",
     ["output_unrelated"]),
]


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality-real")
    data = tmp / "data.jsonl"
    data.write_text("".join(json.dumps({"instruction": i, "input": x, "output": o}, ensure_ascii=False) + "\n"
                            for i, x, o, _ in ROWS), encoding="utf-8")
    root = tmp / "root"
    assert main(["curate", "--input", str(data), "--data-root", str(root),
                 "--set", "curate.decontamination.eval_set=null",
                 # IFD is off by default (beside the classifier); on here, its real scores are tested.
                 "--set", "curate.quality.ifd.enabled=true"]) == 0
    (run_path,) = (root / "runs").iterdir()
    return root, RunDir.open(root, run_path.name)


def lm_tokens(text: str) -> list[int]:
    from transformers import AutoTokenizer

    from core.models import resolve_model

    tok = AutoTokenizer.from_pretrained(resolve_model("embedded:gemma-3-270m"))
    return tok(text, add_special_tokens=False)["input_ids"]


def test_every_row_is_scored_and_the_verdicts_follow(curated):
    root, run = curated
    rows = read_ledger(run.file("ledger.parquet"))
    for row, (_, _, _, expected) in zip(rows, ROWS):
        assert {"fluency.instruction_nll", "ifd.ratio"} <= set(row.scores), row.id
        # An output under MIN_OUTPUT_TOKENS (a label: "Jupiter", "부정") gets no fluency score.
        long_output = len(lm_tokens(row.output)) >= MIN_OUTPUT_TOKENS
        assert ("fluency.output_nll" in row.scores) == long_output, (row.id, row.output)
        assert all(v == v and v >= 0 for k, v in row.scores.items() if k.startswith(("fluency", "ifd"))), row.scores
        if expected:
            assert set(expected) <= set(row.reasons), (row.instruction, row.reasons, row.scores)
        else:
            assert row.verdict == "kept", (row.instruction, row.reasons, row.scores)
    probs = [row.scores["classifier.prob_good"] for row in rows]
    assert all(0.0 <= p <= 1.0 for p in probs)
    # The first five are written by a person, the rest a teacher's garbage.
    assert sum(probs[:5]) / 5 > sum(probs[5:]) / len(probs[5:]), probs
    stage = run.status["stages"]["curate"]
    assert stage["quality"]["ifd"]["enabled"] is True and stage["quality_model_seconds"] >= 0
    assert "Quality thresholds in effect" in run.file("README.md").read_text(encoding="utf-8")


def test_classifier_features_do_not_depend_on_the_batch(curated):
    # Rows are length-sorted and right-padded into batches: a row's pooled hidden states must be
    # its own, whatever it is batched with (the curation above loaded the model; it is cached).
    from core.config import QualityConfig
    from core.models import resolve_model
    from flows.curation import reference_lm

    q = QualityConfig()
    lm = reference_lm(resolve_model(q.reference_model), q.max_field_tokens, q.batch_size)
    rows = [(i, x, o) for i, x, o, _ in ROWS]
    _, together = lm.nlls_and_features(rows, pool_layer=8)
    _, alone = lm.nlls_and_features(rows[-1:], pool_layer=8)
    assert len(together[-1]) == 640
    # Compared relative to the vector: one dimension of gemma's states is ~7,000 (a massive
    # activation), and bf16 kernels that depend on the batch's shape move it by a few units
    # (measured on an AMX machine: 5.0 absolute, 7e-4 relative, P(good) 0.2086 vs 0.2082).
    # Averaging a padding position in, the bug this guards against, moves it by far more.
    diff = sum((a - b) ** 2 for a, b in zip(together[-1], alone[0])) ** 0.5
    assert diff / sum(a * a for a in together[-1]) ** 0.5 < 0.01


def test_inspect_shows_the_deciding_score(curated, capsys, monkeypatch):
    root, run = curated
    capsys.readouterr()
    assert main(["inspect", run.run_id, "--reason", "not_korean", "--data-root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "korean.score.instruction=" in out


def test_report_plots_each_score_with_its_threshold(curated):
    from reports.html_report import build_report

    root, run = curated
    html = build_report(run, root)
    section = html[html.index('id="quality"'):html.index('id="diversity"')]
    assert "<svg" in section and "output_unrelated" in section and "max_ifd" in section


def test_refilter_rethresholds_without_the_model(curated, monkeypatch, capsys):
    from filters.quality import reference_lm

    def no_model(*a, **k):
        raise AssertionError("refilter loaded the reference model")

    monkeypatch.setattr(reference_lm.ReferenceLM, "load", no_model)
    root, run = curated
    started = time.perf_counter()
    assert main(["refilter", run.run_id, "--data-root", str(root), "--set", "curate.quality.ifd.max_ifd=5"]) == 0
    print(f"refilter of {len(ROWS)} rows: {time.perf_counter() - started:.2f} s")
    new = next(p for p in (root / "runs").iterdir() if ".refilter-" in p.name)
    rows = read_ledger(Path(new) / "ledger.parquet")
    assert not any("output_unrelated" in r.reasons for r in rows)
    assert [r.scores for r in rows] == [r.scores for r in read_ledger(run.file("ledger.parquet"))]


def test_the_scorer_nll_equals_the_models_own_loss():
    """Hidden states first, the lm_head on scored positions only: the same mean NLL as
    transformers' loss over the full logits."""
    import torch

    from core.models import resolve_model
    from filters.quality.reference_lm import SEPARATOR, ReferenceLM

    lm = ReferenceLM.load(resolve_model("embedded:gemma-3-270m"))
    instruction = "Name the largest planet in our solar system."
    # At least MIN_OUTPUT_TOKENS: a shorter output (a label) gets no fluency score.
    output = "Jupiter is the largest planet, more than twice as heavy as all the others together."
    (scores,) = lm.score([(instruction, "", output)], ifd=False)
    ins = lm.tok(instruction, add_special_tokens=False)["input_ids"]
    out = lm.tok(output, add_special_tokens=False)["input_ids"]
    sep = lm.tok(SEPARATOR, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([[lm.tok.bos_token_id] + ins + sep + out])
    labels = torch.full_like(ids, -100)
    labels[0, -len(out):] = ids[0, -len(out):]
    with torch.inference_mode():
        loss = lm.model(input_ids=ids, labels=labels).loss
    assert scores["fluency.output_nll"] == pytest.approx(float(loss), abs=0.05)

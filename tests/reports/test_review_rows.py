"""The review page's rows: Korean search, filters, whatever scores a ledger holds, live verdicts."""

from __future__ import annotations

import json
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import overrides
from core.config import PipelineConfig, dump_config
from core.overrides import Override
from core.records import LedgerRow
from core.store import RunDir
from reports.outputs import LEDGER_SCHEMA, write_ledger
from reports.review_rows import Query, ReviewData, facets, fold, scores_of, select, view

ROWS = [
    LedgerRow(id="r-0", instruction="다음 문장을 영어로 번역해 주세요.", input="오늘 날씨가 좋네요.",
              output="The weather is nice today.", verdict="kept", similarity=0.0),
    LedgerRow(id="r-1", instruction="다음 문장을 영어로 번역해주세요.", input="오늘 날씨가 좋네요.",
              output="The weather is nice today.", verdict="dropped", reasons=["near_duplicate"],
              similarity=0.8, neighbour_id="r-0", neighbour_text="다음 문장을 영어로 번역해 주세요."),
    LedgerRow(id="r-2", instruction="Describe the PICTURE in detail.", output="A cat on a mat.",
              verdict="dropped", reasons=["blacklisted_keyword"], similarity=0.1),
    LedgerRow(id="r-3", instruction="List three primary colours.", output="Red, blue and yellow.",
              verdict="kept", similarity=0.2, raw='{"instruction": "List three primary colours."}'),
]


def _run(tmp_path, scores: list | None = None, scores_type=None) -> RunDir:
    run = RunDir.create(tmp_path, "r", dump_config(PipelineConfig()), "curate")
    if scores is None:
        write_ledger(run.file("ledger.parquet"), ROWS)
        return run
    records = [dict(r.model_dump(), meta=json.dumps(r.meta), scores=s) for r, s in zip(ROWS, scores)]
    # The ledger's own `scores` column replaced by another type: the page reads whichever it is.
    schema = LEDGER_SCHEMA.set(LEDGER_SCHEMA.get_field_index("scores"), pa.field("scores", scores_type))
    pq.write_table(pa.Table.from_pylist(records, schema=schema), run.file("ledger.parquet"))
    return run


def _ids(data, query, decisions=None):
    return [e.row.id for e in select(data, query, decisions or {})]


def test_korean_search_finds_partial_words_decomposed_text_and_spacing_variants(tmp_path):
    data = ReviewData.load(_run(tmp_path))
    assert _ids(data, Query(q="번역")) == ["r-0", "r-1"]  # a partial word: 번역 in 번역해
    assert _ids(data, Query(q=unicodedata.normalize("NFD", "번역해"))) == ["r-0", "r-1"]  # typed decomposed
    # Korean spacing varies: each way of spacing the request finds both.
    for q in ("번역해 주세요", "번역해주세요", "번역 해 주 세요"):
        assert _ids(data, Query(q=q)) == ["r-0", "r-1"], q
    assert _ids(data, Query(q="번역해 줘")) == []
    assert _ids(data, Query(q="picture")) == ["r-2"]  # casefolded
    assert _ids(data, Query(q="primary colours")) == ["r-3"]
    assert _ids(data, Query(q="없는말")) == []
    assert fold("  Ａ  b\tC ") == fold("ａ b c")


def test_filters_by_verdict_reason_and_score_range(tmp_path):
    data = ReviewData.load(_run(tmp_path))
    assert _ids(data, Query(verdict="kept")) == ["r-0", "r-3"]
    assert _ids(data, Query(verdict="dropped", reason="near_duplicate")) == ["r-1"]
    assert _ids(data, Query(score="similarity", lo=0.15, hi=0.9)) == ["r-1", "r-3"]
    assert _ids(data, Query(score="fluency", lo=0.0)) == []  # a score this ledger does not have


def test_verdicts_follow_the_current_decisions_and_keep_the_filters_reasons(tmp_path):
    data = ReviewData.load(_run(tmp_path))
    decisions = {"r-1": Override(id="r-1", decision="keep", note="a different request"),
                 "r-3": Override(id="r-3", decision="drop", note="wrong: yellow is not primary in light")}
    assert _ids(data, Query(verdict="kept"), decisions) == ["r-0", "r-1"]
    assert _ids(data, Query(verdict="overridden"), decisions) == ["r-1", "r-3"]
    assert _ids(data, Query(reason="near_duplicate"), decisions) == ["r-1"]  # overruled, still findable
    assert _ids(data, Query(reason="override_drop"), decisions) == ["r-3"]
    assert _ids(data, Query(q="yellow is not"), decisions) == ["r-3"]  # the note is searched
    shown = view(data.index["r-1"], decisions, data)
    assert (shown["verdict"], shown["reasons"], shown["filter_reasons"]) == ("kept", [], ["near_duplicate"])
    assert shown["duplicate"] and shown["neighbour"]["id"] == "r-0" and shown["neighbour"]["where"] == "this run"
    assert shown["neighbour"]["output"] == "The weather is nice today."
    counts = facets(data, decisions)
    assert (counts["kept"], counts["filters_kept"], counts["overridden"]) == (2, 2, 2)
    assert counts["reasons"] == {"near_duplicate": 1, "blacklisted_keyword": 1, "override_drop": 1}


@pytest.mark.parametrize("scores_type", [pa.map_(pa.string(), pa.float64()),
                                         pa.struct([("fluency", pa.float64()), ("ifd", pa.float64())])])
def test_whatever_score_columns_a_ledger_has_are_shown(tmp_path, scores_type):
    scores = [{"fluency": 2.1, "ifd": 0.9}, {"fluency": 3.4, "ifd": 1.2}, {"fluency": 6.0, "ifd": None},
              {"fluency": 1.5, "ifd": 0.4}]
    if isinstance(scores_type, pa.MapType):
        scores = [{k: v for k, v in s.items() if v is not None} for s in scores]
    data = ReviewData.load(_run(tmp_path, scores, scores_type))
    assert data.index["r-0"].scores == {"fluency": 2.1, "ifd": 0.9, "similarity": 0.0}
    assert "ifd" not in data.index["r-2"].scores
    assert _ids(data, Query(score="fluency", lo=3.0)) == ["r-1", "r-2"]
    assert facets(data, {})["scores"]["ifd"] == {"min": 0.4, "max": 1.2, "rows": 3}


def test_scores_flatten_and_keep_text_notes():
    numbers, notes = scores_of({"similarity": 0.5, "scores": {"rating": {"score": 4, "rationale": "fine"}},
                                "extra_col": 7, "is_classification": True, "raw": "x"})
    assert numbers == {"rating.score": 4.0, "extra_col": 7.0, "similarity": 0.5}
    assert notes == {"rating.rationale": "fine"}
    assert scores_of({"similarity": None, "scores": None}) == ({}, {})

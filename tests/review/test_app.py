"""The review page's API on a real curated run: rows, Korean search, what-if counts equal to what
`refilter` writes, overrides saved to the data root and honoured by the next refilter."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from starlette.testclient import TestClient

from core import overrides
from core.store import RunDir
from germinate.cli import main
from germinate.review.app import Review, create_app


def _client(run: RunDir) -> TestClient:
    return TestClient(create_app(Review(run)), base_url="http://127.0.0.1:8765")


def test_summary_rows_and_search(reviewed_run):
    client = _client(reviewed_run)
    summary = client.get("/api/summary").json()
    assert summary["counts"]["rows"] == 12 and summary["counts"]["kept"] == 7
    assert summary["counts"]["reasons"]["near_duplicate"] == 1
    assert any(s["key"] == "near_duplicate.threshold" for s in summary["settings"])
    found = client.get("/api/rows", params={"q": "번역"}).json()
    assert found["total"] == 2 and all("번역해" in r["instruction"] for r in found["rows"])
    dup = client.get("/api/rows", params={"reason": "near_duplicate"}).json()["rows"]
    assert [r["duplicate"] for r in dup] == [True] and dup[0]["neighbour"]["instruction"].startswith("Write a short poem")
    assert client.get("/api/rows", params={"verdict": "nope"}).status_code == 400
    assert client.get("/api/rows", params={"score": "similarity", "lo": "x"}).json()["error"] == "lo must be a number, got 'x'"


def test_whatif_counts_are_what_refilter_writes(reviewed_run, capsys):
    client = _client(reviewed_run)
    for threshold in (0.5, 0.95):
        shown = client.get("/api/whatif", params={"set": f"near_duplicate.threshold={threshold}"}).json()
        assert main(["refilter", reviewed_run.run_id, "--data-root", str(reviewed_run.data_root),
                     "--set", f"near_duplicate.threshold={threshold}"]) == 0, capsys.readouterr().err
        new = max((p for p in (reviewed_run.data_root / "runs").iterdir() if ".refilter-" in p.name),
                  key=lambda p: p.stat().st_mtime)
        stage = RunDir.open(reviewed_run.data_root, str(new)).status["stages"]["curate"]
        assert (shown["kept"], shown["dropped"]) == (stage["kept"], stage["dropped"]), threshold
        assert shown["reasons"] == stage["drops_by_reason"]
        assert shown["command"].endswith(f"--set near_duplicate.threshold={threshold}")
    assert client.get("/api/whatif", params={"set": "near_duplicate.threshold=3"}).status_code == 400


def test_overrides_are_saved_and_honoured_by_refilter(reviewed_run, capsys):
    client = _client(reviewed_run)
    rows = {r["instruction"]: r for r in client.get("/api/rows").json()["rows"]}
    dawn = rows["Write a short poem about the sea at dawn."]  # dropped as a near-duplicate
    sky = rows["Explain why the sky is blue to a ten-year-old."]  # kept
    kept = client.post("/api/override", json={"id": dawn["id"], "decision": "keep", "note": "another time of day"})
    dropped = client.post("/api/override", json={"id": sky["id"], "decision": "drop", "note": "too simple"})
    assert kept.json()["row"]["verdict"] == "kept" and dropped.json()["row"]["reasons"] == ["override_drop"]
    saved = overrides.load(reviewed_run.data_root)
    assert {i: (o.decision, o.note, o.filter_reasons) for i, o in saved.items()} == {
        dawn["id"]: ("keep", "another time of day", ["near_duplicate"]), sky["id"]: ("drop", "too simple", [])}
    assert client.get("/api/rows", params={"verdict": "overridden"}).json()["total"] == 2
    assert main(["refilter", reviewed_run.run_id, "--data-root", str(reviewed_run.data_root)]) == 0
    capsys.readouterr()
    new = next(p for p in (reviewed_run.data_root / "runs").iterdir() if ".refilter-" in p.name)
    ledger = {r["id"]: r for r in _ledger(new)}
    assert (ledger[dawn["id"]]["verdict"], ledger[sky["id"]]["verdict"]) == ("kept", "dropped")
    assert ledger[sky["id"]]["reasons"] == ["override_drop"]
    assert json.loads(ledger[dawn["id"]]["meta"])["overruled_reasons"] == ["near_duplicate"]
    data = [json.loads(line)["id"] for line in (new / "data.jsonl").read_text().splitlines()]
    assert dawn["id"] in data and sky["id"] not in data
    # Withdrawn: the filters decide again.
    assert client.post("/api/override", json={"id": sky["id"], "decision": "clear"}).json()["row"]["verdict"] == "kept"


def test_what_the_page_refuses(reviewed_run):
    client = _client(reviewed_run)
    assert client.post("/api/override", content=b'{"id": "x", "decision": "keep"}',
                       headers={"content-type": "text/plain"}).status_code == 415
    unknown = client.post("/api/override", json={"id": "nope", "decision": "keep"})
    assert unknown.status_code == 400 and "no row 'nope'" in unknown.json()["error"]
    assert client.post("/api/override", json={"id": "x", "decision": "maybe"}).status_code == 400
    rebinding = TestClient(create_app(Review(reviewed_run)), base_url="http://evil.example")
    assert rebinding.get("/api/summary").status_code == 400
    assert overrides.load(reviewed_run.data_root) == {}
    page = client.get("/")
    assert page.status_code == 200 and "/static/review.js" in page.text and "http" not in page.text.split("<body>")[1]
    assert client.get("/static/review.js").status_code == 200


def _ledger(run_path):
    return pq.read_table(run_path / "ledger.parquet").to_pylist()

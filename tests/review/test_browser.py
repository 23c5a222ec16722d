"""Acceptance: a person reviews a night in headless Chromium, and their decisions last.

The night is made without a model: the hand-written rows (English and Korean) stand in for a
`generate` run and are curated with `germinate curate RUN`, so its kept rows are in the pool.
Then `germinate review` runs as a user starts it; in the browser we filter by a reason, search
a Korean word, move a threshold, keep one dropped row and drop one kept row with notes, reload,
and see both decisions. Afterwards `germinate refilter`, the pool and the training rows honour
them, asserted on the files.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core import pool
from core.config import PipelineConfig, TuneConfig, dump_config
from core.inputs import read_candidates
from core.store import RunDir, atomic_write_jsonl, read_jsonl_rows
from germinate.cli import main
from tuning.data import training_rows

selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ROWS = REPO / "tests" / "data" / "review" / "rows.jsonl"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="no chromium / chromedriver (make browser, or apt-get install chromium chromium-driver)")
DAWN = "Write a short poem about the sea at dawn."  # a near-duplicate of the night poem
SKY = "Explain why the sky is blue to a ten-year-old."  # kept by the filters


@pytest.fixture()
def night(tmp_path, capsys) -> RunDir:
    root = tmp_path / "root"
    run = RunDir.create(root, "night-1", dump_config(PipelineConfig()), "generate")
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in read_candidates(ROWS, "night-1")])
    run.update_status(status="generated")
    assert main(["curate", "night-1", "--data-root", str(root)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return run


@pytest.fixture()
def server(night):
    proc = subprocess.Popen([sys.executable, "-m", "germinate", "review", "--port", "0", "--data-root",
                             str(night.data_root)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(night.data_root)})
    line = proc.stdout.readline()
    url = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    assert url, line + proc.stderr.read()
    assert "night-1" in line  # no RUN given: the latest curated run
    yield url.group(1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


@pytest.fixture()
def browser(tmp_path):
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,2200", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(driver, predicate, timeout=60):
    # The page re-renders its rows on every answer: an element read mid-render is simply re-read.
    return WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: predicate(d))


def _rows(driver) -> list[dict]:
    return [{"id": r.get_attribute("data-id"), "text": r.text, "node": r}
            for r in driver.find_elements(By.CSS_SELECTOR, "#rows .row")]


def _open(driver, url):
    driver.get(url)
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")


def _decide(driver, instruction: str, decision: str, note: str) -> str:
    row = _wait(driver, lambda d: next((r for r in _rows(d) if instruction in r["text"]), None))
    row["node"].find_element(By.CSS_SELECTOR, ".note").send_keys(note)
    row["node"].find_element(By.CSS_SELECTOR, f".{decision}").click()
    _wait(driver, lambda d: any(r["id"] == row["id"] and "you: " + decision in r["text"] for r in _rows(d)))
    return row["id"]


def _whatif(driver, answers: int) -> int:
    """What the page says would be kept, once it has had `answers` answers."""
    box = _wait(driver, lambda d: (e := d.find_element(By.ID, "whatif")).get_attribute("data-answers")
                and int(e.get_attribute("data-answers")) >= answers and e)
    return int(box.get_attribute("data-kept"))


def _newest_refilter(root: Path) -> Path:
    return max((p for p in (root / "runs").iterdir() if ".refilter-" in p.name), key=lambda p: p.name)


def _refilter(night: RunDir, capsys) -> dict:
    """`germinate refilter night-1 --set near_duplicate.threshold=0.9`; its curate stage."""
    assert main(["refilter", "night-1", "--data-root", str(night.data_root),
                 "--set", "near_duplicate.threshold=0.9"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return RunDir.open(night.data_root, str(_newest_refilter(night.data_root))).status["stages"]["curate"]


def test_review_in_the_browser_and_the_decisions_last(night, server, browser, capsys):
    _open(browser, server)
    assert "12 rows" in browser.find_element(By.ID, "counts").text

    # Filter by a reason.
    Select(browser.find_element(By.ID, "reason")).select_by_value("near_duplicate")
    _wait(browser, lambda d: len(_rows(d)) == 1)
    (dup,) = _rows(browser)
    assert DAWN in dup["text"] and "near_duplicate" in dup["text"]
    assert "Write a short poem about the sea at night." in dup["node"].find_element(By.CSS_SELECTOR, ".neighbour").text
    Select(browser.find_element(By.ID, "reason")).select_by_value("")

    # Search a Korean word: a partial word finds the full one.
    browser.find_element(By.ID, "q").send_keys("번역")
    _wait(browser, lambda d: len(_rows(d)) == 2)
    assert all("번역해" in r["text"] for r in _rows(browser))
    browser.find_element(By.ID, "q").clear()
    browser.find_element(By.ID, "q").send_keys(Keys.SPACE, Keys.BACKSPACE)
    _wait(browser, lambda d: len(_rows(d)) == 12)

    # Move a threshold: 0.70 -> 0.90 with the keyboard; the page counts what would be kept, and
    # `germinate refilter` with that setting keeps exactly that.
    slider = browser.find_element(By.CSS_SELECTOR, '#sliders input[data-key="near_duplicate.threshold"]')
    slider.send_keys(*[Keys.ARROW_RIGHT] * 20)
    assert "near_duplicate.threshold=0.9" in _wait(browser, lambda d: d.find_element(By.ID, "command").text)
    assert _whatif(browser, 1) == _refilter(night, capsys)["kept"]

    # Override two rows, with notes (the count follows), then reload.
    dawn = _decide(browser, DAWN, "keep", "dawn is not night")
    _whatif(browser, 2)  # counted again after each decision
    sky = _decide(browser, SKY, "drop", "too simple for the set")
    stage = _refilter(night, capsys)
    assert _whatif(browser, 3) == stage["kept"] and stage["drops_by_reason"]["override_drop"] == 1
    browser.refresh()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    Select(browser.find_element(By.ID, "verdict")).select_by_value("overridden")
    _wait(browser, lambda d: len(_rows(d)) == 2)
    shown = {r["id"]: r["text"] for r in _rows(browser)}
    assert "KEPT" in shown[dawn] and "override_keep" in shown[dawn] and "you: keep" in shown[dawn]
    assert "DROPPED" in shown[sky] and "override_drop" in shown[sky] and "you: drop" in shown[sky]
    assert "in the pool" in shown[dawn] and "not in the pool" not in shown[dawn] and "not in the pool" in shown[sky]
    assert browser.get_log("browser") == []  # no script error, no failed request

    root = night.data_root
    assert main(["refilter", "night-1", "--data-root", str(root)]) == 0  # the run's own settings
    capsys.readouterr()
    new = _newest_refilter(root)

    # refilter honours the decisions, on files.
    ledger = {r["id"]: r for r in pq.read_table(new / "ledger.parquet").to_pylist()}
    assert (ledger[dawn]["verdict"], ledger[sky]["verdict"]) == ("kept", "dropped")
    assert ledger[sky]["reasons"] == ["override_drop"]
    assert json.loads(ledger[dawn]["meta"])["override"]["note"] == "dawn is not night"
    kept_ids = [json.loads(line)["id"] for line in (new / "data.jsonl").read_text(encoding="utf-8").splitlines()]
    assert dawn in kept_ids and sky not in kept_ids

    # So does the pool, and tuning never sees the dropped row.
    in_pool = {r["id"]: r for r in read_jsonl_rows(pool.pool_path(root))}
    assert sky not in in_pool and [r["id"] for r in read_jsonl_rows(pool.removed_path(root))] == [sky]
    assert in_pool[dawn]["added_by"] == "override" and in_pool[dawn]["instruction"] == DAWN
    trained = [r["id"] for r in training_rows(night, TuneConfig(include_seeds=False), [])]
    assert dawn in trained and sky not in trained

    # The decisions export as labeled rows.
    labels = root / "labeled_review.jsonl"
    assert main(["overrides", "export", str(labels), "--data-root", str(root)]) == 0
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()][1:]
    assert {(r["candidate_id"], r["label"]) for r in rows} == {(dawn, "good"), (sky, "bad")}

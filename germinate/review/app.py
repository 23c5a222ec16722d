"""The review page's HTTP side: a Starlette app over one run's ledger, its what-ifs and overrides.

Routes: `/` (the page), `/static/*` (its script and styles, served from this package: no CDN),
`GET /api/summary`, `GET /api/rows`, `GET /api/whatif`, `POST /api/override`. The data work is
in `reports.review_rows` (rows, search, counts), `reports.review_settings` (sliders),
`flows.refilter.StoredRun` (what-if: the refilter code itself) and `core.overrides`.

It listens on 127.0.0.1 only and can change files, so it refuses requests whose Host header is
not the loopback (a DNS-rebinding page) and overrides only as `application/json` (which a page
of another origin cannot send without a CORS preflight this app never answers).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core import overrides, pool
from core.config import parse_override
from core.errors import GerminateError
from core.overrides import Override
from core.store import RunDir
from flows.refilter import StoredRun
from reports.review_rows import VERDICTS, Query, ReviewData, facets, in_pool, outcome, select, view
from reports.review_settings import threshold_settings

STATIC = Path(__file__).with_name("static")
PAGE_SIZE = 50


class Review:
    """One run under review: its ledger (read once), its stored candidates, the person's decisions."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.data = ReviewData.load(run)
        self.stored = StoredRun(run) if run.file("candidates.jsonl").exists() else None
        self.settings = threshold_settings(self.stored.base.curate) if self.stored else []
        self._whatif: dict[tuple, dict[str, Any]] = {}
        self._write = threading.Lock()  # requests run on a thread pool; the file lock is per process

    def decisions(self) -> dict[str, Override]:
        return overrides.load(self.run.data_root)

    def summary(self) -> dict[str, Any]:
        status = self.run.status
        return {"run_id": self.run.run_id, "kind": status.get("kind", ""), "created": status.get("created", ""),
                "verdicts": VERDICTS, "counts": facets(self.data, self.decisions()),
                "settings": self.settings, "overrides_file": str(overrides.overrides_path(self.run.data_root))}

    def whatif(self, settings: list[tuple[str, Any]]) -> dict[str, Any]:
        """What `refilter` would keep with these settings and the current decisions."""
        if self.stored is None:
            raise GerminateError(f"run {self.run.run_id} has no candidates.jsonl to re-filter")
        decisions = self.decisions()
        key = (tuple(settings), tuple((o.id, o.decision) for o in decisions.values()))
        if key not in self._whatif:
            if len(self._whatif) >= 256:  # a long session of slider moves: forget the oldest
                self._whatif.pop(next(iter(self._whatif)))
            result = outcome(self.stored.decide(settings, decisions))
            result["command"] = " ".join(["germinate refilter", self.run.run_id,
                                          *[f"--set {k}={v}" for k, v in settings]])
            self._whatif[key] = result
        return self._whatif[key]

    def decide(self, candidate_id: str, decision: str, note: str) -> dict[str, Any]:
        """Save (or clear) a decision, bring the pool in line, return the row as it now stands."""
        entry = self.data.index.get(candidate_id)
        if entry is None:
            raise GerminateError(f"no row '{candidate_id}' in run {self.run.run_id}")
        row = entry.row
        with self._write:
            if decision == "clear":
                overrides.clear(self.run.data_root, candidate_id)
            else:
                verdict, reasons = overrides.filters_said(row)
                overrides.save(self.run.data_root, Override(
                    id=row.id, decision=decision, note=note.strip(), run_id=self.run.run_id,
                    pool_run=self._pool_run(row.meta.get("run_id") or self.run.run_id),
                    instruction=row.instruction, input=row.input, output=row.output, source=_source(row.meta),
                    filter_verdict=verdict, filter_reasons=reasons))
            try:
                pool_note = pool.honour_overrides(self.run.data_root)
            except GerminateError as exc:  # a curation holds the pool: it honours the file itself
                pool_note = {"later": str(exc)}
        return {"row": view(entry, self.decisions(), self.data, in_pool(self.data)), "pool": pool_note}

    def _pool_run(self, run_id: str) -> str:
        """`run_id` if that run's rows go to the pool, else ''."""
        if not (self.run.data_root / "runs" / run_id / "status.json").exists():
            return ""
        return run_id if RunDir(self.run.data_root, run_id).status.get("kind") in pool.FEEDS_POOL else ""


def _source(meta: dict[str, Any]) -> str:
    """`<teacher>:<mode>` of a generated row, `input:<format>` of an imported one."""
    if meta.get("teacher"):
        return f"{meta['teacher']}:{meta.get('mode', 'chat')}"
    return f"input:{meta['format']}" if meta.get("format") else ""


def _float(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise GerminateError(f"{name} must be a number, got '{raw}'") from None


def create_app(review: Review) -> Starlette:
    """The ASGI app for `review`."""

    def page(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def summary(request: Request) -> JSONResponse:
        return JSONResponse(review.summary())

    def rows(request: Request) -> JSONResponse:
        p = request.query_params
        verdict = p.get("verdict", "all")
        if verdict not in VERDICTS:
            raise GerminateError(f"verdict must be one of {', '.join(VERDICTS)}")
        query = Query(verdict=verdict, reason=p.get("reason", ""), q=p.get("q", ""), score=p.get("score", ""),
                      lo=_float(request, "lo"), hi=_float(request, "hi"))
        offset = max(0, int(_float(request, "offset") or 0))
        decisions = review.decisions()
        picked = select(review.data, query, decisions)
        pooled = in_pool(review.data)
        page = picked[offset:offset + PAGE_SIZE]
        return JSONResponse({"total": len(picked), "offset": offset, "page": PAGE_SIZE,
                             "rows": [view(e, decisions, review.data, pooled) for e in page]})

    def whatif(request: Request) -> JSONResponse:
        return JSONResponse(review.whatif([parse_override(s) for s in request.query_params.getlist("set")]))

    async def override(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send the override as application/json"}, status_code=415)
        body = await request.json()
        if not isinstance(body, dict) or body.get("decision") not in ("keep", "drop", "clear"):
            raise GerminateError("an override needs 'id' and a 'decision' of keep, drop or clear")
        return JSONResponse(await run_in_threadpool(review.decide, str(body.get("id", "")), body["decision"],
                                                    str(body.get("note", ""))))

    async def one_line(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    return Starlette(
        routes=[Route("/", page), Route("/api/summary", summary), Route("/api/rows", rows),
                Route("/api/whatif", whatif), Route("/api/override", override, methods=["POST"]),
                Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])],
        exception_handlers={GerminateError: one_line, ValueError: one_line},
    )

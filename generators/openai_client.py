"""Teacher backend for any OpenAI-compatible endpoint (`vllm serve`, hosted APIs): chat mode
talks to `/chat/completions`, base mode to `/completions` (raw text continuation).

Requests go out concurrently, at most `max_concurrency` at a time, each with a timeout and up
to `max_retries` retries with exponential backoff on connection errors, timeouts, 429 and 5xx.
When retries run out the error names the endpoint (never the API key). The key is read from
the environment variable named in config at call time.
"""

from __future__ import annotations

import asyncio
import os
import random

import httpx

from core.config import Sampling, TeacherConfig
from core.errors import GerminateError
from core.records import clean_text
from generators.teacher_types import Completion, Messages

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAITeacher:
    def __init__(self, cfg: TeacherConfig) -> None:
        self.cfg = cfg
        self.name = f"openai:{cfg.model}"
        # With several endpoints, flows.cluster gives each shard its own; alone, the first.
        self.base_url = (cfg.endpoints[0] if cfg.endpoints else cfg.base_url).rstrip("/")

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.cfg.api_key_env, "")
        return {"Authorization": f"Bearer {key}"} if key else {}

    def check_reachable(self) -> None:
        """Fail fast, before any run directory exists, if the endpoint does not answer."""
        try:
            resp = httpx.get(f"{self.base_url}/models", headers=self._headers(), timeout=10.0)
        except httpx.HTTPError as exc:
            raise GerminateError(
                f"teacher unreachable at {self.base_url} ({type(exc).__name__})"
            ) from None
        if resp.status_code in (401, 403):
            raise GerminateError(
                f"teacher at {self.base_url} refused the API key from ${self.cfg.api_key_env} "
                f"(HTTP {resp.status_code})"
            )
        if resp.status_code >= 400:
            raise GerminateError(f"teacher at {self.base_url} answered HTTP {resp.status_code}")

    def check_completions(self) -> None:
        """Base mode needs `/completions`; chat-only servers lack it. One 1-token request
        before anything is generated, so the run fails in one line instead of mid-way."""
        body = {"model": self.cfg.model, "prompt": "1.", "max_tokens": 1, "temperature": 0.0}
        try:
            resp = httpx.post(f"{self.base_url}/completions", json=body, headers=self._headers(), timeout=30.0)
        except httpx.HTTPError as exc:
            raise GerminateError(f"teacher unreachable at {self.base_url} ({type(exc).__name__})") from None
        if resp.status_code < 400:
            try:
                resp.json()["choices"][0]["text"]
                return
            except (ValueError, KeyError, IndexError, TypeError):
                pass
        raise GerminateError(
            f"teacher at {self.base_url} cannot continue text (POST /completions: HTTP {resp.status_code} "
            f"{self._redacted(_short(resp.text, 100))}); generate.teacher.mode=base needs a completions "
            "endpoint: serve a base model with vLLM, or use mode=chat for a chat-only server"
        )

    def complete(
        self, batch: list[Messages], sampling: Sampling, seeds: list[int], schema: dict | None = None
    ) -> list[Completion]:
        bodies = [self._body(messages, sampling, seed, schema) for messages, seed in zip(batch, seeds)]
        return asyncio.run(self._complete_all("chat/completions", bodies))

    def complete_text(
        self, prompts: list[str], sampling: Sampling, seeds: list[int], stop: list[str]
    ) -> list[Completion]:
        """Base mode: `/completions` with the raw prompt, per-request seed and stop strings
        (OpenAI accepts at most 4; base_prompts never asks for more)."""
        bodies = [
            {"model": self.cfg.model, "prompt": prompt, "temperature": sampling.temperature,
             "top_p": sampling.top_p, "max_tokens": sampling.max_tokens, "seed": seed, "stop": list(stop)}
            for prompt, seed in zip(prompts, seeds)
        ]
        return asyncio.run(self._complete_all("completions", bodies))

    async def _complete_all(self, route: str, bodies: list[dict]) -> list[Completion]:
        limit = asyncio.Semaphore(self.cfg.max_concurrency)
        limits = httpx.Limits(max_connections=self.cfg.max_concurrency)
        async with httpx.AsyncClient(timeout=self.cfg.timeout_s, limits=limits) as client:
            return list(await asyncio.gather(*[self._one(client, limit, route, body) for body in bodies]))

    def _redacted(self, text: str) -> str:
        key = os.environ.get(self.cfg.api_key_env, "")
        return text.replace(key, "***") if key else text  # a server may echo the Authorization header

    def _body(self, messages: Messages, sampling: Sampling, seed: int, schema: dict | None) -> dict:
        body = {
            "model": self.cfg.model,
            "messages": messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": seed,
        }
        if schema and self.cfg.structured_output:
            # The current OpenAI/vLLM field; vLLM's old `guided_json` is silently ignored.
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema.get("title", "output"), "schema": schema},
            }
        return body

    async def _one(self, client, limit, route: str, body: dict) -> Completion:
        url = f"{self.base_url}/{route}"
        last = ""
        for attempt in range(self.cfg.max_retries + 1):
            if attempt:
                # Exponential backoff with jitter: 0.5, 1, 2, 4 ... seconds, capped at 30.
                await asyncio.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random()))
            async with limit:
                try:
                    resp = await client.post(url, json=body, headers=self._headers())
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    last = type(exc).__name__
                    continue
            if resp.status_code in RETRYABLE_STATUS:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise GerminateError(
                    f"teacher at {self.base_url} rejected a request: HTTP {resp.status_code} "
                    f"{self._redacted(_short(resp.text))}"
                )
            try:
                data = resp.json()
                choice = data["choices"][0]
                usage = data.get("usage") or {}
                # Chat replies carry a message; text completions carry the text itself.
                text = choice["message"].get("content") if "message" in choice else choice["text"]
                return Completion(
                    text=clean_text(text or ""),
                    finish_reason=choice.get("finish_reason"),
                    prompt_tokens=int(usage.get("prompt_tokens", 0)),
                    completion_tokens=int(usage.get("completion_tokens", 0)),
                    attempts=attempt + 1,
                )
            except (ValueError, KeyError, IndexError, TypeError):
                last = "malformed response body"
                continue
        raise GerminateError(
            f"teacher at {self.base_url} failed after {self.cfg.max_retries + 1} attempts ({last})"
        )


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "..."

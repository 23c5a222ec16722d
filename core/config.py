"""Configuration: one pydantic model per flow, grouped in one `germinate.yaml`.

The same models are the Prefect flow parameters and what the CLI reads and overrides.
Unknown keys and bad values fail with one line naming the key (`load_config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import GerminateError
from core.paths import DEFAULT_EVAL_SET, DEFAULT_SEEDS

EMBEDDED_TEACHER = "embedded:smollm2-135m-instruct"


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Sampling(Strict):
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(256, ge=1, le=32768)


class TeacherConfig(Strict):
    """Which model answers and through which engine."""

    backend: Literal["vllm", "openai", "transformers"] = "vllm"
    # `embedded:...` is the SmolLM2 model shipped on PyPI; otherwise an HF id or local path
    # (for `openai`: the model name the server knows).
    model: str = EMBEDDED_TEACHER
    base_url: str = "http://127.0.0.1:8000/v1"
    # The key is read from this environment variable at call time and never logged.
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(3, ge=0, le=20)
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "bfloat16"
    max_model_len: int = Field(2048, ge=256)
    # Ask the backend for JSON matching the parser's schema (vLLM structured outputs).
    structured_output: bool = True
    # Several servers of the same model (`openai` backend): when set, these replace base_url
    # and each round's requests are split into one shard per endpoint, sent in parallel.
    endpoints: list[str] = []


class GenerateConfig(Strict):
    """Self-Instruct generation (Wang et al. 2022): bootstrapping, then instances."""

    teacher: TeacherConfig = TeacherConfig()
    seeds: Path = DEFAULT_SEEDS
    num_instructions: int = Field(24, ge=1, le=1_000_000)
    # Self-Instruct shows 8 in-context tasks per request: 6 human seeds + 2 machine ones.
    seed_per_prompt: int = Field(6, ge=1, le=32)
    machine_per_prompt: int = Field(2, ge=0, le=32)
    new_per_request: int = Field(4, ge=1, le=20)
    requests_per_round: int = Field(8, ge=1, le=4096)
    max_rounds: int = Field(10, ge=1, le=100_000)
    run_seed: int = 0
    instruction_sampling: Sampling = Sampling(temperature=0.9, top_p=0.95, max_tokens=320)
    instance_sampling: Sampling = Sampling(temperature=0.7, top_p=0.95, max_tokens=200)


class LengthRule(Strict):
    min_words: int = Field(3, ge=0)
    max_words: int = Field(150, ge=1)


class NearDuplicateRule(Strict):
    # Token-level ROUGE-L F1 computed exactly (rapidfuzz Indel on token strings), so 0.7 is
    # Self-Instruct's own threshold: drop when similarity to an earlier instruction > 0.7.
    threshold: float = Field(0.7, ge=0.0, le=1.0)
    # Self-Instruct compares instructions only; imported data with one instruction and many
    # inputs ("Translate ...") needs the input included to keep its distinct examples.
    include_input: bool = False
    # Up to this many earlier texts every pair is scored; past it, prefix-filter blocking
    # (filters/blocking.py) scores only pairs that could pass the threshold: the same drops,
    # but similarities recorded below the threshold become lower bounds.
    exact_max_pool: int = Field(10_000, ge=0)


class DecontaminationRule(Strict):
    eval_set: Path | None = DEFAULT_EVAL_SET
    # A candidate overlaps when it shares any word n-gram of this length with an eval item
    # (or, shorter than n words, when its instruction is a near-duplicate of an eval one).
    ngram: int = Field(8, ge=1, le=64)


class CurateConfig(Strict):
    """The ordered checks and set-level steps every candidate goes through."""

    instruction_length: LengthRule = LengthRule()
    output_length: LengthRule = LengthRule(min_words=1, max_words=400)
    blacklist: list[str] = Field(
        # Self-Instruct's list: tasks a text-only model cannot do.
        default_factory=lambda: [
            "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
            "map", "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart",
            "diagram",
        ]
    )
    languages: list[str] = Field(default_factory=lambda: ["en", "ko"])
    max_repeated_ngram_fraction: float = Field(0.5, gt=0.0, le=1.0)
    near_duplicate: NearDuplicateRule = NearDuplicateRule()
    decontamination: DecontaminationRule = DecontaminationRule()


EMBEDDED_STUDENT = "embedded:gemma-3-270m"


class LoraSettings(Strict):
    r: int = Field(8, ge=1, le=256)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    # "all-linear" (peft's shorthand) or explicit module names.
    target_modules: str | list[str] = "all-linear"


class TuneConfig(Strict):
    """LoRA supervised fine-tuning of the student on the curated data (peft + TRL)."""

    # A pretrained *base* model by default, so instruction tuning has something to teach.
    student: str = EMBEDDED_STUDENT
    # `response`: loss on the assistant's tokens only (prompt tokens get label -100), the usual
    # SFT choice. `full`: loss on question and answer together, which our seed notes argue for
    # when data is scarce (the model also learns the prompt distribution); costs some focus.
    loss_on: Literal["response", "full"] = "response"
    lora: LoraSettings = LoraSettings()
    # Where examples come from: the whole accumulated pool (optionally only the last N runs)
    # or just this run's curated set; human seed tasks can be mixed in.
    data: Literal["pool", "run"] = "pool"
    window_runs: int | None = Field(None, ge=1)
    include_seeds: bool = True
    max_steps: int = Field(30, ge=1)
    batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    learning_rate: float = Field(2e-4, gt=0)
    max_length: int = Field(512, ge=32)
    packing: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0


class EvalConfig(Strict):
    """Held-out evaluation and the promotion gate."""

    eval_set: Path = DEFAULT_EVAL_SET
    # How the student answers. transformers by default: vLLM cannot tear down a second
    # in-process engine without breaking the teacher's, and on CPU it buys little here.
    backend: Literal["vllm", "transformers"] = "transformers"
    max_tokens: int = Field(96, ge=1)
    # rouge_l | constraint_accuracy | heldout_loss | judge_win_rate
    primary_metric: Literal["rouge_l", "constraint_accuracy", "heldout_loss", "judge_win_rate"] = "rouge_l"
    margin: float = Field(0.0, ge=0.0)
    judge: bool = True


class ScheduleConfig(Strict):
    """When the nightly deployment runs (`germinate schedule`, prefect.yaml)."""

    cron: str = "0 2 * * *"
    timezone: str = "UTC"


class ClusterConfig(Strict):
    """Where generation and curation run: this process, or shards on Dask workers."""

    # `local`: this process (shards for several teacher endpoints still run in parallel
    # threads). `dask`: Prefect's DaskTaskRunner; each round's teacher requests and the
    # row-level filters are split into shards that run on the workers.
    runner: Literal["local", "dask"] = "local"
    # A running Dask scheduler (e.g. tcp://10.0.0.5:8786); unset: a LocalCluster here.
    address: str | None = None
    # LocalCluster size, and the shard count when no teacher endpoints are listed (each worker
    # then loads its own in-process engine: one per GPU on a multi-GPU node).
    workers: int = Field(2, ge=1, le=4096)


class PipelineConfig(Strict):
    """Everything `germinate run` does, as one file (`germinate.yaml`)."""

    generate: GenerateConfig = GenerateConfig()
    curate: CurateConfig = CurateConfig()
    tune: TuneConfig = TuneConfig()
    evaluate: EvalConfig = EvalConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    cluster: ClusterConfig = ClusterConfig()


def _error_line(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown config key '{key}'"
    return f"{source}: bad value for '{key}': {err['msg']}"


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c=value` inside nested dicts, creating levels as needed."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise GerminateError(f"cannot set '{dotted}': '{part}' is not a section")
        node = child
    node[parts[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`key.path=value` with the value parsed as YAML (so numbers and lists work)."""
    if "=" not in text:
        raise GerminateError(f"--set expects key=value, got '{text}'")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def load_config(path: Path | None, overrides: list[tuple[str, Any]] = (), model=PipelineConfig):
    """Read a YAML config (or the defaults), apply `a.b=value` overrides, validate."""
    data: dict[str, Any] = {}
    source = str(path) if path else "config"
    if path is not None:
        if not Path(path).is_file():
            raise GerminateError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise GerminateError(f"{path}: not valid YAML{where}") from None
        if not isinstance(data, dict):
            raise GerminateError(f"{path}: expected a mapping of sections at the top level")
    # A section whose keys are all commented out reads as null: it means "the defaults".
    data = {k: v for k, v in data.items() if v is not None}
    for key, value in overrides:
        set_dotted(data, key, value)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise GerminateError(_error_line(exc, source)) from None


def dump_config(cfg: BaseModel) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

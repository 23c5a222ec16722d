"""Reading `germinate.yaml` and `--set key=value` overrides; one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from core.config.pipeline import PipelineConfig
from core.errors import GerminateError


def _error_line(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown config key '{key}'"
    # A validator's own message, without pydantic's "Value error, " prefix.
    msg = str(err["ctx"]["error"]) if err["type"] == "value_error" and "error" in err.get("ctx", {}) else err["msg"]
    return f"{source}: bad value for '{key}': {msg}"


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
        except UnicodeDecodeError as exc:
            # CP949 or UTF-16, as a Korean Windows editor saves by default.
            raise GerminateError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                                 f"{exc.start}): save it as UTF-8") from None
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

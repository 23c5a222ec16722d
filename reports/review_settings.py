"""The review page's threshold sliders: every numeric curate setting, read from the config model.

Derived, not listed: a setting added to `core.config.curate` (a quality signal's threshold)
gets a slider with its own bounds without touching the page. Knobs that trade speed for
exactness, not what is kept, are left out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# Settings that change how fast curation runs, not what it keeps.
SPEED_KNOBS = frozenset({"exact_max_pool", "batch_size", "workers", "max_length", "max_tokens"})


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    """(lower, upper) from a field's constraints (pydantic keeps `Field(ge=..)` as Ge(ge=..) etc.)."""
    lo = hi = None
    for m in metadata:
        for attr in ("ge", "gt"):
            lo = getattr(m, attr, None) if getattr(m, attr, None) is not None else lo
        for attr in ("le", "lt"):
            hi = getattr(m, attr, None) if getattr(m, attr, None) is not None else hi
    return lo, hi


def threshold_settings(model: BaseModel, prefix: str = "") -> list[dict[str, Any]]:
    """One slider per numeric setting: `key` (as `refilter --set` takes it), value, min, max, step."""
    out: list[dict[str, Any]] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += threshold_settings(value, key + ".")
            continue
        if name in SPEED_KNOBS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        lo, hi = _bounds(info.metadata)
        if isinstance(value, int) and info.annotation is int:
            lo = int(lo if lo is not None else 0)
            hi = int(hi if hi is not None else max(4 * value, lo + 20))
            step: float = 1
        else:
            # An open side reaches twice the value's distance from zero (a negative threshold,
            # such as kiwipiepy's log-score per syllable, opens downwards).
            lo = float(lo if lo is not None else min(0.0, 2 * value))
            hi = float(hi if hi is not None else max(2 * value, 1.0))
            step = round((hi - lo) / 100, 6) or 0.01
        out.append({"key": key, "value": value, "min": lo, "max": hi, "step": step})
    return out

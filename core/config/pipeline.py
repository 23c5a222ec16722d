"""`germinate.yaml` as a whole: one section per flow."""

from __future__ import annotations

from core.config.base import Strict
from core.config.curate import CurateConfig
from core.config.evaluate import EvalConfig
from core.config.generate import GenerateConfig
from core.config.operations import ClusterConfig, ScheduleConfig
from core.config.tune import TuneConfig


class PipelineConfig(Strict):
    """Everything `germinate run` does, as one file (`germinate.yaml`)."""

    generate: GenerateConfig = GenerateConfig()
    curate: CurateConfig = CurateConfig()
    tune: TuneConfig = TuneConfig()
    evaluate: EvalConfig = EvalConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    cluster: ClusterConfig = ClusterConfig()

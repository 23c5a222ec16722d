"""Configuration: one pydantic model per flow, grouped in one `germinate.yaml`.

The same models are the Prefect flow parameters and what the CLI reads and overrides.
Unknown keys and bad values fail with one line naming the key (`load_config`).
"""

from core.config.base import Sampling, Strict
from core.config.curate import CurateConfig, DecontaminationRule, LengthRule, NearDuplicateRule
from core.config.evaluate import EvalConfig
from core.config.generate import EMBEDDED_TEACHER, GenerateConfig, TeacherConfig
from core.config.loading import dump_config, load_config, parse_override, set_dotted
from core.config.operations import ClusterConfig, ScheduleConfig
from core.config.pipeline import PipelineConfig
from core.config.quality import QualityConfig
from core.config.tune import EMBEDDED_STUDENT, LoraSettings, TuneConfig

__all__ = [
    "EMBEDDED_STUDENT", "EMBEDDED_TEACHER", "ClusterConfig", "CurateConfig", "DecontaminationRule",
    "EvalConfig", "GenerateConfig", "LengthRule", "LoraSettings", "NearDuplicateRule", "PipelineConfig",
    "QualityConfig",
    "Sampling", "ScheduleConfig", "Strict", "TeacherConfig", "TuneConfig", "dump_config", "load_config",
    "parse_override", "set_dotted",
]

import re

import pytest

from core.config import GenerateConfig, dump_config, load_config, parse_override
from core.errors import GerminateError
from core.paths import DEFAULT_SEEDS


def write(tmp_path, text, name="germinate.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def raises(message):
    return pytest.raises(GerminateError, match=f"^{re.escape(message)}$")


def test_defaults():
    cfg = load_config(None)
    gen = cfg.generate
    assert (gen.num_instructions, gen.seed_per_prompt, gen.machine_per_prompt) == (24, 6, 2)
    assert gen.teacher.backend == "vllm" and gen.seeds == DEFAULT_SEEDS
    assert cfg.curate.near_duplicate.threshold == 0.7
    assert cfg.curate.languages == ["en", "ko"]


def test_file_values_override_defaults(tmp_path):
    path = write(tmp_path, "generate:\n  num_instructions: 100\n  teacher:\n    backend: openai\n")
    cfg = load_config(path)
    assert cfg.generate.num_instructions == 100
    assert cfg.generate.teacher.backend == "openai"
    assert cfg.generate.seed_per_prompt == 6  # untouched keys keep their defaults


def test_unknown_key_names_the_dotted_key(tmp_path):
    path = write(tmp_path, "generate:\n  teacher:\n    modle: my-model\n")
    with raises(f"{path}: unknown config key 'generate.teacher.modle'"):
        load_config(path)


def test_bad_value_names_the_key(tmp_path):
    path = write(tmp_path, "generate:\n  num_instructions: -1\n")
    with raises(f"{path}: bad value for 'generate.num_instructions': Input should be greater than or equal to 1"):
        load_config(path)


def test_bad_choice_names_the_key(tmp_path):
    path = write(tmp_path, "generate:\n  teacher:\n    backend: llamacpp\n")
    with pytest.raises(GerminateError, match=re.escape(f"{path}: bad value for 'generate.teacher.backend':")):
        load_config(path)


def test_parse_override_reads_yaml_values():
    assert parse_override("generate.num_instructions=50") == ("generate.num_instructions", 50)
    assert parse_override("curate.near_duplicate.threshold = 0.5") == ("curate.near_duplicate.threshold", 0.5)
    assert parse_override("curate.languages=[en, ko]") == ("curate.languages", ["en", "ko"])
    assert parse_override("generate.teacher.model=embedded:smollm2") == ("generate.teacher.model", "embedded:smollm2")
    assert parse_override("generate.teacher.base_url=") == ("generate.teacher.base_url", "")


def test_parse_override_needs_an_equals_sign():
    with raises("--set expects key=value, got 'generate.num_instructions'"):
        parse_override("generate.num_instructions")


def test_overrides_apply_on_top_of_the_file(tmp_path):
    path = write(tmp_path, "generate:\n  num_instructions: 100\n  run_seed: 3\n")
    cfg = load_config(path, [parse_override("generate.num_instructions=50"),
                             parse_override("curate.near_duplicate.threshold=0.6")])
    assert cfg.generate.num_instructions == 50 and isinstance(cfg.generate.num_instructions, int)
    assert cfg.generate.run_seed == 3
    assert cfg.curate.near_duplicate.threshold == 0.6


def test_bad_override_names_the_key():
    with raises("config: bad value for 'generate.num_instructions': "
                "Input should be a valid integer, unable to parse string as an integer"):
        load_config(None, [parse_override("generate.num_instructions=many")])
    with raises("config: unknown config key 'generate.num_instruction'"):
        load_config(None, [parse_override("generate.num_instruction=5")])


def test_missing_config_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with raises(f"config file not found: {path}"):
        load_config(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "generate:\n  num_instructions: 5\n  teacher: backend: vllm\n")
    with raises(f"{path}: not valid YAML at line 3"):
        load_config(path)


def test_top_level_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "- generate\n- curate\n")
    with raises(f"{path}: expected a mapping of sections at the top level"):
        load_config(path)


def test_empty_file_gives_defaults(tmp_path):
    assert load_config(write(tmp_path, "# nothing yet\n")) == load_config(None)


def test_dump_config_round_trips(tmp_path):
    cfg = load_config(None, [("generate.num_instructions", 7), ("curate.languages", ["ko"])])
    assert load_config(write(tmp_path, dump_config(cfg))) == cfg


def test_section_model_can_be_loaded_alone(tmp_path):
    path = write(tmp_path, "num_instructions: 9\n")
    assert load_config(path, model=GenerateConfig).num_instructions == 9

import json

from evals import answer_cache
from evals.answers import Answer

PROMPTS = [[{"role": "user", "content": "Say hi."}], [{"role": "user", "content": "안녕이라고 말해."}]]
REFS = ["Hi.", "안녕."]


def key(**change):
    args = {"model_fp": "m1", "adapter_fp": None, "prompts": PROMPTS, "references": REFS,
            "max_tokens": 96, "backend": "transformers", **change}
    return answer_cache.cache_key(**args)


def test_the_key_changes_with_everything_the_answers_depend_on():
    base = key()
    assert key() == base
    changed = [key(model_fp="m2"), key(adapter_fp="a1"), key(max_tokens=64), key(backend="vllm"),
               key(references=["Hi!", "안녕."]), key(prompts=PROMPTS[:1] * 2)]
    assert len({base, *changed}) == 1 + len(changed)


def test_store_and_load_round_trip_and_bad_entries_are_ignored(tmp_path):
    answers = [Answer("Hi.", "stop", 2), Answer("안녕.", "length", 96)]
    losses = [(1.5, 3), (0.25, 2)]
    k = key()
    assert answer_cache.load(tmp_path, k, 2) is None
    path = answer_cache.store(tmp_path, k, answers, losses, {"model": "m"})
    assert answer_cache.load(tmp_path, k, 2) == (answers, losses)
    assert answer_cache.load(tmp_path, k, 3) is None  # another number of items: not this entry
    assert json.loads(path.read_text())["model"] == "m"
    path.write_text("{truncated")
    assert answer_cache.load(tmp_path, k, 2) is None
    path.write_text(json.dumps({"key": "other", "answers": [], "losses": []}))
    assert answer_cache.load(tmp_path, k, 0) is None


def test_fingerprints(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"a": 1}')
    (model / "model.safetensors").write_bytes(b"x" * 10)
    first = answer_cache.model_fingerprint(str(model))
    (model / "config.json").write_text('{"a": 2}')
    assert answer_cache.model_fingerprint(str(model)) != first
    assert answer_cache.model_fingerprint("org/name") != answer_cache.model_fingerprint("org/other")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    (adapter / "adapter_model.safetensors").write_bytes(b"w1")
    one = answer_cache.adapter_fingerprint(adapter)
    (adapter / "adapter_model.safetensors").write_bytes(b"w2")
    assert answer_cache.adapter_fingerprint(adapter) != one and answer_cache.adapter_fingerprint(None) is None

import pytest

from core.config import GenerateConfig, Sampling
from core.records import Candidate, Instance, SeedTask
from generators.self_instruct import (
    apply_classification,
    apply_instances,
    instance_requests,
    instruction_candidates,
    instruction_requests,
    request_languages,
    request_seed,
    unique_instructions,
)
from generators.teacher_types import Completion

CLASSIFY = {"Is this review positive?", "Is this email spam or not?", "Is the statement true or false?"}
SEEDS = [
    SeedTask(id=f"s{i}", instruction=text, instances=[Instance(input="", output=f"answer {i}")],
             is_classification=text in CLASSIFY)
    for i, text in enumerate([
        "Write a poem about rain.", "Name three rivers in Asia.", "Is this review positive?",
        "Translate the sentence into Korean.", "Explain gravity to a child.", "Add the two numbers.",
        "Is this email spam or not?", "비 오는 날에 대한 시를 쓰세요.", "Summarize the paragraph.",
        "Is the statement true or false?",
    ])
]
MACHINE = ["Describe a sunset.", "List four vegetables.", "Write a limerick about cats."]


def reply(text, finish_reason="stop"):
    return Completion(text=text, finish_reason=finish_reason, prompt_tokens=100, completion_tokens=20)


def shown(request):
    """What the teacher is shown: the chat message, or the text a base model continues."""
    return request.messages[0]["content"] if request.messages else request.prompt


# --- request_seed -----------------------------------------------------------------------

def test_request_seed_is_stable_and_31_bit():
    # Pinned: a change here means requests of existing runs cannot be rebuilt on resume.
    assert request_seed(0, "instructions", 0) == 411813754
    assert request_seed(7, "instance", 42) == 848506707
    assert 0 <= request_seed(123, "classify", 9) < 2**31


def test_request_seed_differs_by_index_stage_and_run_seed():
    base = request_seed(0, "instructions", 1)
    assert request_seed(0, "instructions", 2) != base
    assert request_seed(0, "instance", 1) != base
    assert request_seed(1, "instructions", 1) != base


# --- instruction_requests ---------------------------------------------------------------

def test_instruction_request_shows_seed_and_machine_tasks():
    cfg = GenerateConfig(seed_per_prompt=4, machine_per_prompt=2, new_per_request=3)
    (req,) = instruction_requests(SEEDS, MACHINE, cfg, start=0, count=1)
    text = shown(req)
    seeds_in = [s for s in SEEDS if s.instruction in text]
    machine_in = [m for m in MACHINE if m in text]
    assert len(seeds_in) == 4 and len(machine_in) == 2
    assert sorted(req.info["seed_ids"]) == sorted(s.id for s in seeds_in)
    assert "Write 3 new tasks." in text
    assert req.schema["properties"]["tasks"]["maxItems"] == 3
    assert (req.stage, req.index, req.seed) == ("instructions", 0, request_seed(0, "instructions", 0))


def test_instruction_request_with_small_pools_shows_all_of_them():
    cfg = GenerateConfig(seed_per_prompt=6, machine_per_prompt=2)
    (req,) = instruction_requests(SEEDS[:3], [], cfg, start=0, count=1)
    assert sorted(req.info["seed_ids"]) == ["s0", "s1", "s2"]
    assert all(m not in shown(req) for m in MACHINE)


def test_instruction_requests_are_reproducible_for_resume():
    cfg = GenerateConfig(run_seed=5)
    batch = instruction_requests(SEEDS, MACHINE, cfg, start=0, count=6)
    resumed = instruction_requests(SEEDS, MACHINE, cfg, start=4, count=2)
    assert [(r.index, r.seed, r.messages) for r in resumed] == [(r.index, r.seed, r.messages) for r in batch[4:]]
    # Different requests of one run sample different examples.
    assert len({shown(r) for r in batch}) == 6


def test_instruction_requests_change_with_run_seed():
    one = instruction_requests(SEEDS, MACHINE, GenerateConfig(run_seed=1), start=0, count=3)
    two = instruction_requests(SEEDS, MACHINE, GenerateConfig(run_seed=2), start=0, count=3)
    assert [shown(r) for r in one] != [shown(r) for r in two]


@pytest.mark.parametrize("examples, asked", [
    (["비 오는 날에 대한 시를 쓰세요.", "다음 문장을 요약하세요."], ["ko"]),   # one language: that one
    (["Write a poem about rain.", "Name three rivers."], ["en"]),
    (["Write a poem about rain.", "다음 문장을 요약하세요."], ["en", "ko"]),   # mixed: the configured list
    (["雨についての詩を書いてください。"], ["en", "ko"]),                    # not allowed: the configured list
    (["123", "..."], ["en", "ko"]),                                         # no language at all
])
def test_a_request_asks_for_its_examples_language(examples, asked):
    assert request_languages(examples, ["en", "ko"]) == asked


def test_a_korean_only_seed_file_asks_for_korean():
    korean = [s for s in SEEDS if s.id == "s7"] + [
        SeedTask(id=f"k{i}", instruction=t, instances=[Instance(input="", output="답")])
        for i, t in enumerate(["다음 문장을 영어로 번역하세요.", "세 가지 과일의 이름을 쓰세요."])]
    chat_only = GenerateConfig(language_teachers={})
    (req,) = instruction_requests(korean, [], chat_only, start=0, count=1, languages=["en", "ko"])
    assert "in Korean like the examples" in shown(req) and "English" not in shown(req)
    assert req.teacher == ""


# --- language teachers (generate.language_teachers) -------------------------------------

def test_with_the_embedded_chat_teacher_korean_requests_go_to_the_embedded_base_model():
    cfg = GenerateConfig(seed_per_prompt=2, machine_per_prompt=0, run_seed=3)
    assert cfg.teacher_for("ko").model == "embedded:gemma-3-270m" and cfg.teacher_for("ko").mode == "base"
    assert cfg.teacher_for("en") == cfg.teacher_for(None) == cfg.teacher
    korean = [SeedTask(id=f"k{i}", instruction=t, instances=[Instance(input="", output="답")])
              for i, t in enumerate(["다음 문장을 영어로 번역하세요.", "세 가지 과일의 이름을 쓰세요.", "비 오는 날에 대한 시를 쓰세요."])]
    english = [s for s in SEEDS if not s.is_classification and s.id != "s7"]
    (ko,) = instruction_requests(korean, [], cfg, start=0, count=1, languages=["en", "ko"])
    assert ko.teacher == "ko" and ko.messages == [] and ko.prompt.endswith("\n3.") and ko.stop
    (en,) = instruction_requests(english, [], cfg, start=0, count=1, languages=["en", "ko"])
    assert en.teacher == "" and en.prompt is None and en.messages
    # Rows remember the teacher that wrote their instruction, so it also writes their instance.
    (row,) = instruction_candidates("r", [ko], [reply(" 다음 글을 세 문장으로 요약하세요.\n\n")])
    assert row.meta["teacher_language"] == "ko"
    (plain,) = instruction_candidates("r", [en], [reply('{"tasks": ["Name a bird."]}')])
    assert "teacher_language" not in plain.meta


@pytest.mark.parametrize("cfg", [
    GenerateConfig(language_teachers={}),                                  # switched off
    GenerateConfig(teacher={"model": "Qwen/Qwen2.5-7B-Instruct"}),          # a capable teacher writes Korean
    GenerateConfig(teacher={"mode": "base"}),                               # already a base-model teacher
])
def test_other_teachers_answer_every_language_themselves(cfg):
    assert cfg.teachers_by_language() == {} and cfg.teacher_for("ko") == cfg.teacher


def test_a_configured_language_teacher_is_used_as_given():
    cfg = GenerateConfig(language_teachers={"ko": {"backend": "openai", "model": "k", "mode": "chat"}})
    assert cfg.teacher_for("ko").model == "k" and cfg.teacher_for("en").model == cfg.teacher.model


def test_an_unknown_language_teacher_code_is_refused():
    with pytest.raises(ValueError, match="unknown language code 'kr'; did you mean 'ko'"):
        GenerateConfig(language_teachers={"kr": {}})


def test_request_indices_keep_a_languages_rows_in_their_places():
    cands = [Candidate(id="a", instruction="Write a haiku about tea."), Candidate(id="b", instruction="Name a bird.")]
    cfg = GenerateConfig(run_seed=5)
    whole = instance_requests(cands, SEEDS, cfg, start=10)
    one = instance_requests(cands[1:], SEEDS, cfg, indices=[11])
    assert (one[0].index, one[0].seed, one[0].messages) == (whole[1].index, whole[1].seed, whole[1].messages)
    with pytest.raises(ValueError, match="2 request indices for 1 candidates"):
        instance_requests(cands[1:], SEEDS, cfg, indices=[1, 2])


# --- instruction_candidates -------------------------------------------------------------

def test_instruction_candidates_ids_and_parse_errors():
    cfg = GenerateConfig(language_teachers={})  # chat replies for every request
    requests = instruction_requests(SEEDS, MACHINE, cfg, start=7, count=3)
    truncated = '{"tasks": ["Write a story about'
    replies = [
        reply('{"tasks": ["Describe the moon.", "달에 대해 설명하세요."]}'),
        reply(truncated, "length"),
        reply("1. Name a fruit\n2. Name a bird\n3. Name a tree"),
    ]
    out = instruction_candidates("run1", requests, replies)
    assert [c.id for c in out] == ["run1-i00007-0", "run1-i00007-1", "run1-i00008-x",
                                   "run1-i00009-0", "run1-i00009-1", "run1-i00009-2"]
    assert [c.instruction for c in out if c.parse_error is None] == [
        "Describe the moon.", "달에 대해 설명하세요.", "Name a fruit", "Name a bird", "Name a tree"]
    bad = out[2]
    assert bad.parse_error == "instructions: malformed JSON (cut at max_tokens)"
    assert (bad.raw, bad.finish_reason, bad.instruction) == (truncated, "length", "")
    assert bad.meta == {"run_id": "run1", "request_index": 8, "request_seed": requests[1].seed,
                        "seed_ids": requests[1].info["seed_ids"]}
    assert out[0].meta["request_index"] == 7 and out[0].meta["seed_ids"] == requests[0].info["seed_ids"]


def test_empty_reply_is_one_parse_error_candidate():
    requests = instruction_requests(SEEDS, [], GenerateConfig(), start=0, count=1)
    (c,) = instruction_candidates("r", requests, [reply("")])
    assert (c.id, c.parse_error, c.raw) == ("r-i00000-x", "instructions: empty reply", "")


# --- unique_instructions ----------------------------------------------------------------

def test_unique_instructions_excludes_seeds_dups_and_parse_errors():
    cands = [
        Candidate(id="a", instruction="Describe the moon."),
        Candidate(id="b", instruction="  write a POEM about rain."),     # a seed, differently cased
        Candidate(id="c", instruction="Describe the  moon."),            # duplicate of a
        Candidate(id="d", parse_error="instructions: empty reply", raw=""),
        Candidate(id="e", instruction="달에 대해 설명하세요."),
        Candidate(id="f", instruction="Describe the moon at night."),
    ]
    assert unique_instructions(cands, SEEDS) == ["Describe the moon.", "달에 대해 설명하세요.", "Describe the moon at night."]


# --- classification and instances -------------------------------------------------------

def test_apply_classification():
    cands = [Candidate(id=i, instruction="Is this spam?", meta={"run_id": "r"}) for i in "abc"]
    out = apply_classification(cands, [reply('{"is_classification": true}'), reply("No."), reply("hmm")])
    assert [c.is_classification for c in out] == [True, False, False]
    assert "classification_raw" not in out[0].meta and "classification_raw" not in out[1].meta
    # An unanswered question falls back to input-first and keeps what the teacher said.
    assert out[2].meta == {"run_id": "r", "classification_raw": "hmm"}
    assert cands[2].meta == {"run_id": "r"}  # the input candidates are not modified


def test_instance_requests_use_demos_of_the_same_kind():
    cands = [Candidate(id="a", instruction="Is this tweet sarcastic?", is_classification=True),
             Candidate(id="b", instruction="Describe the moon.")]
    cfg = GenerateConfig(run_seed=3)
    cls_req, gen_req = instance_requests(cands, SEEDS, cfg)
    cls_text, gen_text = shown(cls_req), shown(gen_req)
    assert list(cls_req.schema["properties"]) == ["output", "input"]
    assert list(gen_req.schema["properties"]) == ["input", "output"]
    assert sum(s.instruction in cls_text for s in SEEDS if s.is_classification) == 2
    assert not any(s.instruction in cls_text for s in SEEDS if not s.is_classification)
    assert not any(s.instruction in gen_text for s in SEEDS if s.is_classification)
    assert (cls_req.info, gen_req.seed) == ({"id": "a"}, request_seed(3, "instance", 1))


def test_apply_instances():
    sampling = Sampling(temperature=0.5, top_p=0.9, max_tokens=64)
    cands = [Candidate(id=i, instruction="Translate into Korean.", meta={"run_id": "r"}) for i in "abc"]
    truncated = '{"input": "Good morning", "output": "좋은'
    replies = [reply('{"input": "Good morning", "output": "좋은 아침입니다."}'),
               reply("Input: Thank you\nOutput: 감사합니다."),
               reply(truncated, "length")]
    good, labelled, bad = apply_instances(cands, replies, "fake:teacher", sampling)

    assert (good.input, good.output, good.parse_error, good.raw) == ("Good morning", "좋은 아침입니다.", None, None)
    assert (labelled.input, labelled.output) == ("Thank you", "감사합니다.")
    assert bad.parse_error == "instance: malformed JSON (cut at max_tokens)"
    assert (bad.raw, bad.finish_reason, bad.output) == (truncated, "length", "")
    assert good.finish_reason == "stop"
    assert good.meta == {"run_id": "r", "teacher": "fake:teacher",
                         "sampling": {"temperature": 0.5, "top_p": 0.9, "max_tokens": 64},
                         "prompt_tokens": 100, "completion_tokens": 20}


@pytest.mark.parametrize("text", ["", "I don't know.", '["a", "b"]'])
def test_unparseable_instance_keeps_raw(text):
    (c,) = apply_instances([Candidate(id="a", instruction="Say hi.")], [reply(text)], "t", Sampling())
    assert c.parse_error.startswith("instance: ")
    assert c.raw == text and c.output == ""


# --- base mode (teacher.mode = base) ----------------------------------------------------

BASE = GenerateConfig(teacher={"mode": "base"}, seed_per_prompt=4, machine_per_prompt=2, new_per_request=3)


def test_base_instruction_request_is_a_list_to_continue_with_stops():
    (req,) = instruction_requests(SEEDS, MACHINE, BASE, start=0, count=1)
    assert req.messages == [] and req.schema is None
    assert req.prompt.startswith("Come up with a series of tasks:\n1. ") and req.prompt.endswith("\n7.")
    assert req.stop == ("\n\n", "\n10.")
    assert (req.info["first"], req.info["wanted"]) == (7, 3)
    # The same examples as chat mode would show: only the wording differs.
    chat = instruction_requests(SEEDS, MACHINE, GenerateConfig(seed_per_prompt=4, machine_per_prompt=2), 0, 1)[0]
    assert req.info["seed_ids"] == chat.info["seed_ids"]


def test_base_instruction_candidates_parse_the_continuation():
    requests = instruction_requests(SEEDS, MACHINE, BASE, start=0, count=2)
    replies = [reply(" Name a bird.\n8. Name a tree.\n9. Name a fish.\n10. Too many."),
               reply(" Describe the moon in two sentences.\n8. Half a ta", "length")]
    out = instruction_candidates("r", requests, replies)
    assert [c.instruction for c in out] == ["Name a bird.", "Name a tree.", "Name a fish.",
                                            "Describe the moon in two sentences."]
    (bad,) = instruction_candidates("r", requests[:1], [reply("\n\n")])
    assert bad.parse_error == "instructions: empty reply"


def test_base_classification_and_instances_are_plain_text_from_the_seeds():
    from generators.self_instruct import classification_requests

    cands = [Candidate(id="a", instruction="Is this sentence a question?"),
             Candidate(id="b", instruction="Write a haiku about tea.")]
    cls_a, _, inv_a, _ = classification_requests(cands, BASE, SEEDS)
    assert cls_a.prompt.endswith("Task: Is this sentence a question?\nIs it classification?")
    assert "Is it classification? Yes" in cls_a.prompt and cls_a.stop == ("\n",)
    # Asked again the other way round, with the same demos answered the other way.
    assert inv_a.prompt.endswith("Task: Is this sentence a question?\nIs it open-ended?")
    assert inv_a.prompt.count("Is it open-ended? No") == cls_a.prompt.count("Is it classification? Yes")
    assert inv_a.index == cls_a.index == 0 and inv_a.seed == cls_a.seed and inv_a.info == {"id": "a", "inverse": True}
    labelled = apply_classification(cands, [reply(" Yes"), reply(" No"), reply(" No"), reply(" Yes")])
    assert [c.is_classification for c in labelled] == [True, False]
    # A model that says Yes to both questions is not believed: input-first, the safe side.
    both_yes = apply_classification(cands, [reply(" Yes"), reply(" Yes"), reply(" Yes"), reply(" Yes")])
    assert [c.is_classification for c in both_yes] == [False, False]
    inst = instance_requests(labelled, SEEDS, BASE)
    assert inst[0].prompt.endswith("Task: Is this sentence a question?\nClass label:")
    assert inst[1].prompt.endswith("Task: Write a haiku about tea.\n")
    done = apply_instances(labelled, [reply(" question\nInput: Is it raining?"), reply("Output: Steam rises")],
                           "vllm:m", Sampling(), mode="base")
    assert [(c.input, c.output, c.parse_error) for c in done] == [
        ("Is it raining?", "question", None), ("", "Steam rises", None)]
    (broken,) = apply_instances(labelled[1:], [reply("no fields at all")], "vllm:m", Sampling(), mode="base")
    assert broken.parse_error == "instance: no Output: field" and broken.raw == "no fields at all"

"""Synthetic Korean instructions for bench/dedup.py, with spacing/particle/ending variants.

`instructions(n, seed)` draws requests from templates filled with a Zipf-distributed vocabulary
(common nouns first, then made-up words standing in for names and jargon), with particles
chosen by the noun's final consonant as Korean requires (을/를, 이/가, 은/는, 으로/로). A
`variant_rate` share rewrites an earlier request the way people and models do without changing
what it asks (the rule of tests/data/korean_pairs_*.jsonl): spaces added or removed, particles
dropped, politeness and auxiliary phrasing changed. `variant_of[i]` says which earlier request
row i rewrites, so a bench can count how many variants a token view catches.
"""

from __future__ import annotations

import bisect
import itertools
import random

NOUNS = (
    "바다 강 산 숲 도시 마을 학교 선생님 학생 컴퓨터 휴대폰 정원 부엌 커피 차 빵 음식 영화 책 도서관 박물관 병원 "
    "의사 간호사 자전거 자동차 기차 공항 호텔 식당 시장 은행 예산 월급 회사 면접 회의 프로젝트 팀 고객 제품 서비스 "
    "앱 소프트웨어 데이터베이스 네트워크 보안 비밀번호 이메일 우정 가족 부모 아이 강아지 고양이 새 날씨 비 눈 여름 겨울 "
    "휴가 생일 결혼식 파티 게임 운동 축구 테니스 식단 수면 건강 스트레스 행복 역사 과학 수학 물리 화학 생물 기후 "
    "에너지 오염 재활용 선거 정부 법 세금 창업 투자 경제 물가 언어 문화 미술 김치 라면 여행 이사 청소 요리 공부 시험"
).split()
ADJS = "짧은 간단한 자세한 재미있는 공손한 친근한 설득력 있는 창의적인 솔직한 따뜻한 전문적인 쉬운".split()
GENRES = "시 이야기 글 이메일 편지 문자 연설문 광고 문구 보고서 후기 요약 대화 노래 농담 기사 제목 소개 계획".split()
AUDIENCE = "어린이 청소년 대학생 초보자 전문가 부모님 어르신 직장인 외국인 관광객".split()
SYLLABLES = "가 나 다 라 마 바 사 아 자 차 카 타 파 하 고 노 도 로 모 보 소 오 조 호 민 진 현 수 영 준".split()
NUMBERS = "두 세 네 다섯 여섯 일곱".split()

# {n}: noun, {n2}: another noun; particles after {n}: {o} 을/를, {s} 이/가, {t} 은/는, {r} 으로/로,
# {w} 과/와; {ao}: 을/를 after {aud}
TEMPLATES = [
    "{a} {n}에 대한 {g}{o} 써 주세요.",
    "{n}{o} {aud}에게 쉽게 설명해 주세요.",
    "{n}{s} 왜 중요한지 {k} 가지 이유를 알려 주세요.",
    "{n}{t} {n2}보다 어떤 점이 좋은지 비교해 주세요.",
    "{n}{o} 주제로 {a} {g}{o} 만들어 주세요.",
    "{aud}{ao} 위한 {n} 공부 계획을 세워 주세요.",
    "{n}{o} 줄이는 방법을 {k} 가지 추천해 주세요.",
    "{n}{w} {n2}의 차이점을 정리해 주세요.",
    "다음 {g}{o} {n} 중심으로 요약해 주세요.",
    "{n}에 관한 질문 {k} 개를 만들어 주세요.",
    "{n}{s} {n2}에 미치는 영향을 설명해 주세요.",
    "{n}{r} 할 수 있는 일을 {k} 가지 알려 주세요.",
]
# Politeness/auxiliary rewrites of the final "해 주세요" (the same request, as the labelled rule).
ENDINGS = ["해 주세요.", "해줘.", "해 줘.", "해 주시겠어요?", "해 줄래?", "하세요.", "하시오.", "해주세요."]


def _has_final(word: str) -> bool:
    """Whether the last syllable has a final consonant (받침), which picks the particle."""
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def _particles(noun: str) -> dict[str, str]:
    f = _has_final(noun)
    return {"o": "을" if f else "를", "s": "이" if f else "가", "t": "은" if f else "는",
            "r": "으로" if f else "로", "w": "과" if f else "와"}


class _Writer:
    def __init__(self, seed: int, tail: int = 30_000) -> None:
        self.rng = random.Random(seed)
        head = list(NOUNS)
        self.rng.shuffle(head)
        seen = set(head)
        words = list(head)
        while len(words) < len(head) + tail:
            w = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))
            if w not in seen:
                seen.add(w)
                words.append(w)
        self.words = words
        self.cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(words))))

    def noun(self) -> str:
        return self.words[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]

    def fresh(self) -> str:
        rng = self.rng
        n, n2 = self.noun(), self.noun()
        if rng.random() < 0.4:
            n = f"{self.noun()} {n}"  # a compound: "회사 예산"
        g, aud = rng.choice(GENRES), rng.choice(AUDIENCE)
        text = rng.choice(TEMPLATES).format(
            a=rng.choice(ADJS), n=n, n2=n2, g=g, aud=aud, k=rng.choice(NUMBERS), ao=_particles(aud)["o"],
            **_particles(n),
        )
        # The particle after {g} or {aud} follows that word, not the noun.
        return text.replace(f"{g}{_particles(n)['o']}", f"{g}{_particles(g)['o']}")

    def variant(self, text: str) -> str:
        """The same request reworded: 1-3 of spacing, particle and ending changes."""
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            if op < 0.35 and text.endswith(("해 주세요.",)):
                text = text[: -len("해 주세요.")] + rng.choice(ENDINGS)
            elif op < 0.55:
                # Join or split a space between two Hangul words (띄어쓰기).
                spaces = [i for i, ch in enumerate(text) if ch == " "]
                if spaces:
                    i = rng.choice(spaces)
                    text = text[:i] + text[i + 1 :]
            elif op < 0.8:
                for p in ("을 ", "를 ", "의 ", "에 대한 "):
                    if p in text:
                        text = text.replace(p, " " if p != "에 대한 " else "에 관한 ", 1)
                        break
            else:
                text = text.replace(" 주세요", "주세요", 1).replace("설명해", "설명하여", 1)
        return text


def instructions(n: int, seed: int = 1, variant_rate: float = 0.2) -> tuple[list[str], list[int | None]]:
    """n Korean instructions and, for each, the index of the earlier one it rewrites (or None)."""
    w = _Writer(seed)
    out: list[str] = []
    variant_of: list[int | None] = []
    for _ in range(n):
        if out and w.rng.random() < variant_rate:
            j = w.rng.randrange(len(out))
            out.append(w.variant(out[j]))
            variant_of.append(j)
        else:
            out.append(w.fresh())
            variant_of.append(None)
    return out, variant_of

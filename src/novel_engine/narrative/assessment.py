"""Story-quality measures computed from the text alone, each between 0 and 1.

- coherence: the share of adjacent sentences that share a content word (a name, a
  place, a thing) — lexical cohesion; prose that jumps between unrelated sentences
  scores low.
- engagement: half sentence-length variety (coefficient of variation of words per
  sentence, full marks at 0.5), half dialogue share (sentences holding a quoted line,
  full marks at a third or more).
- character_development: how often named characters recur — the share of capitalised
  words inside sentences (names) that appear at least twice, times a saturation on the
  number of distinct recurring names (full marks at three).
- plot_structure: half paragraphing (full marks at three paragraphs), half connectives
  that order or cause events (then, after, because, but, until...; full marks at one in
  four sentences).
- language_quality: lexical diversity as the mean type-token ratio over 50-word windows
  (so long texts are not punished for length), times a penalty for repeated sentences
  (the share of sentences that are distinct).
- overall: the mean of the five.
An empty text scores 0 on everything.
"""

from __future__ import annotations

import itertools
import re
import statistics

from novel_engine.domain.story import QUALITY_CRITERIA

_WORD = re.compile(r"[A-Za-z']+")
# Words that carry no content of their own, ignored when sentences are compared.
_STOPWORDS_TEXT = """
the a an and or but of to in on at for with from by as is was were be been it its that
this there their they them he she his her him you your we our i me my not no so then
than into onto over under up out all any some what who which had has have did do does
could would should will can may might must just very too also
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_CONNECTIVES = frozenset(
    {"then", "after", "before", "because", "but", "so", "until", "when", "while", "yet"}
    | {"meanwhile", "later", "soon"}
)
_WINDOW = 50


def sentences(text: str) -> list[str]:
    """The text's sentences. A mark inside a quoted line does not end one, and a quoted
    line that opens a sentence ("Who goes there?" Mara called.) does not end it either."""
    found: list[str] = []
    start, quote_start = 0, -1
    for index, char in enumerate(text):
        if char == '"':
            quote_start = index if quote_start < 0 else -1
            if quote_start >= 0:
                continue
        if quote_start >= 0 or char not in '.!?"':
            continue
        at_end = index + 1 == len(text) or text[index + 1] in " \n"
        opened_sentence = text[start:index].lstrip().startswith('"')
        closes = char != '"' or (text[index - 1] in ".!?" and not opened_sentence)
        if closes and at_end:
            found.append(text[start : index + 1].strip())
            start = index + 1
    tail = text[start:].strip()
    return [s for s in [*found, tail] if s]


def assess(text: str) -> dict[str, float]:
    """The measures described in this module's docstring, rounded to three places."""
    told = sentences(text)
    if not told:
        return dict.fromkeys((*QUALITY_CRITERIA, "overall"), 0.0)
    scores = {
        "coherence": _coherence(told),
        "engagement": _engagement(told),
        "characterDevelopment": _character_development(told),
        "plotStructure": _plot_structure(text, told),
        "languageQuality": _language_quality(text, told),
    }
    scores["overall"] = statistics.fmean(scores.values())
    return {name: round(min(1.0, max(0.0, value)), 3) for name, value in scores.items()}


def _content_words(sentence: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(sentence) if w.lower() not in _STOPWORDS}


def _coherence(told: list[str]) -> float:
    if len(told) == 1:
        return 1.0
    pairs = list(itertools.pairwise(told))
    linked = sum(1 for a, b in pairs if _content_words(a) & _content_words(b))
    return linked / len(pairs)


def _engagement(told: list[str]) -> float:
    lengths = [len(_WORD.findall(s)) for s in told]
    mean = statistics.fmean(lengths)
    variety = statistics.pstdev(lengths) / mean if mean else 0.0
    dialogue = sum(1 for s in told if '"' in s) / len(told)
    return 0.5 * min(variety / 0.5, 1.0) + 0.5 * min(dialogue * 3, 1.0)


def _character_development(told: list[str]) -> float:
    names: list[str] = []
    for sentence in told:
        names.extend(w for w in _WORD.findall(sentence)[1:] if w[:1].isupper() and w != "I")
    if not names:
        return 0.0
    recurring = {n for n in names if names.count(n) >= 2}
    share = sum(1 for n in names if n in recurring) / len(names)
    return share * min(len(recurring) / 3, 1.0)


def _plot_structure(text: str, told: list[str]) -> float:
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    ordered = sum(1 for s in told if _CONNECTIVES & {w.lower() for w in _WORD.findall(s)})
    return 0.5 * min(len(paragraphs) / 3, 1.0) + 0.5 * min(ordered / len(told) * 4, 1.0)


def _language_quality(text: str, told: list[str]) -> float:
    tokens = [w.lower() for w in _WORD.findall(text)]
    if not tokens:
        return 0.0
    windows = [tokens[i : i + _WINDOW] for i in range(0, max(len(tokens) - _WINDOW, 0) + 1)]
    diversity = statistics.fmean(len(set(w)) / len(w) for w in windows)
    distinct = len(set(told)) / len(told)
    return diversity * distinct

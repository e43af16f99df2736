"""The chronicler's text cut into chunks as the model streams it: the same text however
the answer arrives, chunks that end with sentences, and a resumed narration that neither
repeats nor loses what was stored."""

from __future__ import annotations

from novel_engine.narrative.steps import CHUNK_MAX, Prose

ANSWER = 'The ferry creaked. Mira asked who kept it!\n\nOld Wren laughed: "I do."  \n'


def chunks_of(pieces: list[str], stored: str = "") -> tuple[list[str], str]:
    prose = Prose(stored)
    chunks = [c for c in (prose.add(p) for p in pieces) if c]
    last = prose.end()
    return [*chunks, *([last] if last else [])], prose.text


def test_the_text_is_the_answer_less_its_trailing_space_however_it_is_cut() -> None:
    cuts = [
        [ANSWER],
        list(ANSWER),
        ["The ferry creaked. ", "Mira asked who kept it!\n\n", 'Old Wren laughed: "I do."  ', "\n"],
        [
            "The ferry",
            " creaked. Mira",
            " asked who kept it!",
            '\n\nOld Wren laughed: "I do',
            '."  \n',
        ],
    ]
    for pieces in cuts:
        chunks, text = chunks_of(pieces)
        assert text == ANSWER.rstrip()
        assert "".join(chunks) == text


def test_chunks_end_with_sentences_and_the_space_after_goes_to_the_next() -> None:
    chunks, _ = chunks_of(list(ANSWER))
    assert chunks == [
        "The ferry creaked.",
        " Mira asked who kept it!",
        '\n\nOld Wren laughed: "I do."',
    ]


def test_a_sentence_ends_a_chunk_when_the_space_after_it_comes_with_the_next_word() -> None:
    tokens = ["The", " ferry", " creaked", ".", " Mira", " asked", " who", " kept", " it", "!"]
    chunks, text = chunks_of(tokens)
    assert chunks == ["The ferry creaked.", " Mira asked who kept it!"]
    assert text == "The ferry creaked. Mira asked who kept it!"


def test_a_long_stretch_without_a_sentence_end_is_cut_at_the_bound() -> None:
    chunks, text = chunks_of(["word "] * 200)
    assert len(chunks) > 1
    assert all(len(c) <= CHUNK_MAX for c in chunks)
    assert "".join(chunks) == text == ("word " * 200).rstrip()


def test_a_resumed_narration_skips_a_model_repeating_what_is_stored() -> None:
    stored = "The ferry creaked."
    chunks, text = chunks_of(list(ANSWER), stored=stored)
    assert text == ANSWER.rstrip()
    assert chunks[0] == " Mira asked who kept it!"


def test_a_resumed_narration_appends_a_model_continuing_it() -> None:
    chunks, text = chunks_of(["Mira asked ", "who kept it."], stored="The ferry creaked.")
    assert text == "The ferry creaked. Mira asked who kept it."
    assert chunks == [" Mira asked who kept it."]

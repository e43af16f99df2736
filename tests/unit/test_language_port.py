"""What a model may be asked, and what a turn learns from its answer."""

from __future__ import annotations

import pytest

from novel_engine.domain.language import CallKey, ModelAnswer, ModelRequest

KEY = CallKey(job_id="job-1", step="narrate")


@pytest.mark.parametrize(("temperature", "max_tokens"), [(-0.1, 10), (2.5, 10), (0.7, 0)])
def test_a_request_a_model_cannot_honour_is_refused(temperature: float, max_tokens: int) -> None:
    with pytest.raises(ValueError, match=r"temperature|max_tokens"):
        ModelRequest(system="", prompt="p", key=KEY, temperature=temperature, max_tokens=max_tokens)


def test_the_model_used_names_provider_and_model() -> None:
    answer = ModelAnswer(text="t", provider="openai", model="llama3.1:8b")
    assert answer.model_used == "openai/llama3.1:8b"

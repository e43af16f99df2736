"""Memory settings: retrieval weights and the reflection threshold, from the environment."""

from __future__ import annotations

import pytest

from novel_engine.domain.memory import RetrievalWeights
from novel_engine.web.settings import ConfigurationError, Settings

KEY = {"NOVEL_ENGINE_SECRET_KEY": "k" * 40}


def test_memory_settings_default_to_generative_agents_weights() -> None:
    settings = Settings.from_env(KEY)
    assert settings.retrieval_weights == RetrievalWeights(0.5, 3.0, 2.0)
    assert settings.reflection_threshold == 25


def test_memory_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **KEY,
            "NOVEL_ENGINE_MEMORY_RECENCY_WEIGHT": "1",
            "NOVEL_ENGINE_MEMORY_RELEVANCE_WEIGHT": "0",
            "NOVEL_ENGINE_MEMORY_IMPORTANCE_WEIGHT": "2.5",
            "NOVEL_ENGINE_REFLECTION_THRESHOLD": "40",
        }
    )
    assert settings.retrieval_weights == RetrievalWeights(1.0, 0.0, 2.5)
    assert settings.reflection_threshold == 40


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOVEL_ENGINE_MEMORY_RECENCY_WEIGHT", "-1"),
        ("NOVEL_ENGINE_MEMORY_RELEVANCE_WEIGHT", "lots"),
        ("NOVEL_ENGINE_MEMORY_IMPORTANCE_WEIGHT", "inf"),
        ("NOVEL_ENGINE_REFLECTION_THRESHOLD", "0"),
        ("NOVEL_ENGINE_REFLECTION_THRESHOLD", "2.5"),
    ],
)
def test_memory_settings_that_cannot_work_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**KEY, name: value})

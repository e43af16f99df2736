"""The language model's configuration: read from the environment, refused when incomplete."""

from __future__ import annotations

import pytest

from novel_engine.web.settings import ConfigurationError, Settings

KEY = {"NOVEL_ENGINE_SECRET_KEY": "k" * 40}
OPENAI = {
    **KEY,
    "NOVEL_ENGINE_LLM_PROVIDER": "openai",
    "NOVEL_ENGINE_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
    "NOVEL_ENGINE_LLM_MODEL": "llama3.1",
}


def test_with_no_configuration_the_offline_model_tells_the_story() -> None:
    settings = Settings.from_env(KEY)
    assert (settings.llm_provider, settings.llm_timeout) == ("offline", 30.0)
    assert settings.gemini_model == "gemini-2.5-flash"


def test_gemini_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **KEY,
            "NOVEL_ENGINE_LLM_PROVIDER": "gemini",
            "GEMINI_API_KEY": "g-key",
            "NOVEL_ENGINE_GEMINI_MODEL": "gemini-2.5-pro",
            "NOVEL_ENGINE_GEMINI_BASE_URL": "https://gateway.example/gemini",
            "NOVEL_ENGINE_LLM_TIMEOUT": "12.5",
        }
    )
    assert (settings.gemini_api_key, settings.gemini_model, settings.gemini_base_url) == (
        "g-key",
        "gemini-2.5-pro",
        "https://gateway.example/gemini",
    )
    assert settings.llm_timeout == 12.5


def test_an_openai_compatible_server_needs_no_key() -> None:
    settings = Settings.from_env(OPENAI)
    assert (settings.llm_provider, settings.llm_base_url, settings.llm_model) == (
        "openai",
        "http://127.0.0.1:11434/v1",
        "llama3.1",
    )
    assert settings.llm_api_key is None
    with_key = Settings.from_env({**OPENAI, "NOVEL_ENGINE_LLM_API_KEY": "sk-local"})
    assert with_key.llm_api_key == "sk-local"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"NOVEL_ENGINE_LLM_PROVIDER": "claude"}, "offline, gemini, openai"),
        ({"NOVEL_ENGINE_LLM_PROVIDER": "gemini"}, "GEMINI_API_KEY"),
        ({**OPENAI, "NOVEL_ENGINE_LLM_BASE_URL": ""}, "NOVEL_ENGINE_LLM_BASE_URL"),
        ({**OPENAI, "NOVEL_ENGINE_LLM_MODEL": ""}, "NOVEL_ENGINE_LLM_MODEL"),
        ({**OPENAI, "NOVEL_ENGINE_LLM_BASE_URL": "127.0.0.1:11434"}, "NOVEL_ENGINE_LLM_BASE_URL"),
        ({"NOVEL_ENGINE_GEMINI_BASE_URL": "ftp://x"}, "NOVEL_ENGINE_GEMINI_BASE_URL"),
        ({"NOVEL_ENGINE_LLM_TIMEOUT": "0"}, "NOVEL_ENGINE_LLM_TIMEOUT"),
        ({"NOVEL_ENGINE_LLM_TIMEOUT": "soon"}, "NOVEL_ENGINE_LLM_TIMEOUT"),
    ],
)
def test_a_model_configuration_that_cannot_work_is_refused_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env({**KEY, **env})

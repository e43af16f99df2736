"""How the server talks to clients: compression and access logs, both off unless asked."""

from __future__ import annotations

import logging

import pytest

from novel_engine.web.frames import WEBSOCKET_LOG, DirectFramesProtocol, uvicorn_options
from novel_engine.web.settings import ConfigurationError, Settings

ENV = {"NOVEL_ENGINE_SECRET_KEY": "k" * 40}


def test_compression_and_access_logs_are_off_by_default() -> None:
    settings = Settings.from_env(ENV)

    options = uvicorn_options(settings.ws_compression, settings.access_log)

    assert options == {
        "ws": DirectFramesProtocol,
        "ws_per_message_deflate": False,
        "access_log": False,
    }
    assert not WEBSOCKET_LOG.isEnabledFor(logging.INFO)
    assert WEBSOCKET_LOG.isEnabledFor(logging.WARNING)


@pytest.mark.parametrize("value", ["on", "1", "TRUE"])
def test_each_is_turned_on_by_its_variable(value: str) -> None:
    settings = Settings.from_env(
        {**ENV, "NOVEL_ENGINE_WS_COMPRESSION": value, "NOVEL_ENGINE_ACCESS_LOG": value}
    )

    options = uvicorn_options(settings.ws_compression, settings.access_log)

    assert options["ws_per_message_deflate"] is True
    assert options["access_log"] is True
    assert WEBSOCKET_LOG.isEnabledFor(logging.INFO)
    uvicorn_options(False, False)


@pytest.mark.parametrize("name", ["NOVEL_ENGINE_WS_COMPRESSION", "NOVEL_ENGINE_ACCESS_LOG"])
def test_a_value_that_is_not_a_switch_is_refused_naming_the_variable(name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**ENV, name: "sometimes"})

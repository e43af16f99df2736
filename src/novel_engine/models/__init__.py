"""Language-model adapters behind the domain's `LanguageModel` port."""

from __future__ import annotations

from novel_engine.models.factory import ModelSettings, build

__all__ = ["ModelSettings", "build"]

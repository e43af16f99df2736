"""GraphQL enums: the domain's own enums, registered with Strawberry and exposed by
member name (UPPER_CASE)."""

from __future__ import annotations

import strawberry

from novel_engine.domain.campaign import CampaignRole
from novel_engine.domain.character import (
    CharacterKind,
    RelationshipType,
    SkillAcquisition,
    Visibility,
)
from novel_engine.domain.coherence import Rule as CoherenceRule
from novel_engine.domain.coherence import Severity as CoherenceSeverity
from novel_engine.domain.errors import ErrorCode
from novel_engine.domain.events import AggregateType
from novel_engine.domain.messagebus import JobStatus
from novel_engine.domain.narration import NarrationStatus
from novel_engine.domain.perception import KnowledgeSource, MemoryKind, Perspective
from novel_engine.domain.session import ActionKind, SessionStatus
from novel_engine.domain.story import GenerationStatus, Genre, PlotPoint, StoryLength, Tone

for _enum in (
    CampaignRole,
    CharacterKind,
    RelationshipType,
    SkillAcquisition,
    Visibility,
    ErrorCode,
    AggregateType,
    Genre,
    PlotPoint,
    Tone,
    StoryLength,
    GenerationStatus,
    ActionKind,
    SessionStatus,
    JobStatus,
    NarrationStatus,
    Perspective,
    KnowledgeSource,
    MemoryKind,
):
    strawberry.enum(_enum)
strawberry.enum(CoherenceSeverity, name="CoherenceSeverity")
strawberry.enum(CoherenceRule, name="CoherenceRule")

__all__ = [
    "ActionKind",
    "AggregateType",
    "CampaignRole",
    "CharacterKind",
    "CoherenceRule",
    "CoherenceSeverity",
    "ErrorCode",
    "GenerationStatus",
    "Genre",
    "JobStatus",
    "KnowledgeSource",
    "MemoryKind",
    "NarrationStatus",
    "Perspective",
    "PlotPoint",
    "RelationshipType",
    "SessionStatus",
    "SkillAcquisition",
    "StoryLength",
    "Tone",
    "Visibility",
]

"""Root mutations. Each returns its result type or one of its error types."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain.character import Skill
from novel_engine.domain.errors import DomainError
from novel_engine.resolvers import campaigns, characters, identity, sessions, stories
from novel_engine.schema.enums import CampaignRole
from novel_engine.schema.errors import (
    AlreadyExistsError,
    AuthenticationRequiredError,
    EmailTakenError,
    ForbiddenError,
    IdempotencyConflictError,
    InvalidCredentialsError,
    InvalidInputError,
    NotFoundError,
    SessionNotActiveError,
    VersionConflict,
    as_error,
)
from novel_engine.schema.inputs import (
    CreateCampaignInput,
    CreateCharacterInput,
    CreateStoryInput,
    FormRelationshipInput,
    GainSkillInput,
    LogInInput,
    PersonalityInput,
    SignUpInput,
    StoryEventInput,
    TurnInput,
    UpdateCharacterInput,
)
from novel_engine.schema.types import (
    AuthPayload,
    Campaign,
    Character,
    DeletedCharacter,
    Info,
    Session,
    Story,
    StoryEvent,
    StoryEventAdded,
    Turn,
    User,
)

AuthResult = Annotated[
    AuthPayload | InvalidInputError | EmailTakenError | InvalidCredentialsError,
    strawberry.union("AuthResult"),
]
CreateCharacterResult = Annotated[
    Character | InvalidInputError | AuthenticationRequiredError,
    strawberry.union("CreateCharacterResult"),
]
_ChangeCharacterErrors = (
    InvalidInputError | NotFoundError | ForbiddenError | AuthenticationRequiredError
)
UpdateCharacterResult = Annotated[
    Character | _ChangeCharacterErrors | VersionConflict,
    strawberry.union("UpdateCharacterResult"),
]
DeleteCharacterResult = Annotated[
    DeletedCharacter | NotFoundError | ForbiddenError | AuthenticationRequiredError,
    strawberry.union("DeleteCharacterResult"),
]
GainSkillResult = Annotated[
    Character | _ChangeCharacterErrors | AlreadyExistsError,
    strawberry.union("GainSkillResult"),
]
FormRelationshipResult = Annotated[
    Character | _ChangeCharacterErrors, strawberry.union("FormRelationshipResult")
]
CreateStoryResult = Annotated[
    Story | InvalidInputError | NotFoundError | AuthenticationRequiredError,
    strawberry.union("CreateStoryResult"),
]
AddStoryEventResult = Annotated[
    StoryEventAdded
    | InvalidInputError
    | NotFoundError
    | ForbiddenError
    | AuthenticationRequiredError,
    strawberry.union("AddStoryEventResult"),
]
CreateCampaignResult = Annotated[
    Campaign | InvalidInputError | AuthenticationRequiredError,
    strawberry.union("CreateCampaignResult"),
]
_ChangeCampaignErrors = (
    InvalidInputError | NotFoundError | ForbiddenError | AuthenticationRequiredError
)
AddCampaignMemberResult = Annotated[
    Campaign | _ChangeCampaignErrors | AlreadyExistsError,
    strawberry.union("AddCampaignMemberResult"),
]
AddCampaignCharacterResult = Annotated[
    Campaign | _ChangeCampaignErrors | AlreadyExistsError,
    strawberry.union("AddCampaignCharacterResult"),
]
UpdateWorldStateResult = Annotated[
    Campaign | _ChangeCampaignErrors | VersionConflict,
    strawberry.union("UpdateWorldStateResult"),
]

StartSessionResult = Annotated[
    Session | _ChangeCampaignErrors | AlreadyExistsError,
    strawberry.union("StartSessionResult"),
]
EndSessionResult = Annotated[
    Session | _ChangeCampaignErrors | SessionNotActiveError,
    strawberry.union("EndSessionResult"),
]
SubmitTurnResult = Annotated[
    Turn | _ChangeCampaignErrors | SessionNotActiveError | IdempotencyConflictError,
    strawberry.union("SubmitTurnResult"),
]


def _personality(value: PersonalityInput | None) -> PersonalityInput:
    return value if value is not None else PersonalityInput()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthResult:
        try:
            auth = await identity.sign_up(
                info.context,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return AuthPayload(token=auth.token, user=User.from_model(auth.user, is_self=True))

    @strawberry.mutation
    async def log_in(self, info: Info, input: LogInInput) -> AuthResult:
        try:
            auth = await identity.log_in(info.context, email=input.email, password=input.password)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return AuthPayload(token=auth.token, user=User.from_model(auth.user, is_self=True))

    @strawberry.mutation
    async def create_character(
        self, info: Info, input: CreateCharacterInput
    ) -> CreateCharacterResult:
        try:
            created = await characters.create_character(
                info.context,
                name=input.name,
                kind=input.kind,
                personality=_personality(input.personality).to_domain(),
                background=input.background,
                visibility=input.visibility,
                skills=[s.to_domain() for s in input.skills or []],
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Character.from_model(created)

    @strawberry.mutation(description="Change a character if `expectedVersion` is current.")
    async def update_character(
        self, info: Info, id: strawberry.ID, input: UpdateCharacterInput, expected_version: int
    ) -> UpdateCharacterResult:
        try:
            changes = input.to_domain()
            updated = await characters.update_character(info.context, id, changes, expected_version)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Character.from_model(updated)

    @strawberry.mutation
    async def delete_character(self, info: Info, id: strawberry.ID) -> DeleteCharacterResult:
        try:
            deleted = await characters.delete_character(info.context, id)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return DeletedCharacter(id=strawberry.ID(str(deleted.id)))

    @strawberry.mutation
    async def gain_skill(
        self, info: Info, character_id: strawberry.ID, input: GainSkillInput
    ) -> GainSkillResult:
        try:
            updated = await characters.gain_skill(
                info.context,
                character_id,
                Skill(input.name, input.level),
                input.acquisition_method,
                input.context,
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Character.from_model(updated)

    @strawberry.mutation
    async def form_relationship(
        self, info: Info, character_id: strawberry.ID, input: FormRelationshipInput
    ) -> FormRelationshipResult:
        try:
            updated = await characters.form_relationship(
                info.context,
                character_id,
                input.related_character_id,
                input.type,
                input.strength,
                input.context,
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Character.from_model(updated)

    @strawberry.mutation
    async def create_story(self, info: Info, input: CreateStoryInput) -> CreateStoryResult:
        try:
            created = await stories.create_story(
                info.context,
                title=input.title,
                genre=input.genre,
                themes=list(input.themes or []),
                tone=input.tone,
                visibility=input.visibility,
                character_ids=list(input.character_ids or []),
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Story.from_model(created)

    @strawberry.mutation
    async def add_story_event(
        self, info: Info, story_id: strawberry.ID, input: StoryEventInput
    ) -> AddStoryEventResult:
        try:
            story, entry = await stories.add_story_event(
                info.context,
                story_id,
                description=input.description,
                plot_point=input.plot_point,
                character_ids=list(input.character_ids or []),
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return StoryEventAdded(story=Story.from_model(story), event=StoryEvent.from_model(entry))

    @strawberry.mutation
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CreateCampaignResult:
        try:
            created = await campaigns.create_campaign(
                info.context,
                name=input.name,
                description=input.description,
                world_state=input.world_state if input.world_state is not None else {},
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Campaign.from_model(created)

    @strawberry.mutation
    async def add_campaign_member(
        self, info: Info, campaign_id: strawberry.ID, email: str, role: CampaignRole
    ) -> AddCampaignMemberResult:
        try:
            campaign = await campaigns.add_member(info.context, campaign_id, email, role)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Campaign.from_model(campaign)

    @strawberry.mutation
    async def add_campaign_character(
        self, info: Info, campaign_id: strawberry.ID, character_id: strawberry.ID
    ) -> AddCampaignCharacterResult:
        try:
            campaign = await campaigns.add_character(info.context, campaign_id, character_id)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Campaign.from_model(campaign)

    @strawberry.mutation(
        description="Apply a JSON merge patch (RFC 7396) if `expectedVersion` is current."
    )
    async def update_world_state(
        self, info: Info, campaign_id: strawberry.ID, patch: JSON, expected_version: int
    ) -> UpdateWorldStateResult:
        try:
            campaign = await campaigns.update_world_state(
                info.context, campaign_id, patch, expected_version
            )
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Campaign.from_model(campaign)

    @strawberry.mutation(description="Open a session; OWNER or GAMEMASTER, one at a time.")
    async def start_session(self, info: Info, campaign_id: strawberry.ID) -> StartSessionResult:
        try:
            started = await sessions.start_session(info.context, campaign_id)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Session.from_model(started)

    @strawberry.mutation
    async def end_session(self, info: Info, session_id: strawberry.ID) -> EndSessionResult:
        try:
            ended = await sessions.end_session(info.context, session_id)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Session.from_model(ended)

    @strawberry.mutation(
        description="Play a turn with characters you control (OWNER and GAMEMASTER may act "
        "for any). With an idempotencyKey, a retry returns the first result."
    )
    async def submit_turn(
        self,
        info: Info,
        session_id: strawberry.ID,
        input: TurnInput,
        idempotency_key: str | None = None,
    ) -> SubmitTurnResult:
        try:
            actions = [
                sessions.action(i, a.character_id, a.kind, a.intent, list(a.target_ids or []))
                for i, a in enumerate(input.actions)
            ]
            turn = await sessions.submit_turn(info.context, session_id, actions, idempotency_key)
        except DomainError as exc:
            return as_error(exc)  # type: ignore[return-value]
        return Turn.from_model(turn)

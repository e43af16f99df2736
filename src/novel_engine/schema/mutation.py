"""Root mutations. Each returns its result type or one of its error types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain.character import Skill
from novel_engine.domain.errors import DomainError
from novel_engine.domain.story import Story as StoryModel
from novel_engine.domain.story import StoryEntry
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


T = TypeVar("T")


async def attempt(run: Callable[[], Awaitable[T]], present: Callable[[T], Any]) -> Any:
    """Run a command; present its result, or the error type of the DomainError it raised.

    `run` is called inside the try: building domain values from the input (a trait out
    of range, a malformed id) may itself be the expected failure.
    """
    try:
        result = await run()
    except DomainError as exc:
        return as_error(exc)
    return present(result)


def _personality(value: PersonalityInput | None) -> PersonalityInput:
    return value if value is not None else PersonalityInput()


def _auth_payload(auth: identity.Authenticated) -> AuthPayload:
    return AuthPayload(token=auth.token, user=User.from_model(auth.user, is_self=True))


def _story_event_added(added: tuple[StoryModel, StoryEntry]) -> StoryEventAdded:
    story, entry = added
    return StoryEventAdded(story=Story.from_model(story), event=StoryEvent.from_model(entry))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthResult:
        return await attempt(
            lambda: identity.sign_up(
                info.context,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
            ),
            _auth_payload,
        )

    @strawberry.mutation
    async def log_in(self, info: Info, input: LogInInput) -> AuthResult:
        return await attempt(
            lambda: identity.log_in(info.context, email=input.email, password=input.password),
            _auth_payload,
        )

    @strawberry.mutation
    async def create_character(
        self, info: Info, input: CreateCharacterInput
    ) -> CreateCharacterResult:
        return await attempt(
            lambda: characters.create_character(
                info.context,
                name=input.name,
                kind=input.kind,
                personality=_personality(input.personality).to_domain(),
                background=input.background,
                visibility=input.visibility,
                skills=[s.to_domain() for s in input.skills or []],
            ),
            Character.from_model,
        )

    @strawberry.mutation(description="Change a character if `expectedVersion` is current.")
    async def update_character(
        self, info: Info, id: strawberry.ID, input: UpdateCharacterInput, expected_version: int
    ) -> UpdateCharacterResult:
        return await attempt(
            lambda: characters.update_character(
                info.context, id, input.to_domain(), expected_version
            ),
            Character.from_model,
        )

    @strawberry.mutation
    async def delete_character(self, info: Info, id: strawberry.ID) -> DeleteCharacterResult:
        return await attempt(
            lambda: characters.delete_character(info.context, id),
            lambda deleted: DeletedCharacter(id=strawberry.ID(str(deleted.id))),
        )

    @strawberry.mutation
    async def gain_skill(
        self, info: Info, character_id: strawberry.ID, input: GainSkillInput
    ) -> GainSkillResult:
        return await attempt(
            lambda: characters.gain_skill(
                info.context,
                character_id,
                Skill(input.name, input.level),
                input.acquisition_method,
                input.context,
            ),
            Character.from_model,
        )

    @strawberry.mutation
    async def form_relationship(
        self, info: Info, character_id: strawberry.ID, input: FormRelationshipInput
    ) -> FormRelationshipResult:
        return await attempt(
            lambda: characters.form_relationship(
                info.context,
                character_id,
                input.related_character_id,
                input.type,
                input.strength,
                input.context,
            ),
            Character.from_model,
        )

    @strawberry.mutation
    async def create_story(self, info: Info, input: CreateStoryInput) -> CreateStoryResult:
        return await attempt(
            lambda: stories.create_story(
                info.context,
                title=input.title,
                genre=input.genre,
                themes=list(input.themes or []),
                tone=input.tone,
                visibility=input.visibility,
                character_ids=list(input.character_ids or []),
            ),
            Story.from_model,
        )

    @strawberry.mutation
    async def add_story_event(
        self, info: Info, story_id: strawberry.ID, input: StoryEventInput
    ) -> AddStoryEventResult:
        return await attempt(
            lambda: stories.add_story_event(
                info.context,
                story_id,
                description=input.description,
                plot_point=input.plot_point,
                character_ids=list(input.character_ids or []),
            ),
            _story_event_added,
        )

    @strawberry.mutation
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CreateCampaignResult:
        return await attempt(
            lambda: campaigns.create_campaign(
                info.context,
                name=input.name,
                description=input.description,
                world_state=input.world_state if input.world_state is not None else {},
            ),
            Campaign.from_model,
        )

    @strawberry.mutation
    async def add_campaign_member(
        self, info: Info, campaign_id: strawberry.ID, email: str, role: CampaignRole
    ) -> AddCampaignMemberResult:
        return await attempt(
            lambda: campaigns.add_member(info.context, campaign_id, email, role),
            Campaign.from_model,
        )

    @strawberry.mutation
    async def add_campaign_character(
        self, info: Info, campaign_id: strawberry.ID, character_id: strawberry.ID
    ) -> AddCampaignCharacterResult:
        return await attempt(
            lambda: campaigns.add_character(info.context, campaign_id, character_id),
            Campaign.from_model,
        )

    @strawberry.mutation(
        description="Apply a JSON merge patch (RFC 7396) if `expectedVersion` is current."
    )
    async def update_world_state(
        self, info: Info, campaign_id: strawberry.ID, patch: JSON, expected_version: int
    ) -> UpdateWorldStateResult:
        return await attempt(
            lambda: campaigns.update_world_state(
                info.context, campaign_id, patch, expected_version
            ),
            Campaign.from_model,
        )

    @strawberry.mutation(description="Open a session; OWNER or GAMEMASTER, one at a time.")
    async def start_session(self, info: Info, campaign_id: strawberry.ID) -> StartSessionResult:
        return await attempt(
            lambda: sessions.start_session(info.context, campaign_id), Session.from_model
        )

    @strawberry.mutation
    async def end_session(self, info: Info, session_id: strawberry.ID) -> EndSessionResult:
        return await attempt(
            lambda: sessions.end_session(info.context, session_id), Session.from_model
        )

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
        return await attempt(
            lambda: sessions.submit_turn(
                info.context,
                session_id,
                [
                    sessions.action(i, a.character_id, a.kind, a.intent, list(a.target_ids or []))
                    for i, a in enumerate(input.actions)
                ],
                idempotency_key,
            ),
            Turn.from_model,
        )

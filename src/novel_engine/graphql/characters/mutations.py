"""Creating, changing and deleting characters."""

from __future__ import annotations

import strawberry

from novel_engine.domain import commands, errors
from novel_engine.domain.character import Relationship, Skill
from novel_engine.domain.services import characters as service
from novel_engine.graphql.characters.inputs import (
    CreateCharacterInput,
    FormRelationshipInput,
    GainSkillInput,
    UpdateCharacterInput,
)
from novel_engine.graphql.characters.types import Character, DeletedCharacter
from novel_engine.graphql.context import Info
from novel_engine.graphql.errors import Error, ResultUnion
from novel_engine.graphql.ids import require_id

_CHANGE_ERRORS = (
    errors.InvalidInput,
    errors.NotFound,
    errors.Forbidden,
    errors.AuthenticationRequired,
)
CreateCharacterResult = ResultUnion(
    "CreateCharacterResult", Character, errors.InvalidInput, errors.AuthenticationRequired
)
UpdateCharacterResult = ResultUnion(
    "UpdateCharacterResult", Character, *_CHANGE_ERRORS, errors.VersionConflict
)
DeleteCharacterResult = ResultUnion(
    "DeleteCharacterResult",
    DeletedCharacter,
    errors.NotFound,
    errors.Forbidden,
    errors.AuthenticationRequired,
)
GainSkillResult = ResultUnion("GainSkillResult", Character, *_CHANGE_ERRORS, errors.AlreadyExists)
FormRelationshipResult = ResultUnion("FormRelationshipResult", Character, *_CHANGE_ERRORS)


@strawberry.type
class CharactersMutation:
    @strawberry.mutation(graphql_type=CreateCharacterResult.annotation)
    async def create_character(self, info: Info, input: CreateCharacterInput) -> Character | Error:
        ctx = info.context
        return await CreateCharacterResult.attempt(
            lambda: service.create_character(ctx.uow(), ctx.actor(), input.to_command()),
            Character.from_model,
        )

    @strawberry.mutation(
        description="Change a character if `expectedVersion` is current.",
        graphql_type=UpdateCharacterResult.annotation,
    )
    async def update_character(
        self, info: Info, id: strawberry.ID, input: UpdateCharacterInput, expected_version: int
    ) -> Character | Error:
        ctx = info.context
        return await UpdateCharacterResult.attempt(
            lambda: service.update_character(
                ctx.uow(),
                ctx.actor(),
                commands.UpdateCharacter(
                    require_id(id, "id", "character"), input.to_domain(), expected_version
                ),
            ),
            Character.from_model,
        )

    @strawberry.mutation(graphql_type=DeleteCharacterResult.annotation)
    async def delete_character(self, info: Info, id: strawberry.ID) -> DeletedCharacter | Error:
        ctx = info.context
        return await DeleteCharacterResult.attempt(
            lambda: service.delete_character(
                ctx.uow(), ctx.actor(), commands.DeleteCharacter(require_id(id, "id", "character"))
            ),
            lambda deleted: DeletedCharacter(id=strawberry.ID(str(deleted.id))),
        )

    @strawberry.mutation(graphql_type=GainSkillResult.annotation)
    async def gain_skill(
        self, info: Info, character_id: strawberry.ID, input: GainSkillInput
    ) -> Character | Error:
        ctx = info.context
        return await GainSkillResult.attempt(
            lambda: service.gain_skill(
                ctx.uow(),
                ctx.actor(),
                commands.GainSkill(
                    require_id(character_id, "characterId", "character"),
                    Skill(input.name, input.level),
                    input.acquisition_method,
                    input.context,
                ),
            ),
            Character.from_model,
        )

    @strawberry.mutation(graphql_type=FormRelationshipResult.annotation)
    async def form_relationship(
        self, info: Info, character_id: strawberry.ID, input: FormRelationshipInput
    ) -> Character | Error:
        ctx = info.context
        return await FormRelationshipResult.attempt(
            lambda: service.form_relationship(
                ctx.uow(),
                ctx.actor(),
                commands.FormRelationship(
                    require_id(character_id, "characterId", "character"),
                    Relationship(
                        require_id(input.related_character_id, "relatedCharacterId", "character"),
                        input.type,
                        input.strength,
                        input.context,
                    ),
                ),
            ),
            Character.from_model,
        )

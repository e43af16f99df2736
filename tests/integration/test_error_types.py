"""Every domain error has its GraphQL error type, derived rather than listed by hand."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from strawberry.printer import print_schema

import novel_engine.domain
from novel_engine.domain import errors
from novel_engine.graphql.errors import Error, ResultUnion, domain_errors, error_type
from novel_engine.graphql.schema import build_schema


def every_domain_module() -> None:
    for module in pkgutil.walk_packages(novel_engine.domain.__path__, "novel_engine.domain."):
        importlib.import_module(module.name)


def test_every_domain_error_has_a_graphql_type_in_the_schema() -> None:
    # given: every domain error there is
    every_domain_module()
    defined = list(domain_errors())

    # when
    schema = build_schema()
    sdl = print_schema(schema)

    # then
    assert errors.EmailTaken in defined
    for error in defined:
        graphql_type = schema.get_type_by_name(error_type(error).__name__)
        assert graphql_type is not None, error
        assert f"type {error_type(error).__name__} implements Error" in sdl, error
    assert error_type(errors.NotFound).__name__ == "NotFoundError"
    assert error_type(errors.VersionConflict).__name__ == "VersionConflict"
    assert "currentVersion: Int!" in sdl


class ForbiddenRead(errors.Forbidden):
    """A kind of Forbidden that mutations listing Forbidden answer as ForbiddenError."""


async def test_a_result_union_answers_its_listed_errors_as_data() -> None:
    union = ResultUnion("R", Error, errors.Forbidden)

    async def refuse() -> None:
        raise ForbiddenRead("Not yours.")

    answer = await union.attempt(refuse, lambda _: None)

    assert isinstance(answer, error_type(errors.Forbidden))
    assert (answer.code, answer.message) == (errors.ErrorCode.FORBIDDEN, "Not yours.")


async def test_a_domain_error_the_union_does_not_list_keeps_its_message() -> None:
    union = ResultUnion("R", Error, errors.InvalidInput)

    async def missing() -> None:
        raise errors.NotFound("No campaign with this id.", "campaignId")

    with pytest.raises(errors.NotFound, match="No campaign"):
        await union.attempt(missing, lambda _: None)

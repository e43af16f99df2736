"""Inputs of the identity area."""

from __future__ import annotations

import strawberry


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str


@strawberry.input
class LogInInput:
    email: str
    password: str

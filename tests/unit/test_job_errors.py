"""What a campaign's owners are shown of a job's failure."""

from __future__ import annotations

from novel_engine.persistence.jobs import ERROR_MAX, public_error


def test_a_failure_shows_its_type_and_first_line_only() -> None:
    error = RuntimeError("insert failed\n[SQL: INSERT INTO users VALUES ($1)]\n[parameters: x]")
    assert public_error(error) == "RuntimeError: insert failed"


def test_credentials_in_urls_are_blotted_out() -> None:
    error = ValueError(
        "Client error '403' for url 'https://h/v1beta/models/m:generateContent?key=AIzaSECRET&alt=sse'"
    )
    shown = public_error(error)
    assert "SECRET" not in shown
    assert "?key=…&alt=sse" in shown


def test_a_long_message_is_cut_and_an_empty_one_names_the_type() -> None:
    assert len(public_error(ValueError("x" * 5_000))) == ERROR_MAX
    assert public_error(TimeoutError()) == "TimeoutError"

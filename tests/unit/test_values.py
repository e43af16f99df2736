import json

import pytest

from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.user import check_password, normalize_email
from novel_engine.domain.values import require_json_object, require_text

# What a client's JSON escapes decode to: a lone surrogate, and a correctly paired one.
LONE = json.loads('"\\ud800"')
PAIRED = json.loads('"\\ud83d\\ude00"')


def test_text_with_a_lone_surrogate_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        require_text(f"Mira{LONE}", "name", max_length=200)
    assert caught.value.field == "name"
    assert "surrogate" in caught.value.message
    assert require_text(f"Mira {PAIRED}", "name", max_length=200) == "Mira 😀"


@pytest.mark.parametrize(
    "document",
    [
        {"weather": LONE},
        {LONE: "rain"},
        {"places": {"pier": [1, {"note": f"x{LONE}"}]}},
    ],
)
def test_json_with_a_lone_surrogate_anywhere_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        require_json_object(document, "patch")
    assert caught.value.field == "patch"


def test_text_and_json_with_a_nul_are_refused() -> None:
    with pytest.raises(InvalidInput):
        require_text("Mira\x00Vey", "name", max_length=200)
    with pytest.raises(InvalidInput) as caught:
        require_json_object({"note": "a\x00b"}, "patch")
    assert caught.value.field == "patch"


def test_json_size_is_counted_in_utf8_bytes() -> None:
    assert require_json_object({"note": PAIRED * 60_000}, "patch")
    with pytest.raises(InvalidInput):
        require_json_object({"note": PAIRED * 70_000}, "patch")


def test_emails_and_passwords_with_a_lone_surrogate_are_refused() -> None:
    with pytest.raises(InvalidInput) as email:
        normalize_email(f"ada{LONE}@example.com")
    with pytest.raises(InvalidInput) as password:
        check_password(f"long enough{LONE}")
    assert (email.value.field, password.value.field) == ("email", "password")

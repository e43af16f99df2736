"""The job pool's two settings: read from the environment, refused when they cannot work."""

from __future__ import annotations

import pytest

from novel_engine.web.settings import ConfigurationError, Settings

KEY = {"NOVEL_ENGINE_SECRET_KEY": "k" * 40}


def test_job_settings_default_to_four_jobs_under_thirty_second_leases() -> None:
    settings = Settings.from_env(KEY)
    assert (settings.job_concurrency, settings.job_lease_seconds) == (4, 30.0)


def test_job_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {**KEY, "NOVEL_ENGINE_JOB_CONCURRENCY": "12", "NOVEL_ENGINE_JOB_LEASE_SECONDS": "2.5"}
    )
    assert (settings.job_concurrency, settings.job_lease_seconds) == (12, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOVEL_ENGINE_JOB_CONCURRENCY", "0"),
        ("NOVEL_ENGINE_JOB_CONCURRENCY", "2.5"),
        ("NOVEL_ENGINE_JOB_CONCURRENCY", "many"),
        ("NOVEL_ENGINE_JOB_LEASE_SECONDS", "-1"),
        ("NOVEL_ENGINE_JOB_LEASE_SECONDS", "nan"),
        ("NOVEL_ENGINE_JOB_LEASE_SECONDS", "inf"),
    ],
)
def test_job_settings_that_cannot_work_are_refused_naming_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**KEY, name: value})

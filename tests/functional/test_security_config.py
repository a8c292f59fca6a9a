"""The environment decides production mode exactly: a known name in any letter case, or a
clear refusal (issue 9 §4). Run as a separate ``vool`` process, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VOOL = str(Path(sys.executable).with_name("vool"))
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 30 + "production-test-key-with-enough-entropy-123456",
    "VOOL_ALLOWED_HOSTS": "vool.example.com",
}
PRINT_MODE = "from django.conf import settings; print(settings.VOOL_ENV, settings.DEBUG)"


def clean_env(**overrides: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**base, **overrides}


def vool(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VOOL, *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=120,
        check=False,
    )


class TestVoolEnv:
    def test_production_in_capitals_is_production_without_debug(self):
        result = vool("shell", "-c", PRINT_MODE, VOOL_ENV="Production", **PRODUCTION_ENV)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1].split() == ["production", "False"]

    def test_an_unknown_name_stops_every_command_with_a_clear_error(self):
        result = vool("check", VOOL_ENV="prod", **PRODUCTION_ENV)
        assert result.returncode != 0
        assert "VOOL_ENV='prod' is not known; use one of: development, production." in (
            result.stderr
        )

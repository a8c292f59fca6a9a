from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VOOL = str(Path(sys.executable).with_name("vool"))


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process, without what the browser tests set for themselves."""
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**base, **overrides}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VOOL, *args],
        capture_output=True,
        text=True,
        env=clean_env(**(env or {})),
        timeout=120,
        check=False,
    )


class TestVoolCommand:
    def test_lists_our_commands(self):
        result = run("help")
        assert result.returncode == 0
        assert "demo" in result.stdout

    def test_production_check_deploy_is_clean(self):
        result = run(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            env={
                "VOOL_ENV": "production",
                "SECRET_KEY": "x" * 30 + "production-test-key-with-enough-entropy-123456",
                "VOOL_ALLOWED_HOSTS": "vool.example.com",
            },
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_production_without_secret_key_fails_clearly(self):
        env = {"VOOL_ENV": "production"}
        result = subprocess.run(
            [VOOL, "check"],
            capture_output=True,
            text=True,
            env={k: v for k, v in clean_env(**env).items() if k != "SECRET_KEY"},
            timeout=120,
            check=False,
        )
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

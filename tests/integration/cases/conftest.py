from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from mail_server import mailbox  # noqa: F401 (a fixture: a local SMTP server)


@pytest.fixture(autouse=True)
def cases_setup(tmp_path: Path, settings: Any) -> Any:
    settings.VOOL_CASE_ATTACHMENTS_DIR = tmp_path / "attachments"
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield

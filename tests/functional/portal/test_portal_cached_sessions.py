"""Portal sessions kept in a shared Redis cache (``VOOL_CACHE_URL``, ``cached_db``): signed in,
the page reads the session from the cache (no session query), and a sign-out ends the
session for every server process (the cookie of a signed-out session no longer opens a page,
though its cached copy was read before). Needs Redis on 127.0.0.1:6379 (skipped without)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from factories import PersonFactory
from vool.config.settings import cache_settings

pytestmark = pytest.mark.django_db
REDIS = "redis://127.0.0.1:6379/1"


@pytest.fixture
def redis_sessions(settings):  # type: ignore[no-untyped-def]
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    caches, engine = cache_settings(REDIS)
    caches["default"]["KEY_PREFIX"] = f"vool-test-{uuid.uuid4().hex}"  # nobody else's keys
    settings.CACHES, settings.SESSION_ENGINE = caches, engine
    yield
    cache.clear()


def test_a_signed_in_page_reads_the_session_from_the_cache_and_sign_out_ends_it(
    redis_sessions,
) -> None:
    user = get_user_model().objects.create_user("mari", password="kask-ja-mand-7")
    PersonFactory(first_name="Mari", user=user)
    browser = Client()
    signed_in = browser.post("/portal/login/", {"username": "mari", "password": "kask-ja-mand-7"})
    assert signed_in.status_code == 302
    cookie = browser.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"]]
    assert browser.post("/portal/logout/").status_code == 302
    other = Client()  # the old cookie, as in another tab or another server process
    other.cookies["sessionid"] = cookie
    assert other.get("/portal/").status_code == 302  # to the sign-in

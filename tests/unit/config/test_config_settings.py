"""Settings read from the environment: VOOL_ENV is one of the known names, and the local
secret key is private to its owner (issue 9 §4)."""

from __future__ import annotations

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from vool.config.settings import cache_settings, local_secret_key, parse_vool_env


class TestVoolEnv:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, "development"),
            ("production", "production"),
            ("Production", "production"),
            (" PRODUCTION ", "production"),
            ("Development", "development"),
        ],
    )
    def test_known_names_in_any_case(self, value, expected):
        assert parse_vool_env(value) == expected

    @pytest.mark.parametrize("value", ["prod", "staging", "", "productionn"])
    def test_anything_else_is_refused_naming_the_value_and_the_choices(self, value):
        with pytest.raises(ImproperlyConfigured) as refused:
            parse_vool_env(value)
        assert f"VOOL_ENV={value!r} is not known" in str(refused.value)
        assert "development, production" in str(refused.value)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestLocalSecretKey:
    def test_a_new_key_is_readable_by_its_owner_only(self, tmp_path):
        key = local_secret_key(tmp_path / "var")
        assert len(key) >= 50
        assert mode(tmp_path / "var" / "secret_key") == 0o600

    def test_an_existing_world_readable_key_is_tightened_and_kept(self, tmp_path):
        path = tmp_path / "secret_key"
        path.write_text("the-old-key\n")
        path.chmod(0o644)
        assert local_secret_key(tmp_path) == "the-old-key"
        assert mode(path) == 0o600

    def test_the_key_is_stable(self, tmp_path):
        assert local_secret_key(tmp_path) == local_secret_key(tmp_path)


class TestCacheSettings:
    def test_without_a_url_sessions_stay_in_the_database(self):
        caches, sessions = cache_settings("")
        assert caches["default"]["BACKEND"].endswith("LocMemCache")
        assert sessions == "django.contrib.sessions.backends.db"

    def test_a_redis_url_keeps_sessions_in_it_and_the_database(self):
        caches, sessions = cache_settings("redis://127.0.0.1:6379/1")
        assert caches["default"]["BACKEND"].endswith("RedisCache")
        assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/1"
        assert sessions == "django.contrib.sessions.backends.cached_db"

    def test_anything_else_is_refused_naming_the_value(self):
        with pytest.raises(ImproperlyConfigured, match="VOOL_CACHE_URL='memcached://x'"):
            cache_settings("memcached://x")

"""Production needs a cache that every web process shares (the API rate limits are counted there):
the settings refuse to start without CACHE_URL when DEBUG is off, and ``check --deploy`` warns about
a cache that each process keeps for itself."""

import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.core.checks import Tags, run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]


def _cache_warnings(cache_url: str, *, debug: bool) -> list[str]:
    with override_settings(DEBUG=debug, CACHES={"default": environ.Env.cache_url_config(cache_url)}):
        return [message.id for message in run_checks(tags=[Tags.caches], include_deployment_checks=True) if message.id.startswith("oms.")]


@pytest.mark.parametrize("cache_url", ["locmemcache://", "dummycache://", "filecache:///tmp/oms-cache", "dbcache://oms_cache"])
def test_given_debug_off_and_a_cache_each_process_counts_alone_then_check_deploy_warns(cache_url):
    assert _cache_warnings(cache_url, debug=False) == ["oms.W001"]


def test_given_redis_as_cache_then_check_deploy_is_silent():
    assert _cache_warnings("rediscache://127.0.0.1:6379/1", debug=False) == []


def test_rediscache_urls_mean_djangos_own_redis_backend():
    assert environ.Env.cache_url_config("rediscache://127.0.0.1:6379/1")["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_given_debug_on_then_per_process_memory_is_fine():
    assert _cache_warnings("locmemcache://", debug=True) == []


def test_given_debug_off_and_no_cache_url_then_the_settings_refuse_to_start():
    env = {name: value for name, value in os.environ.items() if name != "CACHE_URL"}
    env.update(DEBUG="false", SECRET_KEY="s" * 60, DJANGO_SETTINGS_MODULE="config.settings")

    run = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert run.returncode != 0
    assert "Set the CACHE_URL environment variable" in run.stderr

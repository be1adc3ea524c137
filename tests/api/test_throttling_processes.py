"""Rate limits hold across web processes: two gunicorn servers on Redis count one key against one limit."""

import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

from oms.api.throttling import WINDOW_SECONDS
from oms.models import ApiKey

from ..processes import REDIS_HOST, REDIS_PORT, database_url, free_port, needs_redis, process_stop

REDIS_DB = 9
LIMIT = 5
REQUESTS = 12
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, needs_redis("for the cache the two servers share")]


def _get(port: int, raw_key: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/api/v1/locations/", headers={"Authorization": f"Api-Key {raw_key}"} if raw_key else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def two_servers(transactional_db):
    """Two gunicorn servers (one worker each, so two processes that share no memory) on the test
    database and a Redis cache of our own; yields their ports once both answer."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CACHE_URL": f"rediscache://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        "LOG_LEVEL": "WARNING",
    }
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    ports, processes = [free_port(), free_port()], []
    try:
        for port in ports:
            command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"]
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        for port, process in zip(ports, processes):
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(port)  # no key: refused, but served
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"gunicorn on port {port} did not start; log:\n{Path(log.name).read_text()[-3000:]}")
                    time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process_stop(process)
        log.close()
        os.unlink(log.name)


def _key_limited_to(limit: int, *, name: str) -> tuple[str, str]:
    key, raw_key = ApiKey.generate(name=name)
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=limit)
    return key.prefix, raw_key


def test_given_a_key_limited_to_5_a_minute_when_two_processes_share_its_requests_then_5_are_served_in_all(two_servers):
    counters = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=2)
    prefixes = []
    try:
        # The limit counts per clock minute; should the minute turn during the burst, its counts
        # are split over two windows, so the burst runs once more with a new key in the fresh minute.
        for attempt in range(2):
            prefix, raw_key = _key_limited_to(LIMIT, name=f"shop {attempt + 1}")  # key names are unique
            prefixes.append(prefix)
            window = time.time() // WINDOW_SECONDS
            answers = [_get(two_servers[i % 2], raw_key) for i in range(REQUESTS)]
            if time.time() // WINDOW_SECONDS == window:
                break

        assert [answer.status for answer in answers] == [200] * LIMIT + [429] * (REQUESTS - LIMIT)
        assert {two_servers[i % 2] for i in range(LIMIT)} == set(two_servers)  # both processes served some
        waits = [int(answer.getheader("Retry-After")) for answer in answers[LIMIT:]]
        assert all(1 <= wait <= WINDOW_SECONDS for wait in waits)
    finally:
        for prefix in prefixes:  # only this test's counters; the database is shared with nobody else's keys
            for counter in counters.scan_iter(match=f"*oms:throttle:key:{prefix}:*"):
                counters.delete(counter)

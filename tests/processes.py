"""For tests that start real processes (a Celery worker, gunicorn) on the test database and Redis."""

import socket
import subprocess

import pytest
from django.conf import settings

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_up() -> bool:
    """Whether Redis answers PING on REDIS_HOST:REDIS_PORT."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def needs_redis(why: str):
    """A mark that skips, saying so, the tests that need Redis when it does not answer."""
    return pytest.mark.skipif(not redis_up(), reason=f"needs Redis on {REDIS_HOST}:{REDIS_PORT} {why}")


def database_url() -> str:
    """DATABASE_URL of the test database (a process started by a test reads what the test committed)."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_stop(process: subprocess.Popen) -> None:
    """Ask the process to stop; kill it if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)

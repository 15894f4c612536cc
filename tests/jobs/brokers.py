"""Real brokers for the Celery back end's tests, each test run on its own: a private Redis database
number (on localhost's Redis, else on a `redis-server` started here on a private port) and a private
RabbitMQ virtual host (created with `rabbitmqctl`); skipped with the reason when neither can be had."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REDIS_URL = os.environ.get("OCRGATE_TEST_REDIS", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("OCRGATE_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672")


def _answers(url: str) -> bool:
    host_port = url.split("@")[-1].split("://")[-1].split("/")[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_broker() -> Iterator[str]:
    """A Redis database of this test's own (emptied afterwards)."""
    import redis

    started = None
    base = REDIS_URL
    if not _answers(base):
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip(f"no Redis answers at {REDIS_URL} and redis-server is not installed")
        port = _free_port()
        folder = tempfile.mkdtemp(prefix="ocrgate-redis-")
        started = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", folder], stdout=subprocess.DEVNULL)
        base = f"redis://127.0.0.1:{port}"
        for _ in range(100):
            if _answers(base):
                break
            time.sleep(0.1)
    url = f"{base}/{int(uuid.uuid4().int % 14) + 1}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
        if started is not None:
            started.kill()
            started.wait()


@contextmanager
def rabbitmq_broker() -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own (deleted afterwards)."""
    if not _answers(RABBITMQ_URL):
        pytest.skip(f"no RabbitMQ answers at {RABBITMQ_URL}")
    control = shutil.which("rabbitmqctl")
    if control is None:
        pytest.skip("rabbitmqctl is not installed: cannot make a private virtual host")
    vhost = f"ocrgate-test-{uuid.uuid4().hex[:10]}"
    user = RABBITMQ_URL.split("://")[1].split(":")[0]
    subprocess.run([control, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run([control, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True,
                   capture_output=True, timeout=60)
    try:
        yield f"{RABBITMQ_URL}/{vhost}"
    finally:
        subprocess.run([control, "delete_vhost", vhost], capture_output=True, timeout=60)


BROKERS = {"redis": redis_broker, "rabbitmq": rabbitmq_broker}

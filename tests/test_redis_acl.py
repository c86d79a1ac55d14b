"""Each service's Redis user reaches its own keys and the queues it sends to, nothing else."""

from __future__ import annotations

import uuid

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from redis.backoff import NoBackoff
from redis.retry import Retry

from bunri_shared.messaging import message
from devstack.testing import RunningStack
from waste.contract import ANALYZE_WASTE


def _client(running: RunningStack, user: str) -> redis.Redis:
    url = running.stack.servers.redis_users.get(f"bunri-{user}")
    if url is None:
        pytest.skip("Redis ACL users exist on the embedded server only (REDIS_URL was given)")
    return redis.Redis.from_url(url)


def _refused(call) -> None:
    # NOPERM for a command; inside Dramatiq's Lua script it arrives as "ACL failure".
    with pytest.raises(redis.exceptions.ResponseError, match=r"(?i)no permissions|ACL failure"):
        call()


def test_redis_needs_a_password(running: RunningStack) -> None:
    if not running.stack.servers.redis_users:
        pytest.skip("Redis ACL users exist on the embedded server only (REDIS_URL was given)")
    host, port = "127.0.0.1", int(running.stack.servers.redis_url.rsplit(":", 1)[1].split("/")[0])
    # No retries: redis-py would try the refused connection again, with seconds of back-off.
    no_retries = Retry(NoBackoff(), retries=0)
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host=host, port=port, retry=no_retries).set("waste:x", "1")


def test_a_service_cannot_touch_another_services_keys(running: RunningStack) -> None:
    admin = redis.Redis.from_url(running.stack.servers.redis_url)
    admin.set("auth:login:address:probe", "1")
    admin.set("users:probe", "1")
    waste, auth = _client(running, "waste"), _client(running, "auth")
    # Its own keys: fine.
    waste.set("waste:probe", "1")
    auth.set("auth:probe", "1")
    # Another service's rate limits: neither read nor cleared.
    _refused(lambda: waste.get("auth:login:address:probe"))
    _refused(lambda: waste.delete("auth:login:address:probe"))
    _refused(lambda: auth.delete("waste:probe"))
    # Another service's keys: nobody else reads them (auth sends users messages, no more).
    _refused(lambda: auth.get("users:probe"))
    _refused(lambda: waste.get("users:probe"))
    _refused(lambda: _client(running, "locations").get("users:probe"))
    _refused(lambda: auth.get("users:points:probe"))
    # No administration: FLUSHALL, CONFIG and friends are the administrator's.
    _refused(lambda: waste.flushall())
    _refused(lambda: auth.config_get("requirepass"))
    assert admin.get("auth:login:address:probe") == b"1"


def test_a_service_sends_only_the_messages_it_owns(running: RunningStack) -> None:
    auth = RedisBroker(client=_client(running, "auth"), maintenance_chance=0)
    users = RedisBroker(client=_client(running, "users"), maintenance_chance=0)
    job = message(ANALYZE_WASTE, analysis_id=str(uuid.uuid4()))
    # Only waste starts analyses; auth and users may not (not sent for real elsewhere: a
    # bogus message would reach a worker).
    _refused(lambda: auth.enqueue(job))
    _refused(lambda: users.enqueue(job))
    recycling = _client(running, "recycling")
    _refused(lambda: recycling.lpush("dramatiq:users", "x"))
    _refused(lambda: recycling.publish("waste:analysis:x", "forged progress"))


def test_compose_gives_every_service_the_same_acl_user() -> None:
    import yaml

    from devstack.paths import REPO_ROOT
    from devstack.redis_acl import rules

    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    script = services["redis"]["command"][0]
    declared = {
        line.split()[1]: " ".join(line.split()[4:])
        for line in script.splitlines()
        if line.startswith("user bunri-")
    }
    assert declared == rules()
    for user in rules():
        service = user.removeprefix("bunri-")
        assert services[service]["environment"]["REDIS_URL"].startswith(f"redis://{user}:")

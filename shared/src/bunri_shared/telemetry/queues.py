"""Dramatiq queue depth and oldest-message age, read from the Redis keys RedisBroker uses.

RedisBroker keeps, per queue `q` under namespace `ns` (see dramatiq's dispatch.lua):
`ns:q` a list of message ids (RPUSH to enqueue, LPOP to fetch: the head is the oldest),
`ns:q.msgs` a hash id → encoded message, `ns:q.DQ` / `ns:q.DQ.msgs` the same for delayed
messages (retries waiting out their back-off), `ns:q.XQ` a sorted set of dead letters.
Read at scrape time by the subgraph that owns the queue, which is up even when every
worker is stopped: that is when the depth matters.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis


class QueueCollector(Collector):
    def __init__(self, redis_url: str, queues: Iterable[str], namespace: str = "dramatiq") -> None:
        self.queues = sorted(set(queues))
        self.namespace = namespace
        # Scrapes must not hang on a slow Redis: a short timeout, an error metric instead.
        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    def describe(self) -> Iterator[Any]:  # no Redis round trip at registration time
        return iter(())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "bunri_queue_messages", "Messages waiting in a Dramatiq queue", labels=["queue"]
        )
        delayed = GaugeMetricFamily(
            "bunri_queue_delayed_messages",
            "Messages waiting out a delay or retry back-off",
            labels=["queue"],
        )
        dead = GaugeMetricFamily(
            "bunri_queue_dead_letters", "Messages dead-lettered in a queue", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "bunri_queue_oldest_message_age_seconds",
            "How long the next message of a queue has been waiting (0 when empty)",
            labels=["queue"],
        )
        up = GaugeMetricFamily(
            "bunri_queue_scrape_ok", "1 if the queue's Redis keys could be read", labels=["queue"]
        )
        now_ms = time.time() * 1000
        for queue in self.queues:
            key = f"{self.namespace}:{queue}"
            try:
                with self.redis.pipeline(transaction=False) as pipe:
                    pipe.llen(key).llen(f"{key}.DQ").zcard(f"{key}.XQ").lindex(key, 0)
                    ready, waiting, dead_count, head = pipe.execute()
                oldest = self._enqueued_at(key, head)
            except Exception:  # Redis unreachable: say so rather than report zero
                up.add_metric([queue], 0)
                continue
            up.add_metric([queue], 1)
            depth.add_metric([queue], ready)
            delayed.add_metric([queue], waiting)
            dead.add_metric([queue], dead_count)
            age.add_metric([queue], max(now_ms - oldest, 0) / 1000 if oldest else 0.0)
        yield from (depth, delayed, dead, age, up)

    def _enqueued_at(self, key: str, head: bytes | None) -> float | None:
        """When the head message became ready: its eta after a back-off, else its timestamp."""
        if head is None:
            return None
        raw = self.redis.hget(f"{key}.msgs", head)
        if raw is None:  # fetched between the two reads
            return None
        message = json.loads(raw)
        return float(message.get("options", {}).get("eta") or message["message_timestamp"])

"""What the engine counts for operators (issue 16), in Prometheus form (prometheus-client): transitions by
trigger, refusals by rule, deadline sweeps (duration, tasks marked), HTTP requests by route
(observed by the web layer), and, as they stand when scraped, the database pool, the outbox (deliveries by
status, the oldest pending one's age) and the newest worker heartbeat's age. One registry of this process;
`phancap serve` exposes it at /metrics for whoever holds PHANCAP_METRICS_TOKEN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

TRANSITIONS = Counter("phancap_transitions", "Transitions fired (state-changing or recorded actions), by trigger",
                      ["trigger"], registry=REGISTRY)
REFUSALS = Counter("phancap_refusals", "Refused requests, by the rule that refused them (role, state, guard, "
                   "deadline, version, auth, …); counted where they are answered", ["rule"], registry=REGISTRY)
SWEEPS = Histogram("phancap_sweep_duration_seconds", "Deadline sweeps (phancap tick, the demo clock), their duration",
                   registry=REGISTRY, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
SWEPT = Counter("phancap_sweep_marked", "Task instances the deadline sweep marked overdue", registry=REGISTRY)
REQUESTS = Histogram("phancap_http_request_duration_seconds", "HTTP requests by method, route template and status",
                     ["method", "route", "status"], registry=REGISTRY,
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class PoolCollector(Collector):
    """The SQLAlchemy pool of each database the process serves, read when scraped (no bookkeeping per use)."""

    def __init__(self) -> None:
        self.pools: dict[str, Any] = {}

    def watch(self, name: str, pool: Any) -> None:
        self.pools[name] = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        size = GaugeMetricFamily("phancap_db_pool_size", "Connections the pool keeps", labels=["database"])
        used = GaugeMetricFamily("phancap_db_pool_checked_out", "Connections in use now", labels=["database"])
        for name, pool in self.pools.items():
            if hasattr(pool, "checkedout") and hasattr(pool, "size"):  # QueuePool; SQLite's pools keep no count
                size.add_metric([name], float(pool.size()))
                used.add_metric([name], float(pool.checkedout()))
        yield size
        yield used


POOLS = PoolCollector()
REGISTRY.register(POOLS)


class OutboxCollector(Collector):
    """The outbox and the workers as they stand when scraped (one grouped query on the database, read then):
    deliveries by status, the oldest pending one's age (the lag) and the newest worker heartbeat's age."""

    def __init__(self) -> None:
        self.source: tuple[Any, Any] | None = None  # (Database, Clock)

    def watch(self, db: Any, clock: Any) -> None:
        self.source = (db, clock)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("phancap_outbox_deliveries", "Outbox deliveries by status (pending: the depth)",
                                  labels=["status"])
        age = GaugeMetricFamily("phancap_outbox_oldest_pending_age_seconds",
                                "Age of the oldest delivery still pending (0: none pending)")
        beat = GaugeMetricFamily("phancap_worker_heartbeat_age_seconds",
                                 "Seconds since a worker last beat (absent: no worker ever ran)")
        if self.source is not None:
            from phancap.engine.outbox import stats

            db, clock = self.source
            try:
                found = stats(db, clock.now())
            except Exception:  # noqa: BLE001 - a database away leaves the gauges out, /healthz says why
                found = None
            if found is not None:
                for status, count in found["counts"].items():
                    depth.add_metric([status], float(count))
                age.add_metric([], float(found["oldest_pending_age_seconds"] or 0.0))
                if found["heartbeat_age_seconds"] is not None:
                    beat.add_metric([], float(found["heartbeat_age_seconds"]))
        yield depth
        yield age
        yield beat


OUTBOX = OutboxCollector()
REGISTRY.register(OUTBOX)


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)

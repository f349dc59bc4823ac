#!/usr/bin/env python3
"""P4 (memory): the real server's resident memory over 100,000 transitions.

`uvicorn api.app:create_app --factory --workers 2` on a scratch PostgreSQL database, driven by 8
client threads through POST /api/v1/tasks/{id}/transitions (each task cycling submit_for_review /
return, as in http_bench.py). The RSS of the whole server (supervisor and workers, summed) is sampled
before the load and after every 10,000 transitions. "Flat" means: from the sample after warm-up
(the second sample, 20,000 transitions) to the end, the spread (max - min) stays within 10 % of the
smallest sample. Every answer must be 200; the audit chain is verified at the end.

    python bench/memory_bench.py [--n 100000] [--every 10000] [--clients 8] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    PG_DEFAULT,
    Load,
    Server,
    create_databases,
    db_url,
    drop_databases,
    log,
    verify,
    workload,
)

DB = "phancap_membench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    log("preparing a scratch database…")
    create_databases(args.pg_url, [DB])
    url = db_url(args.pg_url, DB)
    samples: list[dict[str, float]] = []
    started = time.perf_counter()
    try:
        server = Server("phancap.api.app:create_app", url)
        try:
            load = Load(server.base, "engine", workload(url), args.clients)
            samples.append({"transitions": 0, "rss_mb": round(server.rss() / 2**20, 1), "workers": len(server.pids())})
            while load.done < args.n:
                n, elapsed = load.run(count=args.every)
                rss = server.rss() / 2**20
                samples.append({"transitions": load.done, "rss_mb": round(rss, 1), "per_s": round(n / elapsed, 1)})
                log(f"{load.done}: {rss:.1f} MB ({n / elapsed:.0f}/s)")
        finally:
            server.stop()
        check = verify(url)
    finally:
        drop_databases(args.pg_url, [DB])
    after_warmup = [s["rss_mb"] for s in samples[2:]]
    spread = (max(after_warmup) - min(after_warmup)) / min(after_warmup) if after_warmup else None
    print(json.dumps({
        "benchmark": "P4 server memory over transitions (PostgreSQL, uvicorn --workers 2, RSS of all processes)",
        "transitions": samples[-1]["transitions"], "clients": args.clients,
        "seconds": round(time.perf_counter() - started, 1), "samples": samples,
        "spread_after_warmup": None if spread is None else round(spread, 4), "target_spread": 0.10,
        "met": spread is not None and spread <= 0.10, "audit_verified": check,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }, indent=2))


if __name__ == "__main__":
    main()

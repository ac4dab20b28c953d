"""gunicorn's settings, read from the working directory by the image's CMD (docker-compose's `web`) and by
bench/coverage_load.py alike; the command line may override each.

Sync workers, two per core (WEB_CONCURRENCY overrides): a request spends part of its time waiting for
PostgreSQL, when the core can serve another worker's request; more workers than that only add memory
and switching. Each worker keeps its database connection between requests (CONN_MAX_AGE).
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"

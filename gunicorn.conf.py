"""gunicorn's settings, read from the working directory by the image's CMD (docker-compose's `web`) and by
bench/coverage_load.py alike; the command line may override each.

Sync workers, one per core (WEB_CONCURRENCY overrides). A request waits for PostgreSQL only briefly (the
coverage check's statements are prepared, each well under a millisecond), and while it waits its core
runs the PostgreSQL backend that answers it; more workers than cores only add switching between Python
processes, each with its own caches: measured with 8 clients on 2 cores, 2 workers took 2.2 ms of worker
CPU per coverage lookup where 3 took 2.6 ms and 4 took 2.8 ms (three runs each, README's coverage table). The price: a request
that takes long (a large export) holds one of the few workers meanwhile; an office whose pages are busy
beside the providers' lookups can raise WEB_CONCURRENCY. Each worker keeps its database connection
between requests (CONN_MAX_AGE).
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"

"""gunicorn settings for Gongjian in production: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Every value can be overridden from the environment (GONGJIAN_BIND, GONGJIAN_WORKERS,
GONGJIAN_THREADS). The scheduler is NOT started here: it runs as its own process
(`flask --app app scheduler`, deploy/gongjian-scheduler.service), exactly one per deployment.
"""

import os
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger

from gongjian.config import THREADS

# Every worker writes its Prometheus counters here, so /metrics adds them all up.
_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / "gongjian-metrics")))
_metrics_dir.mkdir(parents=True, exist_ok=True)
for stale in _metrics_dir.glob("*.db"):
    stale.unlink()

bind = os.environ.get("GONGJIAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GONGJIAN_WORKERS", "4"))
worker_class = "gthread"
# A booking waits on PostgreSQL for much of its time: with 8 threads a worker has work while
# others wait (bench/load.py on 2 cores: 527 bookings/s against 431 with 4). Each thread may
# hold a database connection: workers × threads × machines must stay under max_connections.
threads = THREADS
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so a slow leak can never take the site down.
max_requests = 20000
max_requests_jitter = 2000
# One JSON line per request comes from the app itself (logger gongjian.requests).
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line",
                            "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {"gongjian.requests": {"handlers": ["stdout"], "level": "INFO",
                                      "propagate": False}},
}


class AppLogsRequests(Logger):
    """gunicorn's logger without its access line: with a logging configuration given, gunicorn
    builds every request's access line (all of its headers) even where no handler prints it,
    and the app already logs each request (gongjian.requests)."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = AppLogsRequests
# X-Forwarded-* are honoured by the app (ProxyFix, GONGJIAN_PROXIES) from nginx on this host.
forwarded_allow_ips = "127.0.0.1"


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

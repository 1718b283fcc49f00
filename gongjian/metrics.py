"""Prometheus counters, shared by the request hooks (gongjian/ops.py), the booking services and
the jobs. Importing this module has no other effect, so services may count what they do."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("gongjian_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("gongjian_http_request_duration_seconds", "Time to answer a request",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BOOKINGS = Counter("gongjian_bookings_total", "Booking attempts by outcome", ["outcome"])
JOB_RUNS = Counter("gongjian_job_runs_total", "Scheduled job runs by outcome",
                   ["job", "outcome"])


def count_booking(outcome: str) -> None:
    """`created`, or the refusal's code (`conflict`, `too_soon`, …), where an attempt ends."""
    BOOKINGS.labels(outcome=outcome).inc()


def count_job(job: str, outcome: str) -> None:
    JOB_RUNS.labels(job=job, outcome=outcome).inc()

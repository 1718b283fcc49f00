"""bench/load.py's own arithmetic: the figures a closing note quotes come from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


load = _load("load")


def test_cpu_of_a_worker_that_ended_between_readings_is_counted_once():
    # Worker 11 had spent 4 s by the first reading, then was recycled: the master (10), which
    # reaped it, holds all its 6 s in the second. Worker 12 replaced it and spent 1 s.
    before = {10: ("web workers", 0.5), 11: ("web workers", 4.0), 20: ("PostgreSQL", 2.0)}
    after = {10: ("web workers", 0.5 + 6.0), 12: ("web workers", 1.0),
             20: ("PostgreSQL", 3.5)}

    assert load.cpu_spent(before, after, 0.25) == {
        "web workers": 3.0, "PostgreSQL": 1.5, "load clients": 0.25}


def test_the_floor_statements_take_psycopg_parameters_by_name(monkeypatch):
    monkeypatch.setenv("FLOOR_DATABASE_URL", "postgresql+psycopg://floor")
    floor = _load("floor_app")

    assert floor.PG_CLASH == (
        "SELECT 1 FROM bookings WHERE venue_id = %(venue_id)s AND status IN "
        "('pending', 'confirmed') AND start_at < %(end)s AND end_at > %(start)s LIMIT 1")

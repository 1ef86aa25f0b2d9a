"""The Celery side of Tasks Engine (the only ``import celery``): app factory, the run task, the dispatcher,
and the bootstep that keeps workers alive in Redis (heartbeat, reaper, sweep of dead runs' containers).

``celery -A workers.app worker`` and ``celery -A workers.app beat`` find ``workers.app.app``.
"""

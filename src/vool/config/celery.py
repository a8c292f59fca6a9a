"""The Celery app: ``celery -A vool.config.celery worker`` runs bill-run chunks (and later
other batch jobs) on as many machines as needed.

``VOOL_TASK_BROKER`` is the broker URL (e.g. ``redis://127.0.0.1:6379/0``); ``VOOL_TASK_QUEUE``
the queue (default ``vool``). Tasks are idempotent units of work that record their state in
the database, so no result backend is needed and a message delivered twice does no harm.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

from vool.common.task_results import result_backend

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")

BROKER = os.environ.get("VOOL_TASK_BROKER", "redis://127.0.0.1:6379/0")

app = Celery("vool")
app.conf.update(
    broker_url=BROKER,
    # only tasks declared with ignore_result=False (the invoice render's chunks) keep one
    result_backend=result_backend(BROKER),
    result_expires=24 * 3600,
    task_default_queue=os.environ.get("VOOL_TASK_QUEUE", "vool"),
    task_acks_late=True,  # a chunk killed with its worker is delivered again
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    imports=(
        "vool.interfaces.jobs.billing",
        "vool.interfaces.jobs.documents",
        "vool.interfaces.jobs.datahub",
    ),
    timezone="Europe/Tallinn",
    # `celery -A vool.config.celery beat`: the monthly bill run, inside the day 1-9 window
    beat_schedule={
        "monthly-bill-run": {
            "task": "vool.billing.bill_previous_month",
            "schedule": crontab(
                minute=0, hour=6, day_of_month=int(os.environ.get("VOOL_BILLING_DAY", "5"))
            ),
        },
        # the data hub's entries (a no-op while VOOL_DATAHUB_ENABLED is off)
        "datahub-sync": {"task": "vool.datahub.sync", "schedule": crontab(minute="*/15")},
        # the network bills of the month before against our invoices (the back-office queue)
        "network-bill-check": {
            "task": "vool.datahub.check_network_bills",
            "schedule": crontab(minute=30, hour=7),
        },
    },
)

"""Where Celery tasks that return a result keep it (pure: importable before Django is set up).

Most Vool tasks record their state in the database and return nothing; a batch whose
caller needs each chunk's outcome (the invoice render) returns it through a result backend:
``VOOL_TASK_RESULT_BACKEND`` when set, else the broker itself when it is Redis, else
``rpc://`` (results sent back over the AMQP broker to the client that sent the task).
"""

from __future__ import annotations

import os


def result_backend(broker: str) -> str:
    explicit = os.environ.get("VOOL_TASK_RESULT_BACKEND")
    if explicit:
        return explicit
    return broker if broker.startswith(("redis://", "rediss://")) else "rpc://"

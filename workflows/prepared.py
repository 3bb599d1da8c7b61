"""viewflow's flow lock with its statement compiled once (issue 21); the compiled statements themselves are in
:mod:`projects.prepared`."""

from __future__ import annotations

import random
import time
from contextlib import contextmanager

from django.db import DatabaseError, transaction
from viewflow.workflow import lock
from viewflow.workflow.exceptions import FlowLockFailed

from projects.prepared import PreparedQuery, insert_links, insert_row, update_columns

__all__ = ["PreparedQuery", "SelectForUpdateLock", "insert_links", "insert_row", "update_columns"]


class SelectForUpdateLock(lock.SelectForUpdateLock):
    """viewflow's lock (``SELECT ... FOR UPDATE`` of the process row, in a transaction), its statement compiled once
    per process model and connection instead of on every step."""

    def __init__(self, nowait: bool = True, attempts: int = 5):
        super().__init__(nowait=nowait, attempts=attempts)
        self._queries: dict[type, PreparedQuery] = {}

    def _query(self, process_class) -> PreparedQuery:
        query = self._queries.get(process_class)
        if query is None:
            nowait = self.nowait
            query = self._queries[process_class] = PreparedQuery(
                lambda pk: (
                    process_class._default_manager.filter(pk=pk)
                    .order_by()
                    .select_for_update(nowait=nowait)
                    .values_list("pk")
                ),
                "pk",
            )
        return query

    @contextmanager
    def __call__(self, flow_class, process_pk):
        query = self._query(flow_class.process_class)
        for i in range(self.attempts):
            with transaction.atomic():
                try:
                    query.execute(pk=process_pk)
                except DatabaseError as exc:
                    if i != self.attempts - 1:
                        time.sleep((((i + 1) * random.random()) + 2**i) / 2.5)  # noqa: S311 - retry jitter
                    else:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from exc
                else:
                    yield
                    break

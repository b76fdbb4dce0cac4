"""The worker-error policy: no background worker ends the app, whoever starts it.

Textual ends the app when a worker raises (`exit_on_error` defaults to True). A kiosk runs
for weeks: here a failure is logged with its traceback, said on screen, and the work is left
to be tried again when its inputs change (`worker_failed`, which the app extends).
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from textual.app import App
from textual.worker import Worker, WorkerState, WorkType

log = logging.getLogger(__name__)

ReturnType = TypeVar("ReturnType")


def failure_notice(worker: Worker[Any]) -> str:
    """Logs the failure with its traceback; the words for the screen."""
    error = worker.error
    what = worker.group if worker.group != "default" else (worker.name or "background task")
    log.error("worker %s failed", what, exc_info=error)
    return f"{what} failed ({type(error).__name__}); logged, will retry"


class WorkersNeverEndTheApp(App[ReturnType]):
    """An App whose workers' failures are reported, never fatal."""

    def run_worker(
        self,
        work: WorkType[Any],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[Any]:
        return super().run_worker(
            work,
            name=name,
            group=group,
            description=description,
            exit_on_error=False,
            start=start,
            exclusive=exclusive,
            thread=thread,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures go."""
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker, failure_notice(event.worker))

    def worker_failed(self, worker: Worker[Any], notice: str) -> None:
        """Said on screen; the app adds what it keeps (a notice in the state, a retry)."""
        self.notify(notice, severity="error", timeout=5, markup=False)

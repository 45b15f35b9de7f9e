"""Tuning knobs of the task queue (lease, retries, shutdown, name), read from ``PMPILOT_JOB_*``.

These are deployment settings of the worker fleet, kept apart from the kernel settings
because only the queue reads them; defaults suit production, tests shorten them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QueueTuning(BaseSettings):
    """Timing of leases, retries and shutdown for workers, and the queue's name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    queue_name: str = Field(
        default="pmpilot",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        validation_alias="PMPILOT_QUEUE_NAME",
        description="Name of the queue: huey's queue and Redis keys (`huey.redis.<name>`, `<name>:jobs:*`), "
                    "so several deployments (or a test) can share one Redis database.",
    )

    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias="PMPILOT_JOB_LEASE_SECONDS",
        description="How long a running job stays owned by a worker without a heartbeat.",
    )
    reap_interval: float = Field(
        default=5.0,
        gt=0,
        validation_alias="PMPILOT_JOB_REAP_INTERVAL",
        description="How often each worker looks for jobs whose lease expired.",
    )
    orphan_grace: float = Field(
        default=120.0,
        gt=0,
        validation_alias="PMPILOT_JOB_ORPHAN_GRACE",
        description="Age after which a queued job with no queue message is dispatched again.",
    )
    retry_delay: float = Field(
        default=10.0,
        ge=0,
        validation_alias="PMPILOT_JOB_RETRY_DELAY",
        description="Delay before the first retry of a transient failure; doubles each attempt.",
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        validation_alias="PMPILOT_JOB_MAX_ATTEMPTS",
        description="Attempts before a job failing transiently is marked failed.",
    )
    shutdown_timeout: float = Field(
        default=30.0,
        ge=0,
        validation_alias="PMPILOT_JOB_SHUTDOWN_TIMEOUT",
        description="On SIGTERM, how long to let running jobs finish before handing them back.",
    )

    @property
    def heartbeat_interval(self) -> float:
        """Leases are renewed three times per lease period, so one missed beat never loses a job."""
        return self.lease_seconds / 3.0


def load_tuning() -> QueueTuning:
    """Fresh tuning from the environment (cheap; read once per worker or enqueue)."""
    return QueueTuning()

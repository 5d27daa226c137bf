"""What the checks expect where the outputs do not say; plain Python, so the CLI reads its defaults without boto3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..contract import DEFAULT_APP_PORT, MIN_BACKUP_RETENTION_DAYS


@dataclass(frozen=True, kw_only=True)
class VerifySettings:
    """What the checks expect where the outputs do not say.

    Attributes:
        app_port (int): Port the app tier serves on (SecureWebTierProps.app_port). Default: 8443.
        agent_metrics_window (timedelta): How recent the agent's last ``mem_used_percent`` must be.
            Default: 10 minutes.
        qps_window (timedelta): How far back QPS datapoints are looked for. Default: 1 hour.
        insufficient_data_grace (timedelta): How long a QPS alarm may stay INSUFFICIENT_DATA. Default: 30 minutes.
        min_backup_retention_days (int): Fewest days of automated database backups. Default: 7.
    """

    app_port: int = DEFAULT_APP_PORT
    """Port the app tier serves on (SecureWebTierProps.app_port). Default: 8443."""
    agent_metrics_window: timedelta = timedelta(minutes=10)
    """How recent the CloudWatch agent's last ``mem_used_percent`` must be. Default: 10 minutes."""
    qps_window: timedelta = timedelta(hours=1)
    """How far back QPS datapoints are looked for; an idle ALB publishes none. Default: 1 hour."""
    insufficient_data_grace: timedelta = timedelta(minutes=30)
    """How long a QPS alarm may stay in INSUFFICIENT_DATA. Default: 30 minutes."""
    min_backup_retention_days: int = MIN_BACKUP_RETENTION_DAYS
    """Fewest days of automated database backups. Default: 7."""

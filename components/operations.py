"""Day-two settings shared by every cloud: when the provider may patch (maintenance windows),
and where alerts go and at which thresholds. Stack key `operations`; no provider SDK here, so
the settings, the plan and each platform read the same facts.

Windows are weekly, in UTC. The daily backup (RDS backup window, ElastiCache snapshot window)
starts at `backupStartHour` and lasts an hour: it must not fall inside the weekly window, which
RDS rejects at apply time and which would take a snapshot while the engine is patched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from components.settings_base import Model

if TYPE_CHECKING:
    from components.platform import Platform

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# AKS's WeeklySchedule spells days in full.
_AKS_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# AKS maintenance windows last 4 to 24 hours (MaintenanceWindow.durationHours).
MIN_WINDOW_HOURS = 4


class Window(Model):
    """A weekly window in UTC: `day` at `startHour`:00 for `durationHours`."""

    day: Day = "sun"
    start_hour: int = Field(default=3, ge=0, le=23)
    duration_hours: int = Field(default=MIN_WINDOW_HOURS, ge=MIN_WINDOW_HOURS, le=24)

    def hours(self) -> set[tuple[int, int]]:
        """(day index, hour) of every hour the window covers."""
        first = DAYS.index(self.day) * 24 + self.start_hour
        return {divmod((first + h) % (7 * 24), 24) for h in range(self.duration_hours)}

    def aws(self) -> str:
        """RDS and ElastiCache `ddd:hh24:mi-ddd:hh24:mi`."""
        start = DAYS.index(self.day) * 24 + self.start_hour
        end = (start + self.duration_hours) % (7 * 24)
        return f"{_aws_point(start)}-{_aws_point(end)}"

    def aks_day(self) -> str:
        return _AKS_DAYS[self.day]

    def azure_day_of_week(self) -> int:
        """PostgreSQL Flexible Server's dayOfWeek: 0 is Sunday."""
        return (DAYS.index(self.day) + 1) % 7


def _aws_point(hour_of_week: int) -> str:
    day, hour = divmod(hour_of_week, 24)
    return f"{DAYS[day]}:{hour:02d}:00"


class Maintenance(Model):
    # Data services (RDS, ElastiCache, PostgreSQL Flexible Server) and the cluster's
    # Kubernetes patch upgrades (AKS aksManagedAutoUpgradeSchedule).
    window: Window = Window()
    # Node images (AKS aksManagedNodeOSUpgradeSchedule): another day, so that a bad node
    # image and a control-plane patch never land together.
    node_os_window: Window = Window(day="wed")
    # Daily backup / snapshot start (UTC), one hour long.
    backup_start_hour: int = Field(default=1, ge=0, le=23)
    # AKS auto-upgrade channel: `patch` keeps the stack's minor and takes its patches.
    cluster_auto_upgrade: Literal["patch", "stable", "rapid", "none"] = "patch"

    @model_validator(mode="after")
    def _backup_outside_window(self) -> Maintenance:
        for day in range(7):
            if (day, self.backup_start_hour) in self.window.hours():
                raise ValueError(
                    f"backupStartHour {self.backup_start_hour} falls inside the maintenance "
                    f"window ({self.window.aws()}); move one of them"
                )
        return self

    def backup_window(self) -> str:
        """RDS backup window / ElastiCache snapshot window `hh24:mi-hh24:mi`."""
        end = (self.backup_start_hour + 1) % 24
        return f"{self.backup_start_hour:02d}:00-{end:02d}:00"


class Thresholds(Model):
    """Alert thresholds a reviewer would accept as defaults; each is a stack setting."""

    database_cpu_percent: int = Field(default=80, ge=1, le=100)
    # Free storage below this share of the allocated storage.
    database_free_storage_percent: int = Field(default=10, ge=1, le=90)
    # Connections above this share of the engine's max_connections estimate.
    database_connections: int = Field(default=400, ge=1)
    replica_lag_seconds: int = Field(default=60, ge=1)
    cache_memory_percent: int = Field(default=85, ge=1, le=100)
    # Evicted keys per 5 minutes: model-engine keeps task state in Redis.
    cache_evictions: int = Field(default=0, ge=0)
    cache_connections: int = Field(default=5000, ge=1)
    # Age of the oldest message in a queue (seconds).
    queue_age_seconds: int = Field(default=900, ge=60)
    # Minutes the alert must hold before it fires.
    evaluation_minutes: int = Field(default=10, ge=1, le=60)
    # model-engine itself (Prometheus rules, components/addons/alert_rules.py): share of
    # gateway requests answered 5xx, and the gateway's p99 latency (LLM calls are long).
    gateway_error_percent: int = Field(default=5, ge=1, le=100)
    gateway_p99_latency_seconds: int = Field(default=60, ge=1)
    # An endpoint with wanted pods and none available this long: a new GPU node takes
    # 10-20 minutes, so less would page on every cold start.
    endpoint_unready_minutes: int = Field(default=30, ge=5)


class Alerts(Model):
    """Where alerts go. One target per cloud; without one the plan reports a finding."""

    # E-mail addresses subscribed to the stack's SNS topic / action group.
    emails: list[str] = []
    # An existing SNS topic (AWS), action group id (Azure) or notification channel (GCP)
    # instead of, or beside, the e-mails.
    sns_topic_arn: str | None = None
    action_group_id: str | None = None
    notification_channel: str | None = None
    thresholds: Thresholds = Thresholds()

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for address in v:
            local, _, domain = address.partition("@")
            if not local or "." not in domain or " " in address:
                raise ValueError(f"{address!r} is not an e-mail address such as ops@example.com")
        return v

    def target_key(self, field: str) -> str:
        """The stack file's key of an Alerts field (an existing target), camelCase."""
        return type(self).model_fields[field].alias or field

    def has_target(self, field: str | None) -> bool:
        """E-mails, or the existing target the platform's alarms take (`field`)."""
        return bool(self.emails or (field is not None and getattr(self, field)))


class Operations(Model):
    maintenance: Maintenance = Maintenance()
    alerts: Alerts = Alerts()


def findings(platform: Platform, alerts: Alerts, alert_webhook: bool = False) -> list[str]:
    """A stack whose alerts reach nobody is reported, not refused: the alarms still exist
    and show in the console, and a target can be added later. The platform declares where
    its alarms go (Platform.alert_target) and whether Alertmanager reaches that target."""
    out = []
    field = platform.alert_target
    if field is not None and not alerts.has_target(field):
        out.append(
            f"operations.alerts: no target, so no one hears an alarm; set "
            f"operations.alerts.emails or operations.alerts.{alerts.target_key(field)}"
        )
    if not platform.alertmanager_delivers and not alert_webhook:
        out.append(
            "alertWebhookUrl: model-engine's Prometheus alerts (gateway errors, endpoints "
            "without ready pods, KEDA, GPUs) reach no one on this platform; set `pulumi config "
            "set --secret alertWebhookUrl <PagerDuty/Slack/Teams webhook URL>`"
        )
    return out

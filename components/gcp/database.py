"""Cloud SQL for PostgreSQL: private IP only, TLS required, daily backups with point-in-time
recovery, regional standby, deletion protection; one database and one user whose generated
password (letters and digits only: it goes into a URL the migration's config parser reads)
reaches the server only through the Kubernetes Secret route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.gcp import settings as gcp_settings
from components.gcp.common import PART_OF_LABEL, SQL_TIMEOUTS, PlacedArgs, child, stateful
from components.restore import utc
from components.sdk import lazy

if TYPE_CHECKING:
    import pulumi_random as random
    from pulumi_gcp import sql
else:
    random = lazy("pulumi_random")
    sql = lazy("pulumi_gcp.sql")

PORT = 5432
# Cloud SQL refuses unencrypted connections (clients use sslmode=require).
SSL_MODE = "ENCRYPTED_ONLY"


def edition(tier: str) -> str:
    """db-perf-optimized-* tiers exist only in Enterprise Plus, db-custom-* only in
    Enterprise; left unset, POSTGRES_16 and later default to Enterprise Plus."""
    return "ENTERPRISE_PLUS" if tier.startswith("db-perf-optimized-") else "ENTERPRISE"


def clone_args(
    restore: gcp_settings.DatabaseRestore | None,
) -> sql.DatabaseInstanceCloneArgs | None:
    """The instance as a clone of another at a point in time, or None for a new one."""
    if restore is None:
        return None
    return sql.DatabaseInstanceCloneArgs(
        source_instance_name=restore.source_instance,
        point_in_time=utc(restore.point_in_time) if restore.point_in_time else None,
    )


@dataclass
class DatabaseArgs(PlacedArgs):
    settings: gcp_settings.Database
    name: str
    network: pulumi.Input[str]
    private_services: list[pulumi.Resource]
    deletion_protection: bool
    maintenance: gcp_settings.Maintenance
    # With settings.restore: the source's password of `user` (the clone keeps the source's
    # users, so the program creates none and the chart carries this one).
    restore_password: pulumi.Input[str] | None = None
    # Daily backup start (UTC; operations.maintenance.backupStartHour, outside the
    # maintenance window: facts.check).
    backup_start_hour: int = 1


class Database(pulumi.ComponentResource):
    instance: sql.DatabaseInstance
    host: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:gcp:Database", name, None, opts)
        cfg = args.settings
        self.instance = sql.DatabaseInstance(
            f"{name}-postgres",
            name=args.name,
            project=args.project,
            region=args.region,
            database_version=f"POSTGRES_{cfg.version}",
            deletion_protection=args.deletion_protection,
            clone=clone_args(cfg.restore),
            settings=sql.DatabaseInstanceSettingsArgs(
                tier=cfg.tier,
                edition=edition(cfg.tier),
                availability_type="REGIONAL" if cfg.high_availability else "ZONAL",
                disk_type="PD_SSD",
                disk_size=cfg.disk_size_gb,
                disk_autoresize=True,
                deletion_protection_enabled=args.deletion_protection,
                retain_backups_on_delete=args.protect,
                ip_configuration=sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.network,
                    ssl_mode=SSL_MODE,
                ),
                backup_configuration=sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    point_in_time_recovery_enabled=True,
                    transaction_log_retention_days=cfg.point_in_time_recovery_days,
                    start_time=f"{args.backup_start_hour:02d}:00",
                    backup_retention_settings=(
                        sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                            retained_backups=cfg.retained_backups, retention_unit="COUNT"
                        )
                    ),
                ),
                # The stack's weekly window; "stable": updates arrive after the preview track.
                maintenance_window=sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
                    day=args.maintenance.first_day_number,
                    hour=args.maintenance.start_hour_utc,
                    update_track="stable",
                ),
                user_labels={**PART_OF_LABEL, **args.labels},
            ),
            opts=stateful(
                self,
                args.protect,
                depends_on=args.private_services,
                custom_timeouts=SQL_TIMEOUTS,
            ),
        )
        if cfg.restore is None:
            # A clone brings the source's databases (creating it again would fail).
            sql.Database(
                f"{name}-database",
                name=cfg.name,
                instance=self.instance.name,
                project=args.project,
                opts=stateful(self, args.protect),
            )
        if cfg.restore is not None:
            # The clone already has the user (creating it again would fail): its password is
            # the source's, which the stack gives.
            if args.restore_password is None:
                raise ValueError("a clone needs its source user's password")
            self.password = pulumi.Output.secret(args.restore_password)
        else:
            password = random.RandomPassword(
                f"{name}-password",
                length=32,
                special=False,
                opts=child(self),
            )
            self.password = pulumi.Output.secret(password.result)
            sql.User(
                f"{name}-user",
                name=cfg.user,
                instance=self.instance.name,
                project=args.project,
                password=self.password,
                opts=child(self),
            )
        self.host = self.instance.private_ip_address
        self.register_outputs({"host": self.host, "connection_name": self.instance.connection_name})

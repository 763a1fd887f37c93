"""PostgreSQL Flexible Server: VNet-integrated (delegated subnet, private DNS zone, no public
endpoint), TLS enforced, encrypted at rest, backed up, zone-redundant HA by default.

The server uses its administrator login through the chart's Kubernetes Secret route; the
password is generated URL-safe (alembic reads the URL through ConfigParser, where a `%`
breaks) and kept in Key Vault as well (see vault.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_azure_native import dbforpostgresql as pg

from components.azure import settings as az
from components.azure.alerts import (
    AlertTarget,
    database_rules,
    metric_alerts,
    resource_health_alert,
)
from components.azure.common import LONG_TIMEOUTS, PlacedArgs, child, stateful
from components.operations import Maintenance
from components.restore import utc

PORT = 5432


def create_args(cfg: az.Database, password: pulumi.Input[str]) -> dict[str, Any]:
    """A new server with the stack's administrator, or a point-in-time restore of another,
    which keeps the source's administrator login and password (ARM takes neither then)."""
    if cfg.restore is None:
        return {
            "create_mode": "Create",
            "administrator_login": cfg.user,
            "administrator_login_password": password,
        }
    return {
        "create_mode": "PointInTimeRestore",
        "source_server_resource_id": cfg.restore.source_server_resource_id,
        "point_in_time_utc": utc(cfg.restore.point_in_time_utc),
    }


@dataclass
class DatabaseArgs(PlacedArgs):
    settings: az.Database
    server_name: pulumi.Input[str]
    delegated_subnet_id: pulumi.Input[str]
    private_dns_zone_id: pulumi.Input[str]
    # The zone must be linked to the VNet before the server is created.
    zone_link: pulumi.Resource
    # When Azure may patch (components/operations.py) and where alerts go (None: none).
    maintenance: Maintenance = field(default_factory=Maintenance)
    alerts: AlertTarget | None = None
    # With settings.restore: the source's administrator password (the restored server keeps
    # it), which Key Vault and the chart then carry instead of a generated one.
    restore_password: pulumi.Input[str] | None = None


class Database(pulumi.ComponentResource):
    server: pg.Server
    # None on a point-in-time restore: the restored server brings the database.
    database: pg.Database | None
    database_name: pulumi.Input[str]
    host: pulumi.Output[str]
    port: int
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:azure:Database", name, None, opts)
        cfg = args.settings
        self.password = pulumi.Output.secret(self._password(name, args))
        self.server = pg.Server(
            f"{name}-postgres",
            server_name=args.server_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            version=cfg.version,
            sku=pg.SkuArgs(name=cfg.sku_name, tier=cfg.tier),
            storage=pg.StorageArgs(storage_size_gb=cfg.storage_size_gb, auto_grow="Enabled"),
            backup=pg.BackupArgs(
                backup_retention_days=cfg.backup_retention_days,
                geo_redundant_backup="Enabled" if cfg.geo_redundant_backup else "Disabled",
            ),
            high_availability=pg.HighAvailabilityArgs(mode=cfg.high_availability),
            network=pg.NetworkArgs(
                delegated_subnet_resource_id=args.delegated_subnet_id,
                private_dns_zone_arm_resource_id=args.private_dns_zone_id,
                public_network_access="Disabled",
            ),
            auth_config=pg.AuthConfigArgs(
                password_auth="Enabled", active_directory_auth="Disabled"
            ),
            **create_args(cfg, self.password),
            maintenance_window=pg.MaintenanceWindowArgs(
                custom_window="Enabled",
                day_of_week=args.maintenance.window.azure_day_of_week(),
                start_hour=args.maintenance.window.start_hour,
                start_minute=0,
            ),
            tags=dict(args.tags),
            opts=stateful(
                self,
                args.protect,
                custom_timeouts=LONG_TIMEOUTS,
                depends_on=[args.zone_link],
                # Azure never returns the password; a changed password needs a new server.
                additional_secret_outputs=["administratorLoginPassword"],
            ),
        )
        # TLS is on by default; pinned so that nobody turns it off in the portal unseen.
        # Flexible Server runs one management operation at a time and refuses a second with
        # ServerIsBusy, so the writes on the server form one chain instead of running in
        # parallel (each waits for the one before).
        previous: pulumi.Resource = self.server
        for setting, value in (
            ("require_secure_transport", "ON"),
            ("ssl_min_protocol_version", "TLSv1.2"),
        ):
            previous = pg.Configuration(
                f"{name}-{setting.replace('_', '-')}",
                configuration_name=setting,
                server_name=self.server.name,
                resource_group_name=args.resource_group_name,
                value=value,
                source="user-override",
                opts=child(self, depends_on=[previous]),
            )
        # A point-in-time restore brings the source's databases, this one among them
        # (the drill keeps the source's name): creating it again would be refused as an
        # existing resource, so the program creates it only on a new server.
        self.database, self.database_name = None, cfg.name
        if cfg.restore is None:
            self.database = pg.Database(
                f"{name}-db",
                database_name=cfg.name,
                server_name=self.server.name,
                resource_group_name=args.resource_group_name,
                charset="UTF8",
                collation="en_US.utf8",
                opts=stateful(self, args.protect, depends_on=[previous]),
            )
            self.database_name = self.database.name
        self.host = self.server.fully_qualified_domain_name.apply(lambda h: h or "")
        self.port = PORT
        if args.alerts is not None:
            metric_alerts(
                self, name, self.server.id, database_rules(args.alerts.thresholds), args.alerts
            )
            # Failover, crash or host failure: the server's Resource Health, not a metric.
            resource_health_alert(
                self,
                name,
                self.server.id,
                "The PostgreSQL server is unavailable or degraded (failover, crash, host failure)",
                args.alerts,
            )
        self.register_outputs({"host": self.host, "database": self.database_name})

    def _password(self, name: str, args: DatabaseArgs) -> pulumi.Input[str]:
        """The administrator password: the restore source's (the restored server keeps it)
        or a generated one."""
        if args.settings.restore is not None:
            if args.restore_password is None:
                raise ValueError("a restored server needs its source's administrator password")
            return args.restore_password
        # Letters and digits only: a subset of chart_facts.URL_SAFE_CREDENTIAL.
        password = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=False,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            opts=child(self),
        )
        return password.result

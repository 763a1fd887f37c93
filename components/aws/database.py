"""PostgreSQL on RDS: private, encrypted with the platform key, TLS forced, backed up,
Multi-AZ by setting, reachable only from the cluster's nodes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws import settings as aws_settings
from components.aws.alerts import Alarm, AlarmTarget, create_alarms
from components.aws.common import (
    RDS_TIMEOUTS,
    PrivateDataArgs,
    child,
    final_snapshot_suffix,
    placed_privately,
    recovery_window,
    stateful,
)
from components.aws.settings import DatabaseRestore
from components.operations import Maintenance
from components.restore import utc as restore_utc

PORT = 5432
# PostgreSQL logs RDS exports to CloudWatch Logs (the group names are RDS's).
LOG_EXPORTS = ("postgresql", "upgrade")
# Database Insights' free mode and the retention it includes (RDS User Guide, "Monitoring DB
# load with Database Insights").
DATABASE_INSIGHTS_MODE = "standard"
DATABASE_INSIGHTS_RETENTION_DAYS = 7


def log_group_name(identifier: str, log: str) -> str:
    return f"/aws/rds/instance/{identifier}/{log}"


def cloud_secret_json(user: str, password: str, host: str, port: int, dbname: str) -> str:
    """The Secrets Manager JSON the chart's cloud database route reads."""
    return json.dumps(
        {
            "username": user,
            "password": password,
            "clusterHost": host,
            # One instance (Multi-AZ standby is not readable): reads go to the primary.
            "clusterHostRo": host,
            "port": port,
            "dbname": dbname,
        }
    )


@dataclass
class DatabaseArgs(PrivateDataArgs):
    settings: aws_settings.Database
    identifier: str
    deletion_protection: bool
    # Set to also write the credentials to Secrets Manager (the chart's cloud route).
    secret_name: str | None = None
    # When the provider may patch and back up; defaults from components/operations.py.
    maintenance: Maintenance = field(default_factory=Maintenance)
    # Where the database's alarms and events go; None creates none.
    alarms: AlarmTarget | None = None


def restore_args(restore: DatabaseRestore | None) -> dict[str, Any]:
    """The Instance arguments that create it from a snapshot or a point in time."""
    if restore is None:
        return {}
    if restore.snapshot_identifier:
        return {"snapshot_identifier": restore.snapshot_identifier}
    source = restore.source_db_instance_identifier
    return {
        "restore_to_point_in_time": aws.rds.InstanceRestoreToPointInTimeArgs(
            source_db_instance_identifier=None if restore.source_is_resource_id else source,
            source_dbi_resource_id=source if restore.source_is_resource_id else None,
            restore_time=restore_utc(restore.restore_time) if restore.restore_time else None,
            use_latest_restorable_time=restore.use_latest_restorable_time or None,
        )
    }


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    password: pulumi.Output[str]
    secret: aws.secretsmanager.Secret | None = None

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("model-engine-infra:aws:Database", name, None, opts)
        cfg = args.settings
        subnets, sg = placed_privately(
            self, name, args, aws.rds.SubnetGroup, args.identifier, PORT, "PostgreSQL"
        )
        params = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{cfg.major_version}",
            description=f"{args.identifier}: TLS required",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
            ],
            opts=child(self),
        )
        password = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=False,
            opts=child(self),
        )
        self.password = pulumi.Output.secret(password.result)
        # RDS writes into these once exports are on; creating them first sets retention.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-logs-{log}",
                name=log_group_name(args.identifier, log),
                retention_in_days=cfg.log_retention_days,
                opts=child(self),
            )
            for log in LOG_EXPORTS
        ]
        self.instance = aws.rds.Instance(
            f"{name}-postgres",
            identifier=args.identifier,
            engine="postgres",
            engine_version=cfg.engine_version,
            instance_class=cfg.instance_class,
            allocated_storage=cfg.allocated_storage,
            max_allocated_storage=cfg.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            # A restored instance keeps the source's database and master user; RDS sets the
            # stack's password on it after the restore.
            db_name=None if cfg.restore else cfg.name,
            username=None if cfg.restore else cfg.user,
            password=self.password,
            **restore_args(cfg.restore),
            port=PORT,
            multi_az=cfg.multi_az,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=params.name,
            publicly_accessible=False,
            backup_retention_period=cfg.backup_retention_days,
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_suffix(self, name).apply(
                lambda suffix: f"{args.identifier}-final-{suffix}"
            ),
            auto_minor_version_upgrade=True,
            maintenance_window=args.maintenance.window.aws(),
            backup_window=args.maintenance.backup_window(),
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            # Performance Insights' own console reached end of life on 2026-07-31: Database
            # Insights (standard mode, no extra charge) replaces it and reads the same 7 days
            # of database load, which stay encrypted with the platform key. Longer retention
            # is the advanced mode's (billed) and is left to the operator.
            database_insights_mode=DATABASE_INSIGHTS_MODE,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=DATABASE_INSIGHTS_RETENTION_DAYS,
            opts=stateful(self, args.protect, custom_timeouts=RDS_TIMEOUTS, depends_on=log_groups),
        )
        if args.alarms is not None:
            self._alarm(name, args, args.alarms)
        self.address = self.instance.address
        # An int whatever the engine hands back (mocks return numbers as floats).
        self.port = self.instance.port.apply(int)
        if args.secret_name:
            self.secret = aws.secretsmanager.Secret(
                f"{name}-secret",
                name=args.secret_name,
                description=f"{args.identifier}: credentials for model-engine (chart cloud route)",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=recovery_window(args.protect),
                opts=child(self),
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-secret",
                secret_id=self.secret.id,
                secret_string=pulumi.Output.secret(
                    pulumi.Output.all(
                        self.instance.username,
                        self.password,
                        self.address,
                        self.port,
                        self.instance.db_name,
                    ).apply(lambda a: cloud_secret_json(a[0], a[1], a[2], a[3], a[4]))
                ),
                opts=child(self),
            )
        self.register_outputs({"address": self.address, "port": self.port})

    def _alarm(self, name: str, args: DatabaseArgs, target: AlarmTarget) -> None:
        """CPU, free storage and connections alarms, and the instance's failure, failover,
        low-storage, backup and recovery events, all on the stack's topic."""
        t = target.thresholds
        dims = {"DBInstanceIdentifier": self.instance.identifier}
        free_bytes = args.settings.allocated_storage * 2**30 * t.database_free_storage_percent / 100
        create_alarms(
            self,
            name,
            args.identifier,
            alarms_for_database(dims, t.database_cpu_percent, free_bytes, t.database_connections),
            target,
        )
        aws.rds.EventSubscription(
            f"{name}-events",
            name=f"{args.identifier}-events"[:255],
            sns_topic=target.topic_arn,
            source_type="db-instance",
            source_ids=[self.instance.identifier],
            event_categories=list(RDS_EVENT_CATEGORIES),
            # RDS checks it may publish when the subscription is created.
            opts=child(self, depends_on=[target.policy] if target.policy else []),
        )


# RDS event categories that mean data or service is at risk ("Amazon RDS event categories
# and event messages"); `backup` carries the failed-backup events.
RDS_EVENT_CATEGORIES = ("failure", "failover", "low storage", "backup", "recovery")


def alarms_for_database(
    dims: Mapping[str, pulumi.Input[str]], cpu_percent: int, free_bytes: float, connections: int
) -> list[Alarm]:
    ns = "AWS/RDS"
    return [
        Alarm(
            "cpu",
            ns,
            "CPUUtilization",
            dims,
            "GreaterThanThreshold",
            cpu_percent,
            "Average",
            f"PostgreSQL CPU above {cpu_percent}%: queries slow, the gateway times out",
        ),
        Alarm(
            "free-storage",
            ns,
            "FreeStorageSpace",
            dims,
            "LessThanThreshold",
            free_bytes,
            "Minimum",
            "PostgreSQL storage nearly full: writes stop when it is",
        ),
        Alarm(
            "connections",
            ns,
            "DatabaseConnections",
            dims,
            "GreaterThanThreshold",
            connections,
            "Maximum",
            f"More than {connections} PostgreSQL connections: new ones will be refused",
        ),
    ]

"""Guards on the database: the schema migration and the Secret that holds the credentials."""

from __future__ import annotations

from collections.abc import Iterator

from components.model_engine.guards import Context, Finding, error, guard


@guard
def migration_runs(ctx: Context) -> Iterator[Finding]:
    if ctx.get("db.runDbMigrationScript") is not True:
        yield error(
            ctx,
            "db.runDbMigrationScript",
            "must be true: without the migration hook the database has no schema and model "
            "creation fails with missing-table errors",
        )
    if ctx.get("db.runDbInitScript") is True:
        yield error(
            ctx,
            "db.runDbInitScript",
            "must stay false: with the migration on, the init script's CREATE SCHEMA makes the "
            "migration fail on a fresh database",
        )


@guard
def database_secret(ctx: Context) -> Iterator[Finding]:
    k8s_name = ctx.get("secrets.kubernetesDatabaseSecretName")
    cloud_name = ctx.get("secrets.cloudDatabaseSecretName")
    if not k8s_name and not cloud_name:
        yield error(
            ctx,
            "secrets",
            "name the database Secret (kubernetesDatabaseSecretName or cloudDatabaseSecretName)",
        )

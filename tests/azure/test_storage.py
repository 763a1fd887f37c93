"""The storage account: private, Entra only and recoverable."""

from __future__ import annotations

from tests.azure.helpers import AzureRun


def test_storage_is_private_entra_only_and_recoverable(prod: AzureRun) -> None:
    account = prod.one("azure-native:storage:StorageAccount", "platform-storage-account").inputs
    assert account["allowSharedKeyAccess"] is False
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    blob = prod.one("azure-native:storage:BlobServiceProperties", "platform-storage-blob-service")
    assert blob.inputs["isVersioningEnabled"] is True
    assert blob.inputs["deleteRetentionPolicy"]["enabled"] is True
    containers = {
        r.inputs["containerName"] for r in prod.of_type("azure-native:storage:BlobContainer")
    }
    # Celery's result backend writes to `celery`, not to abs_container_name.
    assert containers == {"celery", prod.values["azure"]["abs_container_name"]}

"""Storage backends: files on disk, and S3 through a local server that speaks the S3 API."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from waste.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    StoredObjectMissing,
    check_key,
    storage_from_settings,
)

ESCAPING_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "uploads/../../outside",
    "uploads/..",
    "uploads\\..\\outside",
    "uploads//double",
    "uploads/./dot",
    "uploads/",
    "nul\x00byte",
]


def upload_key() -> str:
    return f"uploads/{uuid.uuid4()}"


# --- key validation --------------------------------------------------------------------------


def test_plain_keys_are_accepted() -> None:
    key = f"uploads/{uuid.uuid4()}/{'ab' * 8}"

    assert check_key(key) == key


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_keys_that_could_escape_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        check_key(key)


# --- local files -----------------------------------------------------------------------------


async def test_local_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    key = upload_key()

    await storage.put(key, b"\x89PNG bytes", "image/png")

    assert await storage.get(key) == b"\x89PNG bytes"
    assert (tmp_path / "store" / key).read_bytes() == b"\x89PNG bytes"


async def test_local_put_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = upload_key()

    await storage.put(key, b"first", "image/jpeg")
    await storage.put(key, b"second", "image/jpeg")

    assert await storage.get(key) == b"second"
    assert [path.name for path in (tmp_path / "uploads").iterdir()] == [key.split("/")[1]]


async def test_local_missing_key(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = upload_key()

    with pytest.raises(StoredObjectMissing) as caught:
        await storage.get(key)

    assert caught.value.key == key


async def test_local_directory_is_not_an_object(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("uploads/a/b", b"x", "image/png")

    with pytest.raises(StoredObjectMissing):
        await storage.get("uploads/a")


async def test_local_delete_is_idempotent(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = upload_key()
    await storage.put(key, b"bytes", "image/webp")

    await storage.delete(key)
    await storage.delete(key)
    await storage.delete(upload_key())

    with pytest.raises(StoredObjectMissing):
        await storage.get(key)


@pytest.mark.parametrize("key", ESCAPING_KEYS)
async def test_local_refuses_escaping_keys(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "root")

    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.put(key, b"x", "image/png")
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.get(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.delete(key)


# --- S3, against moto's server over real HTTP ------------------------------------------------

BUCKET = "bunri-test-uploads"
CREDENTIALS = {"access_key_id": "test-key", "secret_access_key": "test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    raw_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def raw_client(endpoint: str) -> Any:
    """A plain boto3 client, to look at what S3Storage stored without going through it."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key_id"],
        aws_secret_access_key=CREDENTIALS["secret_access_key"],
    )


def s3_storage(endpoint: str, prefix: str = "") -> S3Storage:
    return S3Storage(
        BUCKET, endpoint_url=endpoint, region="us-east-1", prefix=prefix, **CREDENTIALS
    )


async def test_s3_round_trip_stores_the_content_type(s3_endpoint: str) -> None:
    storage = s3_storage(s3_endpoint)
    key = upload_key()

    await storage.put(key, b"\xff\xd8\xff jpeg bytes", "image/jpeg")

    assert await storage.get(key) == b"\xff\xd8\xff jpeg bytes"
    head = raw_client(s3_endpoint).head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/jpeg"
    assert head["ContentLength"] == len(b"\xff\xd8\xff jpeg bytes")


async def test_s3_missing_key(s3_endpoint: str) -> None:
    key = upload_key()

    with pytest.raises(StoredObjectMissing) as caught:
        await s3_storage(s3_endpoint).get(key)

    assert caught.value.key == key


async def test_s3_delete_is_idempotent(s3_endpoint: str) -> None:
    storage = s3_storage(s3_endpoint)
    key = upload_key()
    await storage.put(key, b"bytes", "image/png")

    await storage.delete(key)
    await storage.delete(key)

    with pytest.raises(StoredObjectMissing):
        await storage.get(key)


async def test_s3_prefix_is_a_folder_in_the_bucket(s3_endpoint: str) -> None:
    storage = s3_storage(s3_endpoint, prefix="/staging/")
    key = upload_key()

    await storage.put(key, b"webp bytes", "image/webp")

    stored = raw_client(s3_endpoint).get_object(Bucket=BUCKET, Key=f"staging/{key}")
    assert stored["Body"].read() == b"webp bytes"
    assert await storage.get(key) == b"webp bytes"
    with pytest.raises(StoredObjectMissing):
        await s3_storage(s3_endpoint).get(key)


async def test_s3_refuses_escaping_keys(s3_endpoint: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        await s3_storage(s3_endpoint).put("../outside", b"x", "image/png")


async def test_s3_errors_other_than_a_missing_key_propagate(s3_endpoint: str) -> None:
    storage = S3Storage(
        "no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1", **CREDENTIALS
    )

    with pytest.raises(ClientError, match="NoSuchBucket"):
        await storage.get(upload_key())


# --- choosing a backend ----------------------------------------------------------------------


def settings(**overrides: Any) -> dict[str, Any]:
    return {
        "backend": "local",
        "local_root": Path("/tmp/bunri-uploads"),
        "s3_bucket": None,
        "s3_endpoint_url": None,
        "s3_region": None,
        "s3_access_key_id": None,
        "s3_secret_access_key": None,
    } | overrides


def test_local_backend_from_settings() -> None:
    storage = storage_from_settings(**settings())

    assert isinstance(storage, LocalStorage)
    assert storage.root == Path("/tmp/bunri-uploads")


def test_s3_backend_from_settings(s3_endpoint: str) -> None:
    storage: Storage = storage_from_settings(
        **settings(backend="s3", s3_bucket=BUCKET, s3_endpoint_url=s3_endpoint)
    )

    assert isinstance(storage, S3Storage)
    assert storage.bucket == BUCKET


@pytest.mark.parametrize("bucket", [None, ""])
def test_s3_backend_needs_a_bucket(bucket: str | None) -> None:
    with pytest.raises(ValueError, match="needs a bucket name"):
        storage_from_settings(**settings(backend="s3", s3_bucket=bucket))


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown storage backend 'gcs'"):
        storage_from_settings(**settings(backend="gcs"))

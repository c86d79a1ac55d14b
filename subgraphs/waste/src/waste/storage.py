"""Where uploaded image bytes live: a local directory in development, S3 in production.

Both backends sit behind the small `Storage` protocol so the rest of the subgraph never
knows which one it talks to. Keys are chosen by our code (e.g. "uploads/<uuid>/<token>"),
never by users; both backends validate them the same way anyway, so a bad key fails in
development exactly as it would in production.
"""

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Final, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


class StoredObjectMissing(LookupError):
    """No object is stored under `key`."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under key {key!r}")
        self.key = key


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any previous object."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises `StoredObjectMissing` if there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object under `key`; a missing object is not an error."""
        ...


def check_key(key: str) -> str:
    """Return `key` if it is a plain relative path of "/"-separated names, else ValueError.

    For the local backend this is what keeps a key inside the storage root: no absolute
    paths, no "..", no backslashes (a path separator on Windows), no NUL bytes. Empty and "."
    segments are refused too, so one object has exactly one key spelling.
    """
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"invalid storage key: {key!r}")
    if any(segment in {"", ".", ".."} for segment in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Objects as files under `root`. The content type is not kept: callers record it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        # Blocking file I/O runs in a worker thread so uploads never stall the event loop.
        await asyncio.to_thread(_write_atomically, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        # A directory or a file in the middle of the path is "no object" too, as in S3.
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StoredObjectMissing(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(_unlink_if_present, self._path(key))


def _write_atomically(path: Path, data: bytes) -> None:
    # Readers must never see half a file: write a temporary file in the same directory (so
    # the rename stays on one filesystem), flush it to disk, then rename it over the target
    # (Path.replace is os.replace, atomic on POSIX and Windows).
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _unlink_if_present(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        path.unlink()


# S3 error codes that mean "no such object" (HEAD-style responses carry only the status).
_MISSING_CODES: Final = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Storage:
    """Objects in an S3 bucket on AWS or any S3-compatible service (MinIO, Cloudflare R2).

    Credentials left as None fall back to boto3's usual chain (environment, instance role).
    `prefix` is a folder inside the bucket, so several environments can share one bucket.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        # boto3 is synchronous; a client is thread-safe and pools its connections, so one
        # client shared by the worker threads of asyncio.to_thread is the intended use.
        self._client: Any = _s3_client(endpoint_url, region, access_key_id, secret_access_key)

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._object_key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get_blocking, key)

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, which is the contract we want.
        await asyncio.to_thread(
            self._client.delete_object, Bucket=self.bucket, Key=self._object_key(key)
        )

    def _get_blocking(self, key: str) -> bytes:
        # Reading the body is network I/O too, so it happens here, in the worker thread.
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                raise StoredObjectMissing(key) from None
            raise
        with contextlib.closing(response["Body"]) as body:
            data: bytes = body.read()
        return data


def _s3_client(
    endpoint_url: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> Any:
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        # Since 1.36, boto3 adds CRC checksums to every upload by default; some S3-compatible
        # services reject or mishandle them. Only send them where the API requires them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # Virtual-hosted addressing ("bucket.host") needs per-bucket DNS that self-hosted
        # endpoints (MinIO, a local fake) usually lack; every S3-compatible service takes
        # path-style requests.
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    # A private session: the module-level boto3 default session is shared global state.
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def storage_from_settings(
    *,
    backend: str,
    local_root: Path,
    s3_bucket: str | None,
    s3_endpoint_url: str | None,
    s3_region: str | None,
    s3_access_key_id: str | None,
    s3_secret_access_key: str | None,
) -> Storage:
    """The storage backend the settings name: "local" or "s3"."""
    if backend == "local":
        return LocalStorage(local_root)
    if backend == "s3":
        if not s3_bucket:
            raise ValueError("storage backend 's3' needs a bucket name, but s3_bucket is not set")
        return S3Storage(
            s3_bucket,
            endpoint_url=s3_endpoint_url,
            region=s3_region,
            access_key_id=s3_access_key_id,
            secret_access_key=s3_secret_access_key,
        )
    raise ValueError(f"unknown storage backend {backend!r}; expected 'local' or 's3'")

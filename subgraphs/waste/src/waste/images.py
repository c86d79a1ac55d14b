"""Validation and metadata stripping for uploaded image bytes.

A client PUTs raw bytes to a signed URL, so nothing about the upload can be trusted: not the
declared size, not the declared content type, not the image header. `inspect_image` decides
what the bytes really are, refuses anything we don't want to store or decode, and returns a
re-encoded copy without metadata (a phone photo's EXIF carries the GPS position of the
user's home).

Decisions:

- Animated images (APNG, animated WebP) are rejected: we want a still photo of an item, and
  silently keeping only the first frame would store something other than what the user saw.
  A JPEG with extra MPF images (phone cameras append depth maps and previews; Pillow calls
  that "MPO") is not animated: we keep its primary image and drop the rest.
- The ICC colour profile is kept: it holds no personal data, and without it the wide-gamut
  (Display P3) photos of modern phones would shift colour.
- EXIF orientation is applied to the pixels before the EXIF block is dropped, so a photo
  taken with the phone upright is stored upright.
"""

import hashlib
import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from bunri_shared.errors import BunriError, ErrorCode

ALLOWED_TYPES: Final[frozenset[str]] = frozenset({"image/jpeg", "image/png", "image/webp"})


# What Pillow raises on bytes it cannot parse or decode. Broad on purpose: the input is
# hostile, and any parser failure means "not a usable image", never a server error.
_UNREADABLE: Final = (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error)

_ALLOWED_NAMES: Final = "JPEG, PNG or WebP"


class ImageRejected(BunriError):
    """The upload is not an image we accept (INVALID_IMAGE, or BAD_USER_INPUT for a size
    mismatch); `message` can be shown to the user as is."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A validated image, re-encoded without metadata, ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int
    # Hash of the bytes the user uploaded (not of `data`): the analysis cache is keyed on
    # "same image bytes", and re-encoding must not change that identity.
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class _Format:
    name: str  # For messages, e.g. "WebP".
    pillow_name: str  # Pillow's format name, for saving.
    plugin: type[ImageFile.ImageFile]
    save_options: Mapping[str, int | bool]


_FORMATS: Final[Mapping[str, _Format]] = {
    "image/jpeg": _Format("JPEG", "JPEG", JpegImagePlugin.JpegImageFile, {"quality": 92}),
    # zlib's default level is plenty; `optimize` retries several filters and is slow.
    "image/png": _Format("PNG", "PNG", PngImagePlugin.PngImageFile, {"optimize": False}),
    "image/webp": _Format("WebP", "WEBP", WebPImagePlugin.WebPImageFile, {"quality": 90}),
}

# Pixel-level image state that survives re-encoding; everything else in `Image.info`
# (EXIF, XMP, text chunks, comments, DPI, timestamps) is dropped.
_KEPT_INFO: Final = frozenset({"transparency"})


def inspect_image(
    data: bytes, *, declared_type: str, declared_size: int, max_pixels: int = 40_000_000
) -> CleanImage:
    """Validate uploaded bytes and return a metadata-free copy, or raise `ImageRejected`."""
    _require_strict_decoding()
    _require_enforceable_limit(max_pixels)
    _check_size(data, declared_size)
    content_type = _detect_type(data)
    _check_declared_type(content_type, declared_type)
    image_format = _FORMATS[content_type]

    image = _open_header(data, image_format, max_pixels)
    _check_pixels(image.size, max_pixels)
    _check_still(image)
    _decode(image)

    upright = _apply_orientation(image)
    icc_profile = upright.info.get("icc_profile")
    _drop_metadata(upright)
    clean = _encode(upright, image_format, icc_profile)
    return CleanImage(
        data=clean,
        content_type=content_type,
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(clean),
    )


def _require_strict_decoding() -> None:
    # Pillow reads this process-wide flag at decode time. If any code turned it on, a truncated
    # upload would be padded with grey and accepted; fail loudly rather than store it.
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        msg = "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on; refusing to validate uploads"
        raise RuntimeError(msg)


def _require_enforceable_limit(max_pixels: int) -> None:
    # The WebP plugin checks Pillow's global bomb limit while parsing the header and raises
    # above twice that limit (~179 M pixels by default). A larger `max_pixels` would be a
    # promise this module cannot keep, so it is a programming error.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if max_pixels < 1 or (pillow_limit is not None and max_pixels > 2 * pillow_limit):
        msg = f"max_pixels must be between 1 and Pillow's hard limit, got {max_pixels}"
        raise ValueError(msg)


def _check_size(data: bytes, declared_size: int) -> None:
    # The signed URL was issued for a declared size; a different length means a broken or
    # tampered upload, which is the client's mistake rather than a bad image.
    if len(data) != declared_size:
        raise ImageRejected(
            ErrorCode.BAD_USER_INPUT,
            f"Received {len(data)} bytes, but the upload declared {declared_size} bytes.",
        )


def _detect_type(data: bytes) -> str:
    """The content type the bytes themselves announce, from their magic numbers."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise ImageRejected(ErrorCode.INVALID_IMAGE, _unsupported_message(data))


def _unsupported_message(data: bytes) -> str:
    # Name the common formats people actually try (GIFs, iPhone HEIC) so they know what to do.
    if not data:
        return "The upload is empty."
    if data.startswith((b"GIF87a", b"GIF89a")):
        kind = "GIF images are"
    elif data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"mif1", b"avif"}:
        kind = "HEIC and AVIF images are"
    else:
        return f"The file is not an image. Please upload a {_ALLOWED_NAMES} image."
    return f"{kind} not supported. Please upload a {_ALLOWED_NAMES} image."


def _check_declared_type(detected: str, declared: str) -> None:
    # The declared type is what we will serve the object as; a mismatch means either a
    # confused client or someone smuggling one format under another's name.
    declared = declared.strip().lower()
    if detected != declared:
        name = _FORMATS[detected].name
        raise ImageRejected(
            ErrorCode.INVALID_IMAGE,
            f"The file is a {name} image ({detected}), but it was declared as {declared}.",
        )


def _open_header(data: bytes, image_format: _Format, max_pixels: int) -> ImageFile.ImageFile:
    """Parse only the header, with the one plugin the magic numbers selected.

    `Image.open` would probe every registered plugin and apply Pillow's process-wide bomb
    limit (a warning above it, an error above twice it). Calling the plugin directly parses
    the same header without either, so `max_pixels` is the one limit that applies.
    """
    try:
        return image_format.plugin(io.BytesIO(data))
    except Image.DecompressionBombError as error:  # WebP checks Pillow's limit while parsing.
        raise _too_large(max_pixels) from error
    except _UNREADABLE as error:
        raise _damaged() from error


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    # Decoding allocates width x height x channels bytes; a tiny file can declare a gigapixel
    # image, so the header's word decides before any pixel is decoded.
    width, height = size
    if width * height > max_pixels:
        raise _too_large(max_pixels, size)


def _check_still(image: ImageFile.ImageFile) -> None:
    # The JPEG plugin has no frames; MPF extras in phone JPEGs are ignored by it, not counted.
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRejected(
            ErrorCode.INVALID_IMAGE,
            "Animated images are not supported. Please upload a still photo.",
        )


def _decode(image: ImageFile.ImageFile) -> None:
    # A full decode is the only way to know the pixel data is complete and well formed.
    try:
        image.load()
    except _UNREADABLE as error:
        raise _damaged() from error


def _apply_orientation(image: Image.Image) -> Image.Image:
    """A copy of the image rotated/flipped as its EXIF orientation says it is displayed."""
    try:
        return ImageOps.exif_transpose(image)
    except _UNREADABLE:
        # Malformed EXIF is common in the wild and says nothing about the pixels; storing the
        # photo unrotated beats rejecting it.
        return image.copy()


def _drop_metadata(image: Image.Image) -> None:
    # Encoders read EXIF, XMP, comments and text chunks from `info`, so clearing it is what
    # keeps them out of the output; `_encode` also passes an empty EXIF explicitly.
    image.info = {key: value for key, value in image.info.items() if key in _KEPT_INFO}


def _encode(image: Image.Image, image_format: _Format, icc_profile: bytes | None) -> bytes:
    # Re-encoding the decoded pixels (rather than editing the original file) leaves no place
    # for anything hidden in the original: unknown chunks, trailing data, thumbnails.
    # With fixed options the encoders are deterministic: same input, same output bytes.
    buffer = io.BytesIO()
    image.save(
        buffer,
        format=image_format.pillow_name,
        exif=b"",
        icc_profile=icc_profile,
        **image_format.save_options,
    )
    return buffer.getvalue()


def _too_large(max_pixels: int, size: tuple[int, int] | None = None) -> ImageRejected:
    dimensions = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return ImageRejected(
        ErrorCode.INVALID_IMAGE,
        f"The image is too large{dimensions}. The limit is {max_pixels:,} pixels.",
    )


def _damaged() -> ImageRejected:
    return ImageRejected(
        ErrorCode.INVALID_IMAGE, "The image is damaged or incomplete and could not be read."
    )

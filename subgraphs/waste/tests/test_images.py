"""Upload validation against real images made with Pillow: formats, lies, damage, bombs."""

import hashlib
import io
import random
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin, WebPImagePlugin

from waste.images import ALLOWED_TYPES, CleanImage, ImageRejected, inspect_image

# --- helpers ---------------------------------------------------------------------------------


def encode(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    # Random pixels don't compress, so a cut-off file really is missing scan data.
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def inspect(data: bytes, content_type: str, **options: int) -> CleanImage:
    return inspect_image(data, declared_type=content_type, declared_size=len(data), **options)


def rejected(data: bytes, content_type: str, **options: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        inspect(data, content_type, **options)
    return caught.value


def jpeg_markers(data: bytes) -> Iterator[int]:
    """The marker bytes of a JPEG's header segments, up to the start of scan."""
    position = 2  # After SOI.
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        yield marker
        if marker == 0xDA:  # SOS: entropy-coded data follows.
            return
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length


def png_chunk_types(data: bytes) -> list[bytes]:
    types, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        types.append(data[position + 4 : position + 8])
        position += 12 + length
    return types


def with_png_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR claiming another size, with a valid CRC, pixels untouched."""
    assert data[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def with_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its baseline SOF0 header claiming another size."""
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def phone_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 15"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 33.0, 59.4)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 58.0, 40.2)
    return exif


SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- accepted images -------------------------------------------------------------------------


def test_allowed_types() -> None:
    assert {"image/jpeg", "image/png", "image/webp"} == ALLOWED_TYPES


def test_jpeg_loses_exif_and_gps() -> None:
    original = encode(noise((64, 48)), "JPEG", exif=phone_exif(orientation=1), quality=95)
    assert b"Exif" in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    clean = inspect(original, "image/jpeg")

    assert (clean.content_type, clean.width, clean.height) == ("image/jpeg", 64, 48)
    assert clean.size == len(clean.data)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert "exif" not in stored.info
    # No APP1 (EXIF/XMP) segment at all, and no comment either.
    assert 0xE1 not in set(jpeg_markers(clean.data))
    assert 0xFE not in set(jpeg_markers(clean.data))
    assert b"Exif" not in clean.data
    assert b"PhoneMaker" not in clean.data


def test_jpeg_orientation_is_applied_before_exif_is_dropped() -> None:
    # The sensor stores a landscape frame (60 x 40) and EXIF orientation 6 says "rotate 90°
    # clockwise to display": the photo was taken upright, as a portrait.
    sensor = Image.new("RGB", (60, 40), "red")
    sensor.paste((0, 0, 255), (30, 0, 60, 40))  # Right half blue: the bottom once upright.
    original = encode(sensor, "JPEG", exif=phone_exif(orientation=6))

    clean = inspect(original, "image/jpeg")

    assert (clean.width, clean.height) == (40, 60)
    stored = Image.open(io.BytesIO(clean.data)).convert("RGB")
    assert stored.size == (40, 60)
    assert not stored.getexif()  # No orientation tag left to rotate it a second time.
    top, bottom = stored.getpixel((20, 5)), stored.getpixel((20, 55))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # Red.
    assert bottom[2] > 200 and bottom[0] < 60  # Blue.


def test_jpeg_keeps_its_icc_profile() -> None:
    original = encode(noise((32, 32)), "JPEG", icc_profile=SRGB_ICC, exif=phone_exif(1))

    clean = inspect(original, "image/jpeg")

    assert Image.open(io.BytesIO(clean.data)).info.get("icc_profile") == SRGB_ICC


def test_grayscale_jpeg_stays_grayscale() -> None:
    clean = inspect(encode(noise((32, 32)).convert("L"), "JPEG"), "image/jpeg")

    assert Image.open(io.BytesIO(clean.data)).mode == "L"


def test_phone_jpeg_with_extra_mpf_images_keeps_only_the_primary_image() -> None:
    # Phones append depth maps and previews as extra images (MPF); they are not animation.
    primary, extra = Image.new("RGB", (48, 32), "red"), Image.new("RGB", (16, 16), "blue")
    original = encode(primary, "MPO", save_all=True, append_images=[extra])
    assert Image.open(io.BytesIO(original)).format == "MPO"

    clean = inspect(original, "image/jpeg")

    stored = Image.open(io.BytesIO(clean.data))
    assert (stored.format, stored.size) == ("JPEG", (48, 32))
    assert clean.data.count(b"\xff\xd8") == 1  # One SOI: the extra image is gone.
    assert b"MPF" not in clean.data


def test_png_loses_text_chunks_and_exif() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 12 Secret Street")
    text.add_text("Author", "someone", zip=True)
    text.add_itxt("Description", "주소: 비밀", lang="ko")
    original = encode(noise((40, 30)), "PNG", pnginfo=text, exif=phone_exif(1))
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(original))

    clean = inspect(original, "image/png")

    assert (clean.content_type, clean.width, clean.height) == ("image/png", 40, 30)
    assert set(png_chunk_types(clean.data)) == {b"IHDR", b"IDAT", b"IEND"}
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "PNG"
    assert "Comment" not in stored.info
    assert stored.tobytes() == noise((40, 30)).tobytes()  # PNG is lossless.


def test_png_orientation_from_exif_chunk_is_applied() -> None:
    original = encode(Image.new("RGB", (60, 40)), "PNG", exif=phone_exif(orientation=6))

    clean = inspect(original, "image/png")

    assert (clean.width, clean.height) == (40, 60)
    assert b"eXIf" not in clean.data


def test_palette_png_keeps_its_transparency() -> None:
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    original = encode(image, "PNG", transparency=1)

    stored = Image.open(io.BytesIO(inspect(original, "image/png").data))

    assert stored.mode == "P"
    assert stored.info.get("transparency") == 1
    assert stored.convert("RGBA").getpixel((0, 0)) == (255, 0, 0, 0)


def test_webp_loses_exif_and_xmp() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>'
    original = encode(noise((50, 20)), "WEBP", exif=phone_exif(1), xmp=xmp)
    assert b"EXIF" in original and b"XMP " in original

    clean = inspect(original, "image/webp")

    assert (clean.content_type, clean.width, clean.height) == ("image/webp", 50, 20)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "WEBP"
    assert not stored.getexif()
    assert b"EXIF" not in clean.data and b"XMP " not in clean.data
    assert b"secret place" not in clean.data


def test_transparent_webp_stays_transparent() -> None:
    image = Image.new("RGBA", (16, 16), (0, 128, 0, 0))

    stored = Image.open(io.BytesIO(inspect(encode(image, "WEBP"), "image/webp").data))

    assert stored.mode == "RGBA"
    assert stored.getpixel((8, 8))[3] == 0  # type: ignore[index]


def test_declared_type_is_compared_case_insensitively() -> None:
    # Media types are case-insensitive (RFC 9110); the detected one is always lower case.
    assert inspect(encode(noise((8, 8)), "PNG"), "Image/PNG").content_type == "image/png"


def test_sha256_is_of_the_uploaded_bytes() -> None:
    original = encode(noise((16, 16)), "JPEG", exif=phone_exif(1))

    clean = inspect(original, "image/jpeg")

    assert clean.sha256 == hashlib.sha256(original).hexdigest()
    assert clean.sha256 != hashlib.sha256(clean.data).hexdigest()


@pytest.mark.parametrize(
    ("format", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_re_encoding_is_deterministic(format: str, content_type: str) -> None:
    original = encode(noise((64, 64), seed=7), format, exif=phone_exif(6))

    first, second = inspect(original, content_type), inspect(bytes(original), content_type)

    assert first == second
    assert first.data == second.data


# --- rejected uploads ------------------------------------------------------------------------


@pytest.mark.parametrize("difference", [1, -1])
def test_declared_size_must_match(difference: int) -> None:
    original = encode(noise((8, 8)), "PNG")

    with pytest.raises(ImageRejected) as caught:
        inspect_image(original, declared_type="image/png", declared_size=len(original) + difference)

    assert caught.value.code == "BAD_USER_INPUT"
    assert caught.value.message == (
        f"Received {len(original)} bytes, but the upload declared "
        f"{len(original) + difference} bytes."
    )


def test_empty_body() -> None:
    error = rejected(b"", "image/jpeg")

    assert (error.code, error.message) == ("INVALID_IMAGE", "The upload is empty.")


def test_random_bytes() -> None:
    error = rejected(random.Random(1).randbytes(4096), "image/jpeg")

    assert error.code == "INVALID_IMAGE"
    assert "not an image" in error.message


def test_gif_is_not_allowed() -> None:
    gif = encode(Image.new("RGB", (8, 8), "red"), "GIF")

    for declared in ("image/gif", "image/jpeg"):
        error = rejected(gif, declared)
        assert error.code == "INVALID_IMAGE"
        assert "GIF images are not supported" in error.message


def test_png_declared_as_jpeg() -> None:
    error = rejected(encode(noise((8, 8)), "PNG"), "image/jpeg")

    assert error.code == "INVALID_IMAGE"
    assert error.message == (
        "The file is a PNG image (image/png), but it was declared as image/jpeg."
    )


def test_jpeg_declared_as_png() -> None:
    error = rejected(encode(noise((8, 8)), "JPEG"), "image/png")

    assert error.code == "INVALID_IMAGE"
    assert "image/jpeg" in error.message and "image/png" in error.message


def test_truncated_jpeg() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    original = encode(noise((256, 256)), "JPEG")

    error = rejected(original[: len(original) // 2], "image/jpeg")

    assert error.code == "INVALID_IMAGE"
    assert "damaged or incomplete" in error.message


def test_truncated_png() -> None:
    original = encode(noise((128, 128)), "PNG")

    assert rejected(original[: len(original) // 2], "image/png").code == "INVALID_IMAGE"


def test_garbage_after_a_valid_signature() -> None:
    data = b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(500)

    error = rejected(data, "image/png")

    assert error.code == "INVALID_IMAGE"
    assert "damaged or incomplete" in error.message


def test_refuses_to_run_if_truncated_images_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        inspect(encode(noise((8, 8)), "PNG"), "image/png")


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_animated_images_are_rejected(format: str) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "blue", "green")]
    original = encode(frames[0], format, save_all=True, append_images=frames[1:])

    error = rejected(original, f"image/{format.lower()}")

    assert error.code == "INVALID_IMAGE"
    assert "Animated images are not supported" in error.message


# --- decompression bombs ---------------------------------------------------------------------


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything decodes pixel data."""

    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixel data was decoded")

    # The WebP plugin decodes in its own `load` before calling the base class's.
    for plugin in (ImageFile.ImageFile, WebPImagePlugin.WebPImageFile):
        monkeypatch.setattr(plugin, "load", load)


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_no_decoding_fixture_notices_decoding(format: str) -> None:
    with pytest.raises(AssertionError, match="decoded"):
        inspect(encode(noise((8, 8)), format), f"image/{format.lower()}")


@pytest.mark.usefixtures("no_decoding")
def test_png_bomb_is_rejected_from_its_header() -> None:
    # A few hundred bytes on the wire, 400 million pixels (1.2 GB of RGB) once decoded.
    bomb = with_png_size(encode(Image.new("RGB", (1, 1)), "PNG"), 20_000, 20_000)

    error = rejected(bomb, "image/png")

    assert error.code == "INVALID_IMAGE"
    assert error.message == (
        "The image is too large (20000 x 20000 pixels). The limit is 40,000,000 pixels."
    )


@pytest.mark.usefixtures("no_decoding")
def test_jpeg_bomb_is_rejected_from_its_header() -> None:
    bomb = with_jpeg_size(encode(Image.new("RGB", (8, 8)), "JPEG"), 65_000, 65_000)

    assert "too large" in rejected(bomb, "image/jpeg").message


@pytest.mark.usefixtures("no_decoding")
def test_webp_bomb_is_rejected_from_its_header() -> None:
    # A lossy WebP's VP8 frame header holds 14-bit dimensions at a fixed offset.
    original = encode(Image.new("RGB", (8, 8)), "WEBP")
    assert original[12:16] == b"VP8 "
    bomb = original[:26] + struct.pack("<HH", 16_383, 16_383) + original[30:]

    assert "too large" in rejected(bomb, "image/webp").message


@pytest.mark.usefixtures("no_decoding")
def test_pixel_limit_is_per_call() -> None:
    original = encode(noise((100, 100)), "PNG")

    error = rejected(original, "image/png", max_pixels=9_999)

    assert error.message == (
        "The image is too large (100 x 100 pixels). The limit is 9,999 pixels."
    )


def test_image_exactly_at_the_pixel_limit_is_accepted() -> None:
    assert inspect(encode(noise((100, 100)), "PNG"), "image/png", max_pixels=10_000).width == 100


def test_pixel_limit_above_pillows_hard_limit_is_a_programming_error() -> None:
    original = encode(noise((8, 8)), "PNG")

    with pytest.raises(ValueError, match="max_pixels"):
        inspect(original, "image/png", max_pixels=10**12)

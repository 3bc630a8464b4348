"""Image handling of uploads, as DHIS2 2.42 does it with ImageIO and imgscalr.

Two steps, both from the DHIS2 source:

- ``FileResourceUtils.resizeImageToCustomSize`` (web API): ICON, USER_AVATAR and ORG_UNIT
  uploads are decoded and re-encoded at a fixed size *before* they are saved (icons exactly
  48x48; avatars to fit 200 px, org unit images 800 px, keeping proportions). Bytes that are
  not an image make ``ImageIO.read`` return ``null`` and imgscalr throw "src cannot be null",
  which the controller answers 500 "Failed to resize image: src cannot be null".
- ``DefaultImageProcessingService.createImages`` (after the 202): a PNG or JPEG in the
  DATA_VALUE, USER_AVATAR or ORG_UNIT domains is also stored at 256, 512 and 1024 px wide
  (``small``, ``medium``, ``large``) beside the original, served by
  ``/api/fileResources/{uid}/data?dimension=SMALL|MEDIUM|LARGE|ORIGINAL``.

Pillow plays ImageIO's part; only the formats ImageIO reads out of the box are accepted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from PIL import Image, UnidentifiedImageError

__all__ = [
    "DIMENSIONS",
    "IMAGE_CONTENT_TYPES",
    "MULTI_IMAGE_DOMAINS",
    "ResizeError",
    "image_variants",
    "resize_upload",
]

# FileResource.IMAGE_CONTENT_TYPES and FileResourceDomain.DOMAIN_FOR_MULTIPLE_IMAGES
IMAGE_CONTENT_TYPES = frozenset({"image/jpg", "image/png", "image/jpeg"})
MULTI_IMAGE_DOMAINS = frozenset({"DATA_VALUE", "USER_AVATAR", "ORG_UNIT"})
# ImageFileDimension -> (storage key suffix, width of DefaultImageProcessingService)
DIMENSIONS: dict[str, tuple[str, int | None]] = {
    "SMALL": ("small", 256),
    "MEDIUM": ("medium", 512),
    "LARGE": ("large", 1024),
    "ORIGINAL": ("", None),
}
# what javax.imageio reads without plug-ins (JDK 17)
_IMAGEIO_READS = frozenset({"PNG", "JPEG", "GIF", "BMP", "TIFF"})
# ImageIO writer format names, as FileResourceUtils passes the file extension
_WRITERS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "bmp": "BMP"}
# what Files.probeContentType answers for the re-encoded file's extension
PROBED_CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}


class ResizeError(Exception):
    """``IOException("Failed to resize image: " + cause)``: DHIS2 answers it with a 500."""


def _read(path: str) -> Image.Image | None:
    """``ImageIO.read``: the decoded first frame, or ``None`` for anything it cannot read."""
    try:
        with Image.open(path) as img:
            if img.format not in _IMAGEIO_READS:
                return None
            img.seek(0)
            img.load()
            return img.copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _fit(img: Image.Image, width: int, height: int, mode: str) -> Image.Image:
    """imgscalr's ``Scalr.resize`` size rules (it scales up as well as down)."""
    w, h = img.size
    if mode == "FIT_EXACT":
        size = (width, height)
    elif mode == "FIT_TO_WIDTH" or (mode == "AUTOMATIC" and w >= h):
        size = (width, max(1, round(width * h / w)))
    else:  # AUTOMATIC on a portrait image: fit to height
        size = (max(1, round(height * w / h)), height)
    return img.resize(size, Image.Resampling.BILINEAR)


def _write(img: Image.Image, fmt: str, dest: str) -> None:
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(dest, format=fmt)


def resize_upload(
    path: str, filename: str, width: int, height: int, mode: str, temp_path: Callable[[], str]
) -> tuple[str, int]:
    """Re-encode the upload at ``path`` at the size DHIS2's controller imposes.

    Returns the path of the new file (from ``temp_path``) and its size. Raises
    :class:`ResizeError` with imgscalr's or ImageIO's message when DHIS2 would.
    """
    img = _read(path)
    if img is None:
        raise ResizeError("src cannot be null")
    ext = filename.rsplit(".", 1)[-1] if "." in filename else ""
    fmt = _WRITERS.get(ext)
    if fmt is None:  # ImageIO.write finds no writer and writes nothing
        raise ResizeError(f"No writer for format {ext}")
    dest = temp_path()
    try:
        _write(_fit(img, width, height, mode), fmt, dest)
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            os.remove(dest)
        raise ResizeError(str(exc)) from None
    return dest, os.path.getsize(dest)


def sniffed_image_type(path: str) -> str | None:
    """``URLConnection.guessContentTypeFromStream`` for the two image types that matter."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:3] == b"\xff\xd8\xff" and (
        head[3:4] in (b"\xe0", b"\xee") or (head[3:4] == b"\xe1" and head[6:11] == b"Exif\x00")
    ):
        return "image/jpeg"
    return None


def image_variants(path: str, content_type: str, temp_path: Callable[[], str]) -> dict[str, str]:
    """The SMALL/MEDIUM/LARGE files of a stored image (suffix -> path), or ``{}`` when
    ``createImages`` would give up (not a PNG/JPEG by its bytes, or not decodable)."""
    if sniffed_image_type(path) is None:
        return {}
    img = _read(path)
    if img is None:
        return {}
    fmt = "PNG" if content_type.split(";", 1)[0].strip().endswith("png") else "JPEG"
    out: dict[str, str] = {}
    try:
        for suffix, width in DIMENSIONS.values():
            if width is None:
                continue
            dest = temp_path()
            out[suffix] = dest
            _write(_fit(img, width, width, "FIT_TO_WIDTH"), fmt, dest)
    except (OSError, ValueError):
        for leftover in out.values():
            with contextlib.suppress(OSError):
                os.remove(leftover)
        return {}
    return out

"""Checking an uploaded image and re-encoding it: what is stored is pixels this server wrote, never the upload.

Re-encoding drops everything but the pixels (EXIF with its GPS position and camera serial, XMP, ICC profiles, text
chunks, comments), and it means a file that only claims to be an image never reaches another viewer's browser.
The dimensions are read from the header before any pixel is decoded, so a small file that would unpack into
gigabytes (a decompression bomb) is refused before it costs memory; Pillow's own bomb check stands behind it.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass

from PIL import Image, ImageSequence, UnidentifiedImageError

from ..kit.errors import UnsupportedMediaType, ValidationFailed

# Declared type -> Pillow's name of the format. The stored image keeps its format (an animated GIF stays one).
ACCEPTED = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}
CONTENT_TYPES = {fmt: content_type for content_type, fmt in ACCEPTED.items()}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
MAX_FRAMES = 100  # an animated avatar longer than this is not an avatar
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Encoded:
    content: bytes
    content_type: str
    extension: str

    def key(self, system_uuid: uuid.UUID, place: str) -> str:
        """The image's storage key: derived from its bytes and its place, so a key never names two contents (it
        is served as immutable) and one system's key says nothing about another's."""
        digest = hashlib.sha256(system_uuid.bytes + place.encode() + b"\0" + self.content).hexdigest()
        return f"{digest[:40]}.{self.extension}"


def declared_format(content_type: str | None) -> str:
    """The accepted format the client declares; 415 for anything else."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in ACCEPTED:
        raise UnsupportedMediaType(f"Send a PNG, JPEG, WebP or GIF image ({', '.join(ACCEPTED)}), not "
                                   f"{media or 'a body without a Content-Type'}.")
    return ACCEPTED[media]


def _undecodable(reason: str) -> ValidationFailed:
    return ValidationFailed.field("file", reason)


def reencode(raw: bytes, max_pixels: int, expected: str | None = None) -> Encoded:
    """The image in `raw`, decoded and written again without metadata. `expected` (a Pillow format name) is what
    the client declared, when it declared one. 422 for anything that is not a whole image of an accepted format
    within `max_pixels` (width x height x frames)."""
    if not raw:
        raise _undecodable("the image is empty")
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that; here both are refusals.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=list(CONTENT_TYPES)) as image:
                return _rewritten(image, max_pixels, expected)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _undecodable(f"not a PNG, JPEG, WebP or GIF image of at most {max_pixels} pixels") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as broken:  # truncated or corrupt data
        raise _undecodable(f"the image cannot be decoded ({type(broken).__name__})") from None


def _rewritten(image: Image.Image, max_pixels: int, expected: str | None) -> Encoded:
    fmt = image.format or ""
    if expected is not None and fmt != expected:
        raise _undecodable(f"the body is a {fmt} image, not the {expected} its Content-Type says")
    frames = getattr(image, "n_frames", 1)
    width, height = image.size
    if width * height * frames > max_pixels or frames > MAX_FRAMES:
        raise _undecodable(f"the image is too large: {width}x{height} pixels x {frames} frames; at most "
                           f"{max_pixels} pixels in all and {MAX_FRAMES} frames")
    out = io.BytesIO()
    if frames > 1:
        _write_animation(image, fmt, out)
    else:
        image.load()
        _write_still(image, fmt, out)
    return Encoded(out.getvalue(), CONTENT_TYPES[fmt], EXTENSIONS[fmt])


def _pixels_only(frame: Image.Image, fmt: str) -> Image.Image:
    """A new image holding only the frame's pixels (no `info`: no metadata can ride along)."""
    if fmt == "JPEG":
        mode = "L" if frame.mode in ("1", "L") else "RGB"
    else:
        has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
        mode = "RGBA" if has_alpha else "RGB"
    clean = frame.convert(mode)
    clean.info = {}
    return clean


def _write_still(image: Image.Image, fmt: str, out: io.BytesIO) -> None:
    clean = _pixels_only(image, fmt)
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        clean.save(out, "WEBP", lossless=True)
    else:
        clean.save(out, fmt)


def _write_animation(image: Image.Image, fmt: str, out: io.BytesIO) -> None:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration", 100)))
        frames.append(_pixels_only(frame, fmt))
    options: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": 0}
    if fmt == "WEBP":
        options["lossless"] = True
    else:
        options["disposal"] = 2
    frames[0].save(out, fmt, **options)

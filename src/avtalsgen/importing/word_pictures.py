"""Pictures of a Word document kept as PNG or JPEG files for the municipality folder."""

from __future__ import annotations

import io

MAX_PICTURE_PIXELS = 40_000_000
MAX_PICTURE_BYTES = 5_000_000


def as_png_or_jpeg(data: bytes) -> bytes | None:
    """PNG and JPEG as they are (made smaller if too large); other bitmaps converted to
    PNG; vector formats (EMF, WMF, SVG) cannot be."""
    from PIL import Image, UnidentifiedImageError

    is_kept = data.startswith((b"\x89PNG", b"\xff\xd8"))
    try:
        with Image.open(io.BytesIO(data)) as image:
            too_big = image.width * image.height > MAX_PICTURE_PIXELS or \
                len(data) > MAX_PICTURE_BYTES
            if is_kept and not too_big:
                return data
            image.load()
            if too_big:
                image.thumbnail((4000, 4000))
            buffer = io.BytesIO()
            picture: Image.Image = image
            if picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                picture = picture.convert("RGBA")
            picture.save(buffer, format="PNG", optimize=True)
            if buffer.tell() > MAX_PICTURE_BYTES:
                buffer = io.BytesIO()
                picture.convert("RGB").save(buffer, format="JPEG", quality=85)
            return buffer.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None

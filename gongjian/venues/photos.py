"""Venue photos: uploads checked by their content, re-encoded, stripped, resized, thumbnailed.

An upload is trusted for nothing: not its name, not its declared type. Pillow must recognize the
bytes as a JPEG, PNG or WebP image and verify them; the image is then decoded (refusing more
than MAX_PIXELS, so a small file that expands to gigabytes is refused, not decoded), turned
upright by its EXIF orientation, converted to sRGB and written anew as a JPEG of at most
MAX_SIDE pixels, with a THUMB_SIDE thumbnail for the search cards. Nothing of the original file
survives: no EXIF, no GPS position, no comments, no trailing bytes. Files get random names in
the photo folder; only names that belong to a photo row are ever served.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import struct
import warnings
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .. import audit
from ..errors import InvalidInput, NotFound
from ..extensions import db
from .models import Venue, VenuePhoto
from .services import require_manager

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A 48-megapixel phone photo passes; a "decompression bomb" (tiny file, huge canvas) does not.
MAX_PIXELS = 50_000_000
MAX_SIDE = 1600
THUMB_SIDE = 400
MAX_PHOTOS_PER_VENUE = 20
CAPTION_MAX = 200
JPEG_QUALITY = 85
THUMB_SUFFIX = ".thumb.jpg"
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}(?:\.thumb)?\.jpg")
PHOTO_AUDIT_FIELDS = ("filename", "width", "height", "caption", "position")


class PreparedPhoto:
    """The re-encoded photo and its thumbnail, as JPEG bytes."""

    def __init__(self, photo: bytes, thumbnail: bytes, size: tuple[int, int]) -> None:
        self.photo = photo
        self.thumbnail = thumbnail
        self.width, self.height = size


def thumbnail_name(filename: str) -> str:
    return filename.removesuffix(".jpg") + THUMB_SUFFIX


def _refuse(code: str) -> InvalidInput:
    return InvalidInput({"photo": code})


def _open(data: bytes) -> Image.Image:
    """Pillow's own reading of the bytes, limited to the accepted formats."""
    return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB; a transparent background becomes white."""
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unusable profile: take the pixels as they are
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # Pillow would copy EXIF, the ICC profile and the comment over from `info`: empty it, so
    # the new file carries pixels only.
    image.info = {}
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, exif=b"",
               comment=b"")
    return out.getvalue()


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Check the bytes are a JPEG, PNG or WebP image of sane size, and re-encode them."""
    if not data:
        raise _refuse("required")
    if len(data) > MAX_PHOTO_BYTES:
        raise _refuse("too_large")
    try:
        # Pillow warns (and over twice the limit refuses) before decoding a huge canvas; both
        # are a refusal here, and our own limit is lower still.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _refuse("unsupported_type")
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse("too_many_pixels")
                probe.verify()
            with _open(data) as image:
                if image.format == "JPEG":
                    # Decode at a reduced scale when the photo is far larger than we keep.
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                upright = ImageOps.exif_transpose(image)
                upright.load()
                picture = _to_srgb(upright)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError,
            EOFError, IndexError, KeyError, struct.error):
        raise _refuse("unsupported_type") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return PreparedPhoto(_jpeg(picture), _jpeg(thumb), picture.size)


def _write(folder: Path, name: str, content: bytes) -> None:
    """Write whole or not at all: a reader never sees half a file."""
    temporary = folder / f".{name}.part"
    temporary.write_bytes(content)
    os.replace(temporary, folder / name)


def _positions(venue: Venue) -> list[VenuePhoto]:
    return sorted(venue.photos, key=lambda photo: (photo.position, photo.id))


def add_photo(
    *, venue: Venue, data: bytes, folder: Path | str, actor, now: datetime, caption: str = "",
) -> VenuePhoto:
    """Add a photo (re-encoded, see the module) at the end of the venue's photos."""
    require_manager(actor, venue.unit_id)
    if venue.is_archived:
        raise NotFound("venue")
    caption = _clean_caption(caption)
    if len(venue.photos) >= MAX_PHOTOS_PER_VENUE:
        raise _refuse("too_many_photos")
    prepared = prepare_photo(data)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{secrets.token_urlsafe(16)}.jpg"
    _write(folder, filename, prepared.photo)
    _write(folder, thumbnail_name(filename), prepared.thumbnail)
    photo = VenuePhoto(
        filename=filename, width=prepared.width, height=prepared.height, caption=caption,
        position=max((p.position for p in venue.photos), default=-1) + 1, created_at=now,
    )
    venue.photos.append(photo)
    db.session.flush()
    audit.record(actor=actor, action="venue_photo.add", obj=photo, now=now,
                 after=audit.snapshot(photo, PHOTO_AUDIT_FIELDS), unit_id=venue.unit_id,
                 venue_id=venue.id)
    return photo


def _clean_caption(caption: str) -> str:
    if not isinstance(caption, str) or len(caption.strip()) > CAPTION_MAX:
        raise InvalidInput({"caption": "too_long"})
    return " ".join(caption.split())


def set_caption(*, photo: VenuePhoto, caption: str, actor, now: datetime) -> VenuePhoto:
    """Change what the photo's alt text says."""
    venue = photo.venue
    require_manager(actor, venue.unit_id)
    caption = _clean_caption(caption)
    if caption != photo.caption:
        before = audit.snapshot(photo, PHOTO_AUDIT_FIELDS)
        photo.caption = caption
        db.session.flush()
        audit.record(actor=actor, action="venue_photo.update", obj=photo, now=now,
                     before=before, after=audit.snapshot(photo, PHOTO_AUDIT_FIELDS),
                     unit_id=venue.unit_id, venue_id=venue.id)
    return photo


def move_photo(*, photo: VenuePhoto, offset: int, actor, now: datetime) -> None:
    """Move a photo earlier (offset < 0) or later; the first photo is the venue's card photo."""
    venue = photo.venue
    require_manager(actor, venue.unit_id)
    ordered = _positions(venue)
    before = [p.id for p in ordered]
    index = ordered.index(photo)
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    _renumber(venue, ordered, before=before, actor=actor, now=now)


def reorder_photos(*, venue: Venue, order: Iterable[int], actor, now: datetime) -> None:
    """Put the venue's photos in the order of `order` (every photo id of the venue once)."""
    require_manager(actor, venue.unit_id)
    ordered = _positions(venue)
    by_id = {photo.id: photo for photo in ordered}
    order = list(order)
    if sorted(order) != sorted(by_id):
        raise InvalidInput({"order": "invalid"})
    _renumber(venue, [by_id[i] for i in order], before=[p.id for p in ordered], actor=actor,
              now=now)


def _renumber(venue: Venue, ordered: list[VenuePhoto], *, before: list[int], actor,
              now: datetime) -> None:
    for position, photo in enumerate(ordered):
        photo.position = position
    db.session.flush()
    db.session.expire(venue, ["photos"])
    after = [p.id for p in ordered]
    if after != before:
        audit.record(actor=actor, action="venue_photo.reorder", obj=venue, now=now,
                     before={"photos": before}, after={"photos": after},
                     unit_id=venue.unit_id, venue_id=venue.id)


def delete_photo(*, photo: VenuePhoto, actor, now: datetime) -> list[str]:
    """Remove a photo; answers its file names, to delete once the transaction has committed."""
    venue = photo.venue
    require_manager(actor, venue.unit_id)
    audit.record(actor=actor, action="venue_photo.delete", obj=photo, now=now,
                 before=audit.snapshot(photo, PHOTO_AUDIT_FIELDS), unit_id=venue.unit_id,
                 venue_id=venue.id)
    names = [photo.filename, thumbnail_name(photo.filename)]
    venue.photos.remove(photo)
    for position, rest in enumerate(_positions(venue)):
        rest.position = position
    db.session.flush()
    return names


def remove_files(folder: Path | str, names: Iterable[str]) -> None:
    """Delete photo files; a file already gone is fine."""
    for name in names:
        if NAME_PATTERN.fullmatch(name):
            (Path(folder) / name).unlink(missing_ok=True)


def get_photo(venue: Venue, photo_id: int) -> VenuePhoto:
    photo = db.session.get(VenuePhoto, photo_id)
    if photo is None or photo.venue_id != venue.id:
        raise NotFound("photo")
    return photo


def servable_photo(name: str) -> bool:
    """Whether `name` is a photo (or its thumbnail) of a venue that is not archived."""
    if not NAME_PATTERN.fullmatch(name):
        return False
    filename = name.removesuffix(THUMB_SUFFIX) + ".jpg" if name.endswith(THUMB_SUFFIX) else name
    found = db.session.scalar(
        sa.select(VenuePhoto.id)
        .join(Venue, Venue.id == VenuePhoto.venue_id)
        .where(VenuePhoto.filename == filename, Venue.archived_at.is_(None))
    )
    return found is not None

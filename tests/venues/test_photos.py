"""Venue photos: checked by content, re-encoded without metadata, resized, thumbnailed, stored
under random names, reordered and deleted, and served only while their venue is listed."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from gongjian.audit import AuditEvent
from gongjian.errors import InvalidInput
from gongjian.extensions import db
from gongjian.venues import photos as photo_services
from gongjian.venues.models import VenuePhoto
from gongjian.venues.photos import prepare_photo
from gongjian.venues.services import archive_venue

from ..conftest import NOW
from ..pages import csrf_token, text
from . import manage_fixtures
from .manage_fixtures import image_bytes, sign_in

clock, people, photo_dir = manage_fixtures.clock, manage_fixtures.people, manage_fixtures.photo_dir

NAME = re.compile(r"[A-Za-z0-9_-]{22}\.jpg")


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        prepare_photo(data)
    return caught.value.details["fields"]["photo"]


def jpeg_with_metadata(size=(400, 200), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPS
    return image_bytes("JPEG", size, exif=exif.tobytes(), comment=b"private comment")


def png_bomb(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    return out.getvalue()


def photo_rows() -> list[VenuePhoto]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(VenuePhoto).order_by(VenuePhoto.position)))


# Checking and re-encoding (no database) -----------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_and_become_jpeg(fmt):
    prepared = prepare_photo(image_bytes(fmt, (800, 600)))
    assert opened(prepared.photo).format == "JPEG"
    assert (prepared.width, prepared.height) == (800, 600)
    assert opened(prepared.photo).size == (800, 600)


def test_a_large_photo_is_reduced_to_1600_pixels_with_a_400_pixel_thumbnail():
    prepared = prepare_photo(image_bytes("JPEG", (4000, 3000)))
    assert (prepared.width, prepared.height) == (1600, 1200)
    assert opened(prepared.photo).size == (1600, 1200)
    assert opened(prepared.thumbnail).size == (400, 300)


def test_a_small_photo_is_not_enlarged():
    prepared = prepare_photo(image_bytes("PNG", (300, 200)))
    assert opened(prepared.photo).size == (300, 200)
    assert opened(prepared.thumbnail).size == (300, 200)


def test_exif_gps_and_comments_are_stripped():
    prepared = prepare_photo(jpeg_with_metadata())
    for data in (prepared.photo, prepared.thumbnail):
        image = opened(data)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "comment" not in image.info
        assert "icc_profile" not in image.info
        assert b"SecretCam" not in data and b"private comment" not in data


def test_png_text_chunks_are_stripped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "张三 13800000000")
    prepared = prepare_photo(image_bytes("PNG", (100, 100), pnginfo=info))
    assert b"13800000000" not in prepared.photo


def test_the_exif_orientation_is_applied():
    # Orientation 6: the camera was turned; the picture must be rotated to stand upright.
    prepared = prepare_photo(jpeg_with_metadata(size=(400, 200), orientation=6))
    assert (prepared.width, prepared.height) == (200, 400)


def test_transparency_becomes_white():
    prepared = prepare_photo(image_bytes("PNG", (50, 50), mode="RGBA", color=(0, 0, 0, 0)))
    assert opened(prepared.photo).convert("RGB").getpixel((25, 25)) >= (250, 250, 250)


def test_bytes_after_the_image_do_not_survive():
    polyglot = image_bytes("JPEG") + b"<html><script>alert(1)</script></html>"
    prepared = prepare_photo(polyglot)
    assert b"<script>" not in prepared.photo


@pytest.mark.parametrize(("data", "code"), [
    (b"", "required"),
    (b"<script>alert(1)</script>", "unsupported_type"),
    (b"<!doctype html><html><body onload=alert(1)>hi</body></html>", "unsupported_type"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "unsupported_type"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "unsupported_type"),
    (image_bytes("GIF", (10, 10)), "unsupported_type"),
    (image_bytes("BMP", (10, 10)), "unsupported_type"),
    (image_bytes("TIFF", (10, 10)), "unsupported_type"),
    (image_bytes("JPEG", (800, 600))[:300], "unsupported_type"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "unsupported_type"),
    (b"\xff\xd8\xff" + b"x" * (5 * 1024 * 1024), "too_large"),
], ids=["empty", "script", "html", "svg", "pdf", "gif", "bmp", "tiff", "truncated",
        "jpeg-header-only", "over-5-mb"])
def test_what_is_not_a_usable_photo_is_refused(data, code):
    assert refusal(data) == code


def test_a_file_of_exactly_5_mb_is_accepted():
    data = image_bytes("JPEG", (10, 10))
    prepared = prepare_photo(data + b"\0" * (5 * 1024 * 1024 - len(data)))
    assert (prepared.width, prepared.height) == (10, 10)


@pytest.mark.parametrize("size", [(8000, 7000), (10000, 9000), (20000, 20000)],
                         ids=["over-our-limit", "pillow-warns", "pillow-refuses"])
def test_a_decompression_bomb_is_refused_before_decoding(size):
    assert refusal(png_bomb(size)) == "too_many_pixels"


# Storing, ordering, deleting ------------------------------------------------------------------


def test_adding_a_photo_stores_both_files_under_a_random_name(people, photo_dir):
    assert not photo_dir.exists()
    photo = photo_services.add_photo(venue=people.venue, data=jpeg_with_metadata((2400, 1800)),
                                     folder=photo_dir, actor=people.manager, now=NOW,
                                     caption="  篮球场  全景 ")
    db.session.commit()
    assert NAME.fullmatch(photo.filename)
    thumb = photo.filename.removesuffix(".jpg") + ".thumb.jpg"
    assert sorted(p.name for p in photo_dir.iterdir()) == sorted([photo.filename, thumb])
    assert opened((photo_dir / photo.filename).read_bytes()).size == (1600, 1200)
    assert opened((photo_dir / thumb).read_bytes()).size == (400, 300)
    assert (photo.width, photo.height, photo.position, photo.caption, photo.created_at) == (
        1600, 1200, 0, "篮球场 全景", NOW)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "venue_photo.add")).one()
    assert (event.actor_id, event.unit_id, event.venue_id, event.object_id) == (
        people.manager.id, people.unit.id, people.venue.id, photo.id)


def test_two_uploads_never_share_a_name(people, photo_dir):
    first = photo_services.add_photo(venue=people.venue, data=image_bytes(), folder=photo_dir,
                                     actor=people.manager, now=NOW)
    second = photo_services.add_photo(venue=people.venue, data=image_bytes(), folder=photo_dir,
                                      actor=people.manager, now=NOW)
    assert first.filename != second.filename
    assert (first.position, second.position) == (0, 1)


def test_a_refused_upload_writes_no_file_and_no_row(people, photo_dir):
    with pytest.raises(InvalidInput):
        photo_services.add_photo(venue=people.venue, data=b"<script>alert(1)</script>",
                                 folder=photo_dir, actor=people.manager, now=NOW)
    assert photo_rows() == []
    assert not photo_dir.exists()


def test_a_venue_holds_at_most_20_photos(people, photo_dir):
    data = image_bytes("JPEG", (40, 30))
    for _ in range(20):
        photo_services.add_photo(venue=people.venue, data=data, folder=photo_dir,
                                 actor=people.manager, now=NOW)
    with pytest.raises(InvalidInput) as caught:
        photo_services.add_photo(venue=people.venue, data=data, folder=photo_dir,
                                 actor=people.manager, now=NOW)
    assert caught.value.details["fields"] == {"photo": "too_many_photos"}


def test_a_manager_of_another_unit_cannot_add_photos(people, photo_dir):
    from gongjian.errors import NotAllowed

    with pytest.raises(NotAllowed):
        photo_services.add_photo(venue=people.venue, data=image_bytes(), folder=photo_dir,
                                 actor=people.other_manager, now=NOW)


@pytest.fixture
def three(people, photo_dir, make):
    photos = [photo_services.add_photo(venue=people.venue, data=image_bytes(), folder=photo_dir,
                                       actor=people.manager, now=NOW, caption=name)
              for name in ("一", "二", "三")]
    make.commit()
    return photos


def test_moving_a_photo_earlier_and_later(people, three):
    photo_services.move_photo(photo=three[2], offset=-1, actor=people.manager, now=NOW)
    assert [p.caption for p in photo_rows()] == ["一", "三", "二"]
    photo_services.move_photo(photo=three[0], offset=1, actor=people.manager, now=NOW)
    assert [p.caption for p in photo_rows()] == ["三", "一", "二"]
    assert [p.position for p in photo_rows()] == [0, 1, 2]
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "venue_photo.reorder")).all()
    assert events[0].after == {"photos": [three[0].id, three[2].id, three[1].id]}


def test_moving_the_first_photo_earlier_changes_nothing(people, three):
    photo_services.move_photo(photo=three[0], offset=-1, actor=people.manager, now=NOW)
    assert [p.caption for p in photo_rows()] == ["一", "二", "三"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "venue_photo.reorder")) == 0


def test_reordering_needs_every_photo_once(people, three):
    ids = [p.id for p in three]
    with pytest.raises(InvalidInput):
        photo_services.reorder_photos(venue=people.venue, order=ids[:2], actor=people.manager,
                                      now=NOW)
    photo_services.reorder_photos(venue=people.venue, order=ids[::-1], actor=people.manager,
                                  now=NOW)
    assert [p.caption for p in photo_rows()] == ["三", "二", "一"]


def test_deleting_a_photo_renumbers_the_rest_and_leaves_files_for_after_commit(people, three,
                                                                            photo_dir):
    names = photo_services.delete_photo(photo=three[0], actor=people.manager, now=NOW)
    db.session.commit()
    assert [(p.caption, p.position) for p in photo_rows()] == [("二", 0), ("三", 1)]
    assert names == [three[0].filename, three[0].filename.removesuffix(".jpg") + ".thumb.jpg"]
    assert all((photo_dir / name).exists() for name in names)
    photo_services.remove_files(photo_dir, names)
    assert not any((photo_dir / name).exists() for name in names)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "venue_photo.delete")).one()
    assert event.before["caption"] == "一"


def test_remove_files_touches_only_photo_names(photo_dir):
    photo_dir.mkdir()
    (photo_dir / "keep.txt").write_text("x")
    photo_services.remove_files(photo_dir, ["keep.txt", "../keep.txt"])
    assert (photo_dir / "keep.txt").exists()


def test_a_caption_is_at_most_200_characters(people, three):
    with pytest.raises(InvalidInput) as caught:
        photo_services.set_caption(photo=three[0], caption="长" * 201, actor=people.manager,
                                   now=NOW)
    assert caught.value.details["fields"] == {"caption": "too_long"}


# The pages ----------------------------------------------------------------------------------


def photos_url(venue) -> str:
    return f"/manage/venues/{venue.id}/photos"


def upload(client, venue, *files, token=True):
    """Post files to the photos page. The body is encoded in memory: werkzeug's test client
    would spool a large one to a temporary file it never closes."""
    url = photos_url(venue)
    fields = MultiDict([("photos", FileStorage(io.BytesIO(content), filename=name))
                        for name, content in files])
    if token:
        fields["csrf_token"] = csrf_token(client, url)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_uploading_photos_adds_them(client, people):
    sign_in(client, people.manager)
    response = upload(client, people.venue, ("场地.jpg", image_bytes("JPEG")),
                      ("二.webp", image_bytes("WEBP")))
    assert response.status_code == 303
    assert response.headers["Location"] == photos_url(people.venue)
    assert len(photo_rows()) == 2
    page = client.get(photos_url(people.venue))
    assert "2 photo(s) added." in text(page)
    assert "Photos (2 of at most 20)" in text(page)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("evil.jpg", b"<script>alert(1)</script>",
     "evil.jpg: This file is not a JPEG, PNG or WebP image (the file itself is checked, not "
     "its name)."),
    ("page.png", b"<html><body>hi</body></html>",
     "page.png: This file is not a JPEG, PNG or WebP image (the file itself is checked, not "
     "its name)."),
    ("big.jpg", b"\xff\xd8\xff" + b"x" * (5 * 1024 * 1024),
     "big.jpg: A photo may be at most 5 MB."),
    ("bomb.png", png_bomb((10000, 9000)),
     "bomb.png: This image has too many pixels to process; save it at a smaller size and try "
     "again."),
])
def test_a_refused_upload_says_why_and_writes_nothing(client, people, photo_dir, name, content,
                                                      message):
    sign_in(client, people.manager)
    response = upload(client, people.venue, (name, content))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'id="photos-error" role="alert">(.*?)</div>', html, re.S).group(1)
    assert text_of(error) == message
    assert 'aria-describedby="photos-hint photos-error"' in html
    assert photo_rows() == []
    assert not photo_dir.exists()


def text_of(html: str) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_good_files_of_a_mixed_upload_are_kept(client, people):
    sign_in(client, people.manager)
    response = upload(client, people.venue, ("ok.jpg", image_bytes()), ("bad.jpg", b"nope"))
    assert response.status_code == 422
    assert len(photo_rows()) == 1
    assert "1 photo(s) added." in text(response)
    assert "bad.jpg: This file is not a JPEG" in text(response)


def test_uploading_nothing_asks_for_a_photo(client, people):
    sign_in(client, people.manager)
    url = photos_url(people.venue)
    response = client.post(url, data={"csrf_token": csrf_token(client, url)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a photo to upload." in text(response)


def test_an_upload_beyond_the_request_limit_is_explained(client, people):
    sign_in(client, people.manager)
    response = upload(client, people.venue, ("huge.jpg", b"\xff" * (17 * 1024 * 1024)))
    assert response.status_code == 303
    assert response.headers["Location"] == photos_url(people.venue)
    assert "The upload was too large. Each photo may be at most 5 MB; upload large photos one " \
           "at a time." in text(client.get(photos_url(people.venue)))
    assert photo_rows() == []


def test_uploading_without_the_csrf_token_is_refused(client, people, photo_dir):
    sign_in(client, people.manager)
    response = upload(client, people.venue, ("a.jpg", image_bytes()), token=False)
    assert response.status_code == 400
    assert photo_rows() == []
    assert not photo_dir.exists()


def test_the_photos_page_shows_each_photo_with_its_alt_text(client, people, three):
    sign_in(client, people.manager)
    html = client.get(photos_url(people.venue)).get_data(as_text=True)
    thumb = three[0].filename.removesuffix(".jpg") + ".thumb.jpg"
    assert f'src="/photos/{thumb}"' in html
    assert 'alt="一"' in html
    assert "Card photo" in text(client.get(photos_url(people.venue)))


def test_setting_the_alt_text(client, people, three):
    sign_in(client, people.manager)
    photo = three[1]
    url = f"/manage/venues/{people.venue.id}/photos/{photo.id}/caption"
    token = csrf_token(client, photos_url(people.venue))
    response = client.post(url, data={"csrf_token": token, f"p{photo.id}-caption": "舞台"})
    assert response.status_code == 303
    assert [p.caption for p in photo_rows()] == ["一", "舞台", "三"]
    assert client.post(url, data={f"p{photo.id}-caption": "x"}).status_code == 400
    assert [p.caption for p in photo_rows()] == ["一", "舞台", "三"]


def test_a_too_long_alt_text_is_refused_on_its_field(client, people, three):
    sign_in(client, people.manager)
    photo = three[1]
    url = f"/manage/venues/{people.venue.id}/photos/{photo.id}/caption"
    token = csrf_token(client, photos_url(people.venue))
    response = client.post(url, data={"csrf_token": token, f"p{photo.id}-caption": "长" * 201})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="p{photo.id}-caption-error">Use at most 200 characters.</div>' in html
    assert "长" * 201 in html
    assert [p.caption for p in photo_rows()] == ["一", "二", "三"]


def test_moving_a_photo_on_the_page(client, people, three):
    sign_in(client, people.manager)
    url = f"/manage/venues/{people.venue.id}/photos/{three[2].id}/move"
    token = csrf_token(client, photos_url(people.venue))
    response = client.post(url, data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 303
    assert [p.caption for p in photo_rows()] == ["一", "三", "二"]
    assert client.post(url, data={"csrf_token": token, "direction": "sideways"}).status_code == 400
    assert client.post(url, data={"direction": "up"}).status_code == 400
    assert [p.caption for p in photo_rows()] == ["一", "三", "二"]


def test_deleting_a_photo_on_the_page_removes_its_files(client, people, three, photo_dir):
    sign_in(client, people.manager)
    photo = three[0]
    url = f"/manage/venues/{people.venue.id}/photos/{photo.id}/delete"
    assert client.post(url).status_code == 400
    assert len(photo_rows()) == 3
    token = csrf_token(client, photos_url(people.venue))
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert [p.caption for p in photo_rows()] == ["二", "三"]
    assert not (photo_dir / photo.filename).exists()
    assert "The photo is deleted." in text(client.get(photos_url(people.venue)))


# Serving -----------------------------------------------------------------------------------------


def fetch(client, url):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_a_photo_is_served_with_long_caching_and_nosniff(client, people, three, photo_dir):
    response = fetch(client, f"/photos/{three[0].filename}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.max_age == 31536000
    assert response.cache_control.public and response.cache_control.immutable
    assert response.get_data() == (photo_dir / three[0].filename).read_bytes()


def test_a_thumbnail_is_served(client, people, three):
    thumb = three[0].filename.removesuffix(".jpg") + ".thumb.jpg"
    response = fetch(client, f"/photos/{thumb}")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.get_data())).size == (400, 300)


@pytest.mark.parametrize("name", ["unknown.jpg", "AAAAAAAAAAAAAAAAAAAAAA.jpg", "..%2Fsecret_key",
                                  "%2Fetc%2Fpasswd", ".x.part"])
def test_only_photo_names_are_served(client, people, three, name):
    assert fetch(client, f"/photos/{name}").status_code == 404


def test_a_file_in_the_folder_without_a_row_is_not_served(client, people, three, photo_dir):
    stray = "BBBBBBBBBBBBBBBBBBBBBB.jpg"
    (photo_dir / stray).write_bytes(image_bytes())
    assert fetch(client, f"/photos/{stray}").status_code == 404


def test_photos_of_an_archived_venue_are_not_served(client, people, three, make):
    archive_venue(venue=people.venue, actor=people.admin, now=NOW)
    make.commit()
    assert fetch(client, f"/photos/{three[0].filename}").status_code == 404


def test_the_search_card_shows_the_first_photos_thumbnail(client, people, three):
    sign_in(client, None)
    html = client.get("/").get_data(as_text=True)
    thumb = three[0].filename.removesuffix(".jpg") + ".thumb.jpg"
    assert f'src="/photos/{thumb}"' in html

from gongjian.bookings.models import BookingStatus

from .factories import local


def test_a_booking_on_a_free_slot_is_confirmed(app, make):
    venue = make.venue()
    booking = make.booking(venue=venue, start=local(2026, 12, 3, 14), end=local(2026, 12, 3, 16))
    make.commit()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.revision == 0

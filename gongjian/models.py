"""Every model, imported once so the metadata (and Alembic) sees every table."""

from .accounts.models import (  # noqa: F401
    ApiToken,
    Community,
    FeedToken,
    ManagerInvitation,
    Membership,
    Notification,
    Organization,
    Street,
    Unit,
    User,
)
from .audit import AuditEvent  # noqa: F401
from .bookings.models import Booking, Series  # noqa: F401
from .jobs_models import SchedulerLock  # noqa: F401
from .stats.models import Agreement  # noqa: F401
from .venues.models import Closure, OpeningHours, Venue, VenuePhoto  # noqa: F401

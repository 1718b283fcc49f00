"""JSON API v1 (product.md §9): a thin layer over the domain services.

`registry` holds the blueprint and the `operation` declarations; each module below declares
its endpoints on import; `openapi` turns the declarations into the OpenAPI document.
"""

from . import (  # noqa: F401  (each module declares its routes)
    agreements,
    bookings,
    feed_tokens,
    me,
    openapi,
    openness,
    places,
    series,
    venues,
)
from .auth import current_api_user
from .registry import bp

__all__ = ["bp", "current_api_user"]

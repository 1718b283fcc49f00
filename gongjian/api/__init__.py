"""JSON API v1 (product.md §9): a thin layer over the domain services."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

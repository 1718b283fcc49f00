"""Feed URLs: /feeds/venues/<id>.ics, /feeds/me/<token>.ics, /feeds/units/<token>.ics."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

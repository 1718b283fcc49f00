"""The feeds' message catalog.

Calendar text must read "已预约" in Chinese (the default) whatever else is translated, so the
feeds carry their own `feeds` catalog. It is looked up first and the application's `messages`
catalog second, which overrides it where both translate a string: once the main catalog takes
these strings over, this one can go.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

HERE = Path(__file__).resolve().parent
APP_TRANSLATIONS = HERE.parent / "translations"

FEEDS_DOMAIN = Domain(
    translation_directories=[str(HERE / "translations"), str(APP_TRANSLATIONS)],
    domain="feeds;messages",
)
gettext = FEEDS_DOMAIN.gettext

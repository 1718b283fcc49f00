"""Venue descriptions and booking notes: plain text or a safe subset of Markdown.

Managers type plain text or CommonMark. markdown-it renders it with raw HTML switched off (a
`<script>` typed in stays text), single line breaks kept (plain text reads as typed), and the
headings moved down two levels so a manager's "# Title" sits under the page's own h1/h2. nh3
then keeps only a short list of tags, and links only to http, https and mailto addresses, with
rel="nofollow noopener". Whatever the renderer lets through, the sanitizer has the last word.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "blockquote",
    "code", "pre",
})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "nofollow noopener"
# Headings in a manager's text start below the page's h1 (the venue) and h2 (the section).
HEADING_SHIFT = 2

_renderer = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})


def _image_as_text(renderer, tokens, idx, options, env) -> str:
    # Pictures from elsewhere are not shown (tracking, broken links): their alt text is.
    return escapeHtml(renderer.renderInlineAsText(tokens[idx].children or [], options, env))


_renderer.add_render_rule("image", _image_as_text)


def _shift_headings(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"


def _keep_safe_links(element: str, attribute: str, value: str) -> str | None:
    """Links only to absolute http(s) and mailto addresses; relative and other schemes go."""
    if element == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    return value


def sanitize_html(html: str) -> str:
    """Only the allowed tags and safe links survive; everything else is dropped or escaped."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_safe_links,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Plain text or Markdown as sanitized HTML, safe to put in a page as it is."""
    if not text or not text.strip():
        return Markup("")
    tokens = _renderer.parse(text)
    _shift_headings(tokens)
    html = _renderer.renderer.render(tokens, _renderer.options, {})
    return Markup(sanitize_html(html).strip())

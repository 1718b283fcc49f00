"""Descriptions and booking notes: plain text or safe Markdown, sanitized."""

from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from gongjian.venues.markup import render_markdown, sanitize_html


def html(text: str) -> str:
    return str(render_markdown(text))


def test_plain_text_keeps_its_line_breaks():
    assert html("宽敞明亮\n可容纳40人") == "<p>宽敞明亮<br>\n可容纳40人</p>"


def test_paragraphs():
    assert html("一\n\n二") == "<p>一</p>\n<p>二</p>"


def test_nothing_gives_nothing():
    assert html("") == "" and html("  \n ") == "" and html(None) == ""


def test_the_result_is_markup():
    assert isinstance(render_markdown("x"), Markup)


def test_emphasis_lists_quotes_and_code():
    assert html("**粗** *斜*") == "<p><strong>粗</strong> <em>斜</em></p>"
    assert html("- 一\n- 二") == "<ul>\n<li>一</li>\n<li>二</li>\n</ul>"
    assert html("1. 一\n2. 二") == "<ol>\n<li>一</li>\n<li>二</li>\n</ol>"
    assert html("> 引用") == "<blockquote>\n<p>引用</p>\n</blockquote>"
    assert html("`a<b`") == "<p><code>a&lt;b</code></p>"
    assert html("```\nx <y>\n```") == "<pre><code>x &lt;y&gt;\n</code></pre>"


@pytest.mark.parametrize(("source", "tag"), [
    ("# 一", "h3"), ("## 二", "h4"), ("### 三", "h5"), ("#### 四", "h6"), ("###### 六", "h6"),
])
def test_headings_start_below_the_pages_own(source, tag):
    assert html(source) == f"<{tag}>{source.lstrip('# ')}</{tag}>"


def test_web_and_mail_links_get_nofollow_noopener():
    assert html("[规定](https://example.cn/a?b=1&c=2)") == (
        '<p><a href="https://example.cn/a?b=1&amp;c=2" rel="nofollow noopener">规定</a></p>')
    assert html("[信](mailto:a@example.cn)") == (
        '<p><a href="mailto:a@example.cn" rel="nofollow noopener">信</a></p>')
    assert html("<http://example.cn>") == (
        '<p><a href="http://example.cn" rel="nofollow noopener">http://example.cn</a></p>')


@pytest.mark.parametrize("target", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "file:///etc/passwd",
])
def test_dangerous_links_are_not_links(target):
    out = html(f"[x]({target})")
    assert "<a" not in out and "href" not in out


def test_relative_links_lose_their_target():
    assert html("[x](/admin)") == '<p><a rel="nofollow noopener">x</a></p>'


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
])
def test_raw_html_is_shown_as_text(payload):
    out = html(payload)
    assert "<" not in out.replace("<p>", "").replace("</p>", "")


def test_images_show_their_alt_text_only():
    assert html('![球场 <b>x</b>](https://tracker.example/p.png "t")') == (
        "<p>球场 &lt;b&gt;x&lt;/b&gt;</p>")


def test_tables_and_rules_are_not_rendered_as_markup():
    out = html("a\n\n---\n\nb")
    assert "<hr" not in out


@pytest.mark.parametrize(("dirty", "clean"), [
    ('<p onclick="x()">a</p>', "<p>a</p>"),
    ("<script>alert(1)</script><p>b</p>", "<p>b</p>"),
    ('<a href="javascript:alert(1)">c</a>', '<a rel="nofollow noopener">c</a>'),
    ('<a href="https://x.cn" target="_blank" rel="opener">d</a>',
     '<a href="https://x.cn" rel="nofollow noopener">d</a>'),
    ("<h1>e</h1><h2>f</h2><h3>g</h3>", "efg".replace("g", "<h3>g</h3>")),
    ('<img src="x" onerror="alert(1)">', ""),
    ("<table><tr><td>h</td></tr></table>", "h"),
    ("<!-- secret --><em>i</em>", "<em>i</em>"),
])
def test_the_sanitizer_keeps_only_the_allowed_tags(dirty, clean):
    assert sanitize_html(dirty) == clean


def test_the_markdown_filter_is_registered(app):
    with app.test_request_context("/"):
        out = render_template_string("{{ text|markdown }}", text="**a** <script>x</script>")
    assert out == "<p><strong>a</strong> &lt;script&gt;x&lt;/script&gt;</p>"

"""Markdown to safe HTML: markdown-it-py (CommonMark, with tables) then nh3 (ammonia).

Staff write Markdown; what reaches a page or an email is only what nh3 lets through: no
script, no style, no event handler, links limited to http, https and mailto.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
MAX_MARKDOWN = 100_000


def to_html(markdown: str) -> str:
    """The Markdown as sanitized HTML (also safe if the Markdown carries raw HTML)."""
    rendered = _markdown.render(markdown or "")
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


# Email clients ignore stylesheets: the (already sanitized) HTML gets the Network's inline
# styles on the tags staff can produce. Only our own constant attributes are added.
_EMAIL_STYLES = {
    "h1": "font-size:22px;margin:0 0 12px;color:#1f2a33;",
    "h2": "font-size:18px;margin:24px 0 8px;color:#8a1c1c;",
    "h3": "font-size:16px;margin:18px 0 6px;",
    "p": "margin:0 0 12px;",
    "table": "border-collapse:collapse;width:100%;margin:0 0 12px;font-size:14px;",
    "th": "text-align:left;border-bottom:2px solid #e3e0d8;padding:4px 6px;",
    "td": "border-bottom:1px solid #e3e0d8;padding:4px 6px;",
    "a": "color:#8a1c1c;",
    "ul": "margin:0 0 12px;padding-left:20px;",
}
_OPEN_TAG = re.compile(r"<(" + "|".join(_EMAIL_STYLES) + r")(?=[\s>])")


def email_html(safe_html: str) -> str:
    return _OPEN_TAG.sub(lambda m: f'<{m.group(1)} style="{_EMAIL_STYLES[m.group(1)]}"', safe_html)

"""Template tags of the staff pages: sortable column headers and links that keep the current filters."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with `changes` applied (a None or empty value removes the key)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label) -> str:
    """A column header that sorts the attendee table by `key`, and again the other way round."""
    current = context["filters"]["sort"]
    ascending, descending = current == key, current == f"-{key}"
    link = "?" + query_with(context, sort=f"-{key}" if ascending else key, page=None)
    aria = "ascending" if ascending else "descending" if descending else "none"
    arrow = " ▲" if ascending else " ▼" if descending else ""
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="{}" hx-get="{}" hx-target="#attendees" hx-swap="outerHTML" '
        'hx-push-url="true">{}{}</a></th>',
        aria,
        link,
        link,
        label,
        arrow,
    )

"""The page that asks "are you sure?" before an admin action changes state, for every app's admin.

Stage moves, quarantine release, cleanups and anonymisation all ask the same way: the page names
each object and what will happen (templates/admin/confirm_action.html), and only its own POST,
carrying "confirmed", does the work.
"""

from __future__ import annotations

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

CONFIRMATION_TEMPLATE = "admin/confirm_action.html"


def action_confirmed(request) -> bool:
    """Whether this is the confirmation page's own POST."""
    return request.method == "POST" and request.POST.get("confirmed") == "yes"


def action_confirmation_page(
    modeladmin, request, *, title, question, items, confirm_label, **extra
) -> TemplateResponse:
    """The intermediate page of a state-changing action: names each object and what will happen.

    `items` are dicts of "object", "status" and "warning"; `extra` may add "consequences",
    "action_name" (an action re-posts its selection), "note_label", "original" and "cancel_url".
    """
    request.current_app = modeladmin.admin_site.name
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "items": items,
        "confirm_label": confirm_label,
        "opts": modeladmin.opts,
        "media": modeladmin.media,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        **extra,
    }
    return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)

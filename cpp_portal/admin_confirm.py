"""The confirmation page every state-changing admin action shows before it acts."""

from __future__ import annotations

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

CONFIRMATION_TEMPLATE = "admin/confirm_action.html"


def confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get("confirmed") == "yes"


def confirmation_page(modeladmin, request, *, title, question, items, confirm_label, **extra) -> TemplateResponse:
    """The intermediate page of a state-changing action: names each object and what will happen."""
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

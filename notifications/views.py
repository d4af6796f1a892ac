"""The staff outbox: every email the portal queued, its status, and the email as sent."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts import roles
from notifications import sealing
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from notifications.selectors import outbox_list


def _staff_only(request) -> None:
    # The outbox holds every customer's address: Solutions Architects only, and a 404 for
    # anyone else so the page's existence tells them nothing.
    if not roles.is_solutions_architect(request.user):
        raise Http404


@login_required
def outbox(request):
    _staff_only(request)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(outbox_list(status=status, kind=kind, search=search), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "q": search,
            "statuses": EmailStatus.choices,
            "kinds": EmailKind.choices,
            "kept_in_app": sealing.outbox_only(),
        },
    )


@login_required
def outbox_email(request, email_id: int):
    _staff_only(request)
    email = get_object_or_404(OutboundEmail.objects.select_related("workshop", "recipient"), pk=email_id)
    # A key-carrying email's bodies are opened only where nothing is really sent (sealing).
    show_body = sealing.shown_to_staff(email)
    body_text, body_html = sealing.bodies(email) if show_body else ("", "")
    return render(
        request,
        "notifications/outbox_email.html",
        {"email": email, "show_body": show_body, "body_text": body_text, "has_html": bool(body_html)},
    )


@login_required
@xframe_options_sameorigin
def outbox_email_html(request, email_id: int):
    """The HTML body alone, for the sandboxed frame on the email's page."""
    _staff_only(request)
    email = get_object_or_404(OutboundEmail, pk=email_id)
    if not sealing.shown_to_staff(email):
        raise Http404
    _body_text, body_html = sealing.bodies(email)
    response = render(request, "notifications/outbox_email_frame.html", {"body_html": body_html})
    # The body is our own rendering, but it is still an email: no scripts, no forms.
    response["Content-Security-Policy"] = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    return response

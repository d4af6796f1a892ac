"""The staff outbox: every email the portal queued, its status, and the email as sent."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts import roles
from notifications.models import EmailKind, EmailStatus, OutboundEmail
from notifications.selectors import outbox_list


def _staff_only(request) -> None:
    # The outbox holds every customer's address: Solutions Architects only, and a 404 for
    # anyone else so the page's existence tells them nothing.
    if not roles.is_solutions_architect(request.user):
        raise Http404


def links_visible(email: OutboundEmail) -> bool:
    """Sign-in links are someone's key: staff read them only where nothing is really sent."""
    personal = email.kind in (EmailKind.MAGIC_LINK, EmailKind.ACCOUNT_MESSAGE)
    return not personal or settings.EMAIL_BACKEND == settings.OUTBOX_ONLY_BACKEND


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
            "kept_in_app": settings.EMAIL_BACKEND == settings.OUTBOX_ONLY_BACKEND,
        },
    )


@login_required
def outbox_email(request, email_id: int):
    _staff_only(request)
    email = get_object_or_404(OutboundEmail.objects.select_related("workshop", "recipient"), pk=email_id)
    return render(request, "notifications/outbox_email.html", {"email": email, "show_body": links_visible(email)})


@login_required
@xframe_options_sameorigin
def outbox_email_html(request, email_id: int):
    """The HTML body alone, for the sandboxed frame on the email's page."""
    _staff_only(request)
    email = get_object_or_404(OutboundEmail, pk=email_id)
    if not links_visible(email):
        raise Http404
    response = render(request, "notifications/outbox_email_frame.html", {"email": email})
    # The body is our own rendering, but it is still an email: no scripts, no forms.
    response["Content-Security-Policy"] = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    return response

"""A URL map with the customer page that emails link to, for tests that need only the links."""

from django.http import HttpResponse
from django.urls import include, path

workshop_patterns = ([path("me/workshops/", lambda request: HttpResponse(), name="my_workshops")], "workshops")

urlpatterns = [path("", include(workshop_patterns))]

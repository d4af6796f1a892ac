from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cpp_portal.health import healthz

admin.site.site_header = "CPP Portal"
admin.site.site_title = "CPP Portal"
admin.site.index_title = "Workshops, people and sandbox accounts"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
]


from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login, email_addresses, home, password_set
from cpp_portal.health import healthz

admin.site.site_header = "CPP Portal"
admin.site.site_title = "CPP Portal"
admin.site.index_title = "Workshops, people and sandbox accounts"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before admin.site.urls: staff sign in through allauth (rate limited), never the admin's form.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("notifications.urls")),
    path("", include("accounts.urls")),
    path("", include("workshops.urls")),
    path("", include("cleaner.urls")),
    path("", include("privacy.urls")),
    path("", include("stats.urls")),
    path("", include("staff.urls")),
    # allauth: staff password sign-in (and its rate limits); customers use magic links. Before it,
    # the two pages of allauth's that would let anyone swap their address or give a customer a password.
    path("accounts/email/", email_addresses, name="account_email"),
    path("accounts/password/set/", password_set, name="account_set_password"),
    path("accounts/", include("allauth.urls")),
    path("", home, name="home"),
]

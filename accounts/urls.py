from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/sent/", views.login_sent, name="login_sent"),
    path("login/link/", views.magic_link, name="magic_link"),
    path("logout/", views.logout, name="logout"),
    path("me/profile/", views.profile, name="profile"),
    path("privacy/", views.privacy, name="privacy"),
]

from django.urls import path

from stats import views

app_name = "stats"

urlpatterns = [
    path("staff/stats/", views.dashboard, name="dashboard"),
    path("staff/stats/<slug:table>.csv", views.download, name="download"),
]

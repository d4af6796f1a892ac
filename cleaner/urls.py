from django.urls import path

from cleaner import views

app_name = "cleaner"

urlpatterns = [
    path("staff/cleanup/", views.run_list, name="runs"),
    path("staff/cleanup/<int:run_id>/", views.run_detail, name="run"),
    path("staff/cleanup/<int:run_id>/progress.json", views.run_progress, name="run_progress"),
]

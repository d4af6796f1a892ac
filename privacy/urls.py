from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("me/data.json", views.my_data, name="my_data"),
    path("me/anonymise/", views.anonymise_me, name="anonymise_me"),
    path("anonymised/", views.anonymised, name="anonymised"),
]

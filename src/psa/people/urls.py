from django.urls import path

from psa.people import views

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("<int:person_id>/", views.person_detail, name="person_detail"),
]

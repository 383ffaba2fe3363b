from django.urls import path

from psa.people import views

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<int:person_id>/", views.person_detail, name="person_detail"),
    path("<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("<int:person_id>/invite/", views.invitation_send, name="person_invite"),
    path("<int:person_id>/cost-rates/", views.cost_rate_set, name="person_cost_rate_set"),
    path(
        "<int:person_id>/cost-rates/<str:effective_from>/delete/",
        views.cost_rate_delete,
        name="person_cost_rate_delete",
    ),
    path("<int:person_id>/time-off/", views.time_off_create, name="person_time_off_create"),
    path(
        "time-off/<int:time_off_id>/delete/", views.time_off_delete, name="person_time_off_delete"
    ),
]

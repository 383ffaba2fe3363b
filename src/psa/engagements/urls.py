from django.urls import path

from psa.engagements import views

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<int:engagement_id>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:engagement_id>/edit/", views.engagement_edit, name="engagement_edit"),
    path(
        "engagements/<int:engagement_id>/status/", views.engagement_status, name="engagement_status"
    ),
    path(
        "engagements/<int:engagement_id>/comments/",
        views.comment_add,
        name="engagement_comment_add",
    ),
    path(
        "engagements/<int:engagement_id>/bill-rates/",
        views.bill_rate_set,
        name="engagement_bill_rate_set",
    ),
    path(
        "engagements/<int:engagement_id>/bill-rates/<str:effective_from>/delete/",
        views.bill_rate_delete,
        name="engagement_bill_rate_delete",
    ),
    path(
        "engagements/milestones/<int:milestone_id>/reached/",
        views.milestone_reached,
        name="engagement_milestone_reached",
    ),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
]

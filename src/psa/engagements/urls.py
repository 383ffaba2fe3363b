from django.urls import path

from psa.engagements import views

urlpatterns = [
    path("engagements/", views.engagement_list, name="engagement_list"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<int:engagement_id>/", views.engagement_detail, name="engagement_detail"),
    path("customers/", views.customer_list, name="customer_list"),
]

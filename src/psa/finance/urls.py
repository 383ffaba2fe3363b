from django.urls import path

from psa.finance import views

urlpatterns = [
    path("rates/", views.rate_gaps, name="finance_rate_gaps"),
]

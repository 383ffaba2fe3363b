from django.urls import path

from psa.finance import views

urlpatterns = [
    path("rates/", views.rate_gaps, name="finance_rate_gaps"),
    path("utilization/", views.utilization, name="finance_utilization"),
    path("targets/", views.target_set, name="finance_target_set"),
    path("forecast/", views.forecast, name="finance_forecast"),
    path("revenue/", views.revenue, name="finance_revenue"),
    path("margin/", views.margin, name="finance_margin"),
]

from django.urls import path

from psa.finance import views

urlpatterns = [
    path("rates/", views.rate_gaps, name="finance_rate_gaps"),
    path("utilization/", views.utilization, name="finance_utilization"),
    path("targets/", views.target_set, name="finance_target_set"),
    path("forecast/", views.forecast, name="finance_forecast"),
    path("revenue/", views.revenue, name="finance_revenue"),
    path("margin/", views.margin, name="finance_margin"),
    path("entries/", views.entries, name="finance_entries"),
    path("periods/", views.period_list, name="finance_periods"),
    path("close-out/<int:engagement_id>/", views.close_out, name="finance_close_out"),
    path(
        "close-out/<int:engagement_id>/file/", views.close_out_file, name="finance_close_out_file"
    ),
    path("periods/close/", views.period_close, name="finance_period_close"),
    path("periods/<int:period_id>/reopen/", views.period_reopen, name="finance_period_reopen"),
]

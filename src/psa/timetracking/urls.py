from django.urls import path

from psa.timetracking import views

urlpatterns = [
    path("", views.my_week, name="time_week"),
    path("submit/", views.week_submit, name="time_submit"),
    path("correct/", views.week_correct, name="time_correct"),
    path("work-items/new/", views.work_item_new, name="time_work_item_new"),
    path("timer/start/", views.timer_start, name="time_timer_start"),
    path("timer/stop/", views.timer_stop, name="time_timer_stop"),
    path("timer/discard/", views.timer_discard, name="time_timer_discard"),
    path("timesheets/", views.timesheets, name="time_timesheets"),
    path("report/", views.quarterly_report, name="time_report"),
    path("epics/", views.epic_tree_page, name="time_epics"),
    path("import/", views.time_import_page, name="time_import"),
    path("import/<int:job_id>/confirm/", views.time_import_confirm, name="time_import_confirm"),
    path("report/team/", views.team_reports_start, name="time_team_reports"),
    path("certifications/", views.certification_queue, name="time_certifications"),
    path(
        "certifications/<int:certification_id>/",
        views.certification_detail,
        name="time_certification",
    ),
    path(
        "certifications/<int:certification_id>/decide/",
        views.certification_decide,
        name="time_certification_decide",
    ),
    path(
        "certifications/<int:certification_id>/resubmit/",
        views.certification_resubmit,
        name="time_certification_resubmit",
    ),
    path(
        "certifications/<int:certification_id>/reopen/",
        views.certification_reopen,
        name="time_certification_reopen",
    ),
]

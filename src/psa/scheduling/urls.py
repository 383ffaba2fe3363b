from django.urls import path

from psa.scheduling import views

urlpatterns = [
    path("", views.board, name="schedule_board"),
    path("board/<int:person_id>/<str:week>/", views.board_cell, name="schedule_cell"),
    path("requests/", views.request_queue, name="schedule_requests"),
    path("requests/new/", views.request_create, name="schedule_request_new"),
    path("requests/check/", views.request_check, name="schedule_check"),
    path("requests/<int:request_id>/", views.request_detail, name="schedule_request"),
    path(
        "requests/<int:request_id>/confirm/",
        views.request_confirm,
        name="schedule_request_confirm",
    ),
    path(
        "requests/<int:request_id>/decline/",
        views.request_decline,
        name="schedule_request_decline",
    ),
    path(
        "requests/<int:request_id>/withdraw/",
        views.request_withdraw,
        name="schedule_request_withdraw",
    ),
    path("review/", views.weekly_review, name="schedule_review"),
    path("me/", views.my_schedule, name="schedule_me"),
    path("me/internal/", views.internal_create, name="schedule_internal_create"),
    path(
        "internal/<int:booking_id>/cancel/",
        views.internal_cancel,
        name="schedule_internal_cancel",
    ),
    path("spreadsheet/", views.sheet_page, name="schedule_sheet"),
    path(
        "spreadsheet/<int:job_id>/confirm/",
        views.sheet_import_confirm,
        name="schedule_sheet_confirm",
    ),
    path("me/feeds/", views.feed_create, name="schedule_feed_create"),
    path("feeds/<int:feed_id>/revoke/", views.feed_revoke, name="schedule_feed_revoke"),
]

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from psa.api import api
from psa.core import views as core_views
from psa.core.api import api_not_found, problem_405
from psa.home import views as home_views
from psa.people import views as people_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("feeds/", include("psa.scheduling.feed_views")),
    path("api/v1/", problem_405(api.urls)),
    # Anything else under /api/ is an unknown API path: problem+json, not the HTML 404 page.
    re_path(r"^api(?:/|$)", api_not_found),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home_views.home, name="home"),
    path("notifications/", home_views.notification_list, name="notifications"),
    path("invite/<str:secret>/", people_views.invitation, name="invitation"),
    path("notifications/read/", home_views.notifications_read_all, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/open/",
        home_views.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        home_views.notification_read,
        name="notification_read",
    ),
    path("audit/", core_views.audit_page, name="audit"),
    path("tokens/", core_views.tokens_page, name="tokens"),
    path("jobs/", core_views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", core_views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/retry/", core_views.job_retry, name="job_retry"),
    path("people/", include("psa.people.urls")),
    path("schedule/", include("psa.scheduling.urls")),
    path("time/", include("psa.timetracking.urls")),
    path("finance/", include("psa.finance.urls")),
    path("", include("psa.engagements.urls")),
]

from django.apps import AppConfig


class TimetrackingConfig(AppConfig):
    name = "psa.timetracking"
    label = "timetracking"
    verbose_name = "Time tracking"

from django.apps import AppConfig


class TimetrackingConfig(AppConfig):
    name = "psa.timetracking"
    label = "timetracking"
    verbose_name = "Time tracking"

    def ready(self) -> None:
        from psa.core import jobs
        from psa.timetracking.tasks import TIME_IMPORT

        # A time import's job page lists its bad rows and, after a clean check, the Import button.
        jobs.RESULT_TEMPLATES[TIME_IMPORT] = "timetracking/_import_result.html"

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "psa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from psa.core import jobs
        from psa.scheduling.tasks import SCHEDULE_IMPORT

        # A schedule import's job page lists its bad rows and, after a clean check, the button.
        jobs.RESULT_TEMPLATES[SCHEDULE_IMPORT] = "scheduling/_import_result.html"

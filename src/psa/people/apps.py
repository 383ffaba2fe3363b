from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "psa.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from psa.people import cache

        cache.connect()

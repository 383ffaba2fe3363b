from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "psa.engagements"
    label = "engagements"
    verbose_name = "Engagements"

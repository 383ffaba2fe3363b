from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "psa.finance"
    label = "finance"
    verbose_name = "Finance"

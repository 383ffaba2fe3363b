from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "psa.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from psa.core import audit
        from psa.people import cache, selectors, services

        cache.connect()
        # The audit log shows a person's pay data to those who may see it on the person.
        audit.register_mask(
            "people.person",
            services.PAY_DATA,
            lambda actor, target_id: (
                target_id.isdigit() and selectors.may_read_pay(actor, int(target_id))
            ),
        )

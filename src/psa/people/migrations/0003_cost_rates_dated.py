"""A person's cost rate becomes a series of dated rates (issue #11, rates with dates).

Each person's single rate becomes their first rate, in force from their start date, so that
every hour they have logged is priced as before. A rate of 0 was the old default for a rate
never entered, so it becomes no rate at all: the person's hours are then reported as having
no cost rate rather than costed at 0 (docs/decisions/0011-dated-rates.md).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def first_rates(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Person = apps.get_model("people", "Person")
    CostRate = apps.get_model("people", "CostRate")
    rows = Person.objects.filter(cost_rate__gt=0).values_list(
        "pk", "start_date", "cost_rate", "cost_currency"
    )
    CostRate.objects.bulk_create(
        CostRate(person_id=pk, effective_from=start, rate=rate, currency=currency)
        for pk, start, rate, currency in rows.iterator()
    )


def single_rates(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Back to one rate a person: the one in force today, else the first (else 0 USD)."""
    import datetime as dt

    Person = apps.get_model("people", "Person")
    CostRate = apps.get_model("people", "CostRate")
    today = dt.datetime.now(dt.UTC).date()
    for person in Person.objects.all().iterator():
        rates = CostRate.objects.filter(person_id=person.pk)
        rate = rates.filter(effective_from__lte=today).order_by("-effective_from").first()
        rate = rate or rates.order_by("effective_from").first()
        if rate is not None:
            person.cost_rate, person.cost_currency = rate.rate, rate.currency
            person.save(update_fields=["cost_rate", "cost_currency"])


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_person_name_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CostRate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField()),
                ("rate", models.DecimalField(decimal_places=2, max_digits=10)),
                ("currency", models.CharField(max_length=3)),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cost_rates",
                        to="people.person",
                    ),
                ),
            ],
            options={
                "ordering": ["person_id", "effective_from"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("person", "effective_from"), name="cost_rate_one_per_day"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("rate__gte", 0)), name="cost_rate_not_negative"
                    ),
                ],
            },
        ),
        migrations.RunPython(first_rates, single_rates),
        migrations.RemoveField(model_name="person", name="cost_currency"),
        migrations.RemoveField(model_name="person", name="cost_rate"),
    ]

"""An engagement's bill rate becomes a series of dated rates (issue #11, rates with dates).

The single rate becomes the first, in force from the engagement's start date (or, without
one, the day it was created), so that every hour logged on it is priced as before.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def first_rates(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Engagement = apps.get_model("engagements", "Engagement")
    BillRate = apps.get_model("engagements", "BillRate")
    rows = Engagement.objects.filter(bill_rate__isnull=False).values_list(
        "pk", "start_date", "created_at", "bill_rate"
    )
    BillRate.objects.bulk_create(
        BillRate(engagement_id=pk, effective_from=start or created.date(), rate=rate)
        for pk, start, created, rate in rows.iterator()
    )


def single_rates(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Back to one rate an engagement: the latest."""
    Engagement = apps.get_model("engagements", "Engagement")
    BillRate = apps.get_model("engagements", "BillRate")
    for rate in BillRate.objects.order_by("engagement_id", "effective_from").iterator():
        Engagement.objects.filter(pk=rate.engagement_id).update(bill_rate=rate.rate)


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0002_milestone_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="BillRate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField()),
                ("rate", models.DecimalField(decimal_places=2, max_digits=10)),
                (
                    "engagement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bill_rates",
                        to="engagements.engagement",
                    ),
                ),
            ],
            options={
                "ordering": ["engagement_id", "effective_from"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("engagement", "effective_from"), name="bill_rate_one_per_day"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("rate__gte", 0)), name="bill_rate_not_negative"
                    ),
                ],
            },
        ),
        migrations.RunPython(first_rates, single_rates),
        migrations.RemoveField(model_name="engagement", name="bill_rate"),
    ]

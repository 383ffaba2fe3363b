"""The day an engagement was marked complete (issue #11, revenue recognition: a packaged
engagement's revenue falls in the period of its completion). Engagements completed before
this kept no date: their last update is the best record of it."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def from_last_update(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Engagement = apps.get_model("engagements", "Engagement")
    for engagement in Engagement.objects.filter(status="complete").iterator():
        engagement.completed_on = engagement.updated_at.date()
        engagement.save(update_fields=["completed_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0003_bill_rates_dated"),
    ]

    operations = [
        migrations.AddField(
            model_name="engagement",
            name="completed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(from_last_update, migrations.RunPython.noop),
    ]

# Every category outside Project Work (and the certifications' Time Tracking) gets its standing
# work item, so each handbook category is loggable. The rule is copied here on purpose: a
# migration must not change when live code does.

from django.db import migrations, models
from django.utils import timezone

NO_STANDING_ITEM_UNDER = {"Project Work"}
NO_STANDING_ITEM = {("PS Internal", "Time Tracking")}


def add_standing_items(apps, schema_editor):
    Epic = apps.get_model("timetracking", "Epic")
    WorkItem = apps.get_model("timetracking", "WorkItem")
    now = timezone.now()
    for category in Epic.objects.filter(parent__isnull=False).select_related("parent"):
        major = category.parent.name
        if major in NO_STANDING_ITEM_UNDER or (major, category.name) in NO_STANDING_ITEM:
            continue
        if not WorkItem.objects.filter(epic=category, standing=True).exists():
            WorkItem.objects.create(
                title=category.name, epic=category, standing=True, created_at=now
            )


class Migration(migrations.Migration):

    dependencies = [
        ('timetracking', '0006_certification_step_figures'),
    ]

    operations = [
        migrations.AddField(
            model_name='workitem',
            name='standing',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(add_standing_items, migrations.RunPython.noop),
    ]

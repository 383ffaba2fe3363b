"""Seed the fixed epic tree (psa.timetracking.epics)."""

from django.db import migrations

from psa.timetracking.epics import seed


def forwards(apps, schema_editor):
    seed(apps.get_model("timetracking", "Epic"))


class Migration(migrations.Migration):
    dependencies = [("timetracking", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

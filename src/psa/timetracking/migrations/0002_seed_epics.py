"""Seed the epic tree as the handbook had it when this migration was written.

The tree is copied here, not imported from psa.timetracking.epics: a migration is history, so a
later change to the live tree (which admins edit, and later migrations may too) must not
rewrite what this one did."""

from django.db import migrations

TREE = [
    ("Global Company Meetings", ["SKO", "Contribute", "Commit"]),
    (
        "Project Work",
        [
            "All project hours",
            "Internal/Sales handoff calls",
            "Internal/External status meetings",
            "Support tickets during a project",
            "Weekly/Final customer reports and documentation",
            "Status/Close out customer calls",
            "Customer travel",
        ],
    ),
    (
        "PS Internal",
        [
            "Knowledge Sharing",
            "General Administrative",
            "Meetings/Staff Time",
            "Travel Time",
            "Personal Enablement",
            "Time Tracking",
        ],
    ),
    (
        "Internal Assisted",
        [
            "Sales Assistance",
            "Support Assistance",
            "Practice Development",
            "Product Development",
            "Mentoring",
        ],
    ),
    ("PTO/Holidays", ["PS Team Holidays", "PS Team PTO/Sick Days"]),
]


def forwards(apps, schema_editor):
    Epic = apps.get_model("timetracking", "Epic")
    for i, (major, children) in enumerate(TREE):
        parent, _ = Epic.objects.get_or_create(name=major, parent=None, defaults={"position": i})
        for j, name in enumerate(children):
            Epic.objects.get_or_create(name=name, parent=parent, defaults={"position": j})


class Migration(migrations.Migration):
    dependencies = [("timetracking", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Requests name who asked and who decided as people know them (the person's name), not by
login: the rows written before keep their meaning, with the name put in place of the login
where the login has a person."""

from django.db import migrations


def names_for_logins(apps, schema_editor):  # type: ignore[no-untyped-def]
    Request = apps.get_model("scheduling", "AssignmentRequest")
    Person = apps.get_model("people", "Person")
    names = dict(
        Person.objects.filter(user__isnull=False).values_list("user__username", "name")
    )
    for field in ("requested_by_name", "decided_by_name"):
        for login, name in names.items():
            Request.objects.filter(**{field: login}).update(**{field: name})


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_bookingday_date_index"),
        ("people", "0004_invitation"),
    ]

    operations = [migrations.RunPython(names_for_logins, migrations.RunPython.noop)]

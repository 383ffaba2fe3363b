from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0004_recorded_figures"),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordedForecast',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recorded_at', models.DateTimeField(unique=True)),
                ('start', models.DateField()),
                ('end', models.DateField()),
                ('weeks', models.JSONField()),
                ('people', models.JSONField()),
                ('revenue', models.JSONField()),
            ],
            options={
                'ordering': ['recorded_at'],
            },
        ),
    ]

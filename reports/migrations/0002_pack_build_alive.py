import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_pack_builds'),
    ]

    operations = [
        migrations.AddField(
            model_name='packbuild',
            name='alive_at',
            # Builds made before this were alive when last seen: now.
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]

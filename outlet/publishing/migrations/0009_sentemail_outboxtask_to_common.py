# The email choke point's models moved to the common app (outlet/common/models.py). Only Django's idea of which app
# holds them changes; their tables (outlet_sentemail, outlet_outboxtask) stay as they are. The common app's 0001
# takes them over and renames their content types.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('outlet', '0008_outbox'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='SentEmail'),
                migrations.DeleteModel(name='OutboxTask'),
            ],
        ),
    ]

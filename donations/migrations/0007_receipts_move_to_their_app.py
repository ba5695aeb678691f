# Receipts are now the receipts app's (outlet/receipts/, its migration 0001 took them over with their tables and
# content types): donations forgets the models. Nothing in the database changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0006_readable_labels'),
        ('receipts', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='receipt',
                    name='payment',
                ),
                migrations.RemoveField(
                    model_name='receipt',
                    name='replaces',
                ),
                migrations.DeleteModel(
                    name='ReceiptSequence',
                ),
                migrations.DeleteModel(
                    name='Receipt',
                ),
            ],
            database_operations=[],
        ),
    ]

# StaffEnrolmentProof moved to the staff app (outlet/staff/models.py). Only Django's idea of which app holds it
# changes; its table (outlet_staffenrolmentproof) stays. The staff app's 0001 takes it over and renames its content
# type.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('outlet', '0009_sentemail_outboxtask_to_common'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='StaffEnrolmentProof'),
            ],
        ),
    ]

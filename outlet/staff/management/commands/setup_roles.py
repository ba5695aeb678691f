"""`manage.py setup_roles`: create or update the staff role groups from outlet/staff/roles.py (migrate also does
this)."""

from django.core.management.base import BaseCommand

from outlet.staff.roles import sync_roles


class Command(BaseCommand):
    help = (
        "Create the staff groups (Editor, Membership manager, Finance, Administrator) with exactly their permissions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, database: str, **options) -> None:
        for role, count in sync_roles(using=database).items():
            self.stdout.write(f"{role}: {count} permissions")

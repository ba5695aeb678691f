from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from outlet.demo.staff import DEMO_TOTP_SECRET, current_demo_code


class Command(BaseCommand):
    help = "Print the current authenticator code of the local demo staff accounts (never in production)."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("There are no demo staff accounts in production.")
        self.stdout.write(f"{current_demo_code()}  (demo authenticator secret: {DEMO_TOTP_SECRET})")

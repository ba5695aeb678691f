"""`manage.py load_demo_content`: fill a local site with the fictional Caucasus Ledger newsroom.

Safe to run on every start (`make run` does): it only creates what is missing and never changes existing rows,
except to fill a language's texts that are still empty (outlet.demo.loader explains the rule).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from outlet.demo.loader import load_demo_content


class Command(BaseCommand):
    help = "Create demo sections, authors, tiers, prompts and articles (with illustrations) that are missing."

    def handle(self, *args, **options):
        tally = load_demo_content()
        self.stdout.write(tally.summary())
        for note in tally.notes:
            style = self.style.WARNING if note.startswith("WARNING") else self.style.NOTICE
            self.stdout.write(style(note))

# Usage: DATABASE_URL=postgres://...(a migrated, throwaway database)
#   python tests/members/ghost_exports/bench_ghost_import.py 10000
"""Measure the Ghost import on PostgreSQL: a generated 10,000-row export, preview then apply (sync enqueue stubbed)."""

import os
import random
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")
import django

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402

from members import ghost_import, ghost_sync  # noqa: E402
from members.models import Tier  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
random.seed(5)
header = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,"
    "labels,tiers,gift_id"
)
lines = [header]
for i in range(N):
    kind = random.random()
    cus, comp, tiers, deleted, gift = "", "", "", "", ""
    if kind < 0.20:
        cus, tiers = f"cus_bench{i:06d}", "Supporter"
    elif kind < 0.30:
        comp, tiers = "true", random.choice(["Insider", ""])
    elif kind < 0.35:
        deleted = "2023-01-01T00:00:00.000Z"
    elif kind < 0.38:
        gift, tiers = f"gift_{i}", "Supporter"
    lines.append(
        f'{i:024x},bench{i}@example.org,ნინო {i},"note, {i}",true,{comp},{cus},2021-03-04T10:20:30.000Z,'
        f'{deleted},"VIP,Early bird",{tiers},{gift}'
    )
data = ("\r\n".join(lines) + "\r\n").encode()
print(f"{N} rows, {len(data) / 1e6:.1f} MB")

User = get_user_model()
staff, _ = User.objects.get_or_create(
    username="bench-staff", defaults={"email": "bench-staff@example.org", "is_staff": True}
)
for slug, pos in (("supporter", 1), ("insider", 2)):
    Tier.objects.get_or_create(slug=slug, defaults={"name": slug.capitalize(), "position": pos})
if os.environ.get("BULK_LINK"):
    raise SystemExit(
        "BULK_LINK: paste the link_customers proposed in /work/helpers/REQUESTS.md into outlet.payments.services"
    )
ghost_sync.enqueue_syncs = lambda ids: print(f"(would enqueue {len(ids)} provider syncs)")

t = time.perf_counter()
mi = ghost_import.preview_import(filename="bench.csv", data=data, staff_user=staff)
preview_s = time.perf_counter() - t
print(f"preview: {preview_s:.2f}s = {N / preview_s:,.0f} rows/s; counts {mi.counts}")
t = time.perf_counter()
ghost_import.apply_import(import_id=mi.pk, staff_user=staff)
apply_s = time.perf_counter() - t
print(f"apply:   {apply_s:.2f}s = {N / apply_s:,.0f} rows/s")
t = time.perf_counter()
mi2 = ghost_import.preview_import(filename="bench.csv", data=data, staff_user=staff)
ghost_import.apply_import(import_id=mi2.pk, staff_user=staff)
again_s = time.perf_counter() - t
print(f"re-import (preview+apply, all unchanged): {again_s:.2f}s; counts {mi2.counts}")

"""Changing millions of rows without loading them: a batch of primary keys at a time."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet


def in_batches(queryset: QuerySet, apply: Callable[[list[int]], int], *, batch_size: int) -> int:
    """Apply `apply` to the queryset's rows a batch of ids at a time, walking forward by primary key (so the loop
    ends even if a row keeps matching), each batch in its own short transaction. Returns the sum of what `apply`
    returned (rows changed)."""
    done, last_pk = 0, 0
    while True:
        ids = list(queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        with transaction.atomic():
            done += apply(ids)
        last_pk = ids[-1]

"""Filling a demo row's texts in the other languages (django-modeltranslation's name_ka, title_ru, ... columns)
without ever overwriting what staff wrote.

A language's column is set only when it is empty (NULL or ""), and only while the row's English still reads as
the demo wrote it: a translation of an English text staff have since rewritten would say something else, so
that language keeps falling back to their English until they translate it themselves.

A column that still holds its model field's default counts as empty too: django-modeltranslation gives every
language's column the field's default (Prompt.cta_label's English "Join today", in ka, hy, az and ru alike),
both when a row is created and when the columns were added, so that text was never written by anyone.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models

SOURCE_LANGUAGE = "en"  # the demo's texts are written in English; the languages below translate them

Texts = Mapping[str, str]  # field -> text


def is_empty(value: object) -> bool:
    return value is None or value == ""


def is_unwritten(obj: models.Model, column: str) -> bool:
    """Empty, or the field's default that django-modeltranslation copied into the column (see above)."""
    value = getattr(obj, column)
    if is_empty(value):
        return True
    field = obj._meta.get_field(column)
    return isinstance(field, models.Field) and field.has_default() and value == field.get_default()


def fill_empty_translations(
    obj: models.Model,
    source: Texts,
    translations: Mapping[str, Texts],
    *,
    taken: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """Set `obj`'s empty `<field>_<language>` columns from `translations` (language -> field -> text), for the
    fields whose English column still equals `source` (field -> the demo's English). Saves only those columns
    and returns them.

    `taken` (column -> values already used by other rows) guards a unique column such as name_ka: a text another
    row already holds in that language is left out rather than failing the whole load; it is updated as
    columns are filled, so one caller can share it across rows.
    """
    changed: list[str] = []
    for field, english in source.items():
        if (getattr(obj, f"{field}_{SOURCE_LANGUAGE}") or "") != english:
            continue  # staff rewrote the English: leave every language of this field to them
        for language, texts in translations.items():
            column, text = f"{field}_{language}", texts[field]
            if not is_unwritten(obj, column):
                continue
            if taken is not None and column in taken:
                if text in taken[column]:
                    continue
                taken[column].add(text)
            setattr(obj, column, text)
            changed.append(column)
    if changed:
        obj.save(update_fields=changed)
    return changed


def taken_values(model: type[models.Model], field: str, languages: list[str]) -> dict[str, set[str]]:
    """The values of a unique translated field already in use, per language column (for `taken` above)."""
    columns = [f"{field}_{language}" for language in languages]
    taken: dict[str, set[str]] = {column: set() for column in columns}
    for row in model._default_manager.values(*columns):
        for column in columns:
            if not is_empty(row[column]):
                taken[column].add(row[column])
    return taken

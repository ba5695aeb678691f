"""Demo newsletters: "The Weekly" in English (members get it unless they say no; anyone may sign up) and one per
other language (sign-up only), each with one issue already sent, so the admin shows a finished send and its figures.

The demo sits beside outlet.newsletters in the top layer (neither imports the other: import-linter's layers), so it
reaches the models through the app registry. Idempotent: a newsletter that exists by slug is left as it is."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction

from outlet.publishing.models import Article

NEWSLETTERS = [
    # slug, language, name, description, subject, introduction
    (
        "weekly",
        "en",
        "The Weekly",
        "The week's reporting from across the Caucasus, chosen by our editors. Every Sunday.",
        "The week in the Caucasus",
        "<p>Good morning. This week our reporters followed the water, the mines and the courts.</p>",
    ),
    (
        "weekly-ka",
        "ka",
        "კვირის მიმოხილვა",
        "კვირის მთავარი ამბები კავკასიიდან, ჩვენი რედაქტორების შერჩევით. ყოველ კვირას.",
        "კვირა კავკასიაში",
        "<p>დილა მშვიდობისა. ამ კვირაში ჩვენი ჟურნალისტები წყალს, მაღაროებსა და სასამართლოებს ადევნებდნენ თვალს.</p>",
    ),
    (
        "weekly-hy",
        "hy",
        "Շաբաթվա ամփոփում",
        "Շաբաթվա գլխավոր պատմությունները Կովկասից՝ մեր խմբագիրների ընտրությամբ։ Ամեն կիրակի։",
        "Շաբաթը Կովկասում",
        "<p>Բարի լույս։ Այս շաբաթ մեր լրագրողները հետևել են ջրին, հանքերին և դատարաններին։</p>",
    ),
    (
        "weekly-az",
        "az",
        "Həftənin icmalı",
        "Qafqazdan həftənin əsas xəbərləri, redaktorlarımızın seçimi ilə. Hər bazar günü.",
        "Qafqazda həftə",
        "<p>Sabahınız xeyir. Bu həftə müxbirlərimiz suyu, mədənləri və məhkəmələri izlədi.</p>",
    ),
    (
        "weekly-ru",
        "ru",
        "Итоги недели",
        "Главное за неделю с Кавказа — по выбору наших редакторов. Каждое воскресенье.",
        "Неделя на Кавказе",
        "<p>Доброе утро. На этой неделе наши журналисты следили за водой, рудниками и судами.</p>",
    ),
]
SENT_EXAMPLE_RECIPIENTS = 3


def ensure_demo_newsletters(tally, *, now: datetime) -> None:
    newsletter_model = apps.get_model("newsletters", "Newsletter")
    tier_model = apps.get_model("members", "Tier")
    supporter_tiers = list(tier_model.objects.filter(slug__in=["supporter", "insider", "patron"]))
    for slug, language, name, description, subject, introduction in NEWSLETTERS:
        if newsletter_model.objects.filter(slug=slug).exists():
            tally.count("newsletters", present=1)
            continue
        with transaction.atomic():
            newsletter = newsletter_model.objects.create(
                slug=slug, language=language, name=name, description=description
            )
            if language == "en":  # members get The Weekly unless they say no; the other languages are opt-in,
                newsletter.tiers.set(supporter_tiers)  # or every member would get five newsletters at once
            _sent_example(newsletter, subject=subject, introduction=introduction, now=now)
        tally.count("newsletters", created=1)


def _sent_example(newsletter, *, subject: str, introduction: str, now: datetime) -> None:
    send_model = apps.get_model("newsletters", "NewsletterSend")
    story_model = apps.get_model("newsletters", "SendStory")
    delivery_model = apps.get_model("newsletters", "Delivery")
    stories = list(Article.objects.live(now).filter(language=newsletter.language).order_by("-published_at")[:3])
    started = now - timedelta(days=3, hours=2)
    send = send_model.objects.create(
        newsletter=newsletter,
        subject=subject,
        introduction=introduction,
        status="sent",
        created_at=started - timedelta(hours=1),
        started_at=started,
        materialised_at=started,
        finished_at=started + timedelta(minutes=2),
        last_progress_at=started + timedelta(minutes=2),
    )
    for position, article in enumerate(stories):
        story_model.objects.create(send=send, article=article, position=position)
    addresses = [f"reader{n}.{newsletter.language}@example.org" for n in range(1, SENT_EXAMPLE_RECIPIENTS + 1)]
    delivery_model.objects.bulk_create(
        delivery_model(send=send, address=address, status="sent", attempts=1, sent_at=started + timedelta(minutes=1))
        for address in addresses
    )
    send_model.objects.filter(pk=send.pk).update(recipients_count=len(addresses), sent_count=len(addresses))

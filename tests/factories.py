from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from members.models import Membership, Tier
from outlet.publishing.models import Article, Author, Byline, Prompt, Section


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Reporter {n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")


def paragraphs(marker: str, count: int = 8) -> str:
    """A body whose every paragraph carries a findable marker, e.g. 'story-P5'."""
    return "".join(
        f"<p>Paragraph {i} of the story {marker}-P{i} with enough words to read.</p>" for i in range(1, count + 1)
    )


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Story number {n}")
    slug = factory.Sequence(lambda n: f"story-{n}")
    dek = "A standfirst that sums it up."
    body = factory.LazyAttribute(lambda a: paragraphs(a.slug))
    section = factory.SubFactory(SectionFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))
    access = Article.Access.PUBLIC

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        for position, author in enumerate(extracted if extracted is not None else [AuthorFactory()]):
            Byline.objects.create(article=self, author=author, position=position)


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tier {n}")
    slug = factory.Sequence(lambda n: f"tier-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tier = factory.SubFactory(TierFactory)
    status = Membership.Status.ACTIVE
    current_period_end = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=20))


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    name = factory.Sequence(lambda n: f"Prompt {n}")
    placement = Prompt.Placement.BANNER
    kicker = "Become a member"
    headline = factory.Sequence(lambda n: f"Support independent journalism {n}")
    body = "Reporting that answers to readers."
    cta_label = "Join today"
    cta_url = "/membership/"

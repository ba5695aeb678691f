from django.contrib.sitemaps import Sitemap

from outlet.publishing.models import Article, Author, Section


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        # Each language's sitemap (/ka/sitemap.xml) lists the stories written in it.
        return Article.objects.live().in_language().only("slug", "updated_at", "language").order_by("-published_at")

    def lastmod(self, item: Article):
        return item.updated_at


class SectionSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.6

    def items(self):
        return Section.objects.all()


class AuthorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return Author.objects.all()


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap, "authors": AuthorSitemap}

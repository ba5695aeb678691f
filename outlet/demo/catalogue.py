"""The newsroom around the stories: sections, regions, tags, the (fictional) staff, tiers and prompts, in English;
their texts in the site's other languages are in outlet.demo.translations_* (gathered in TRANSLATED below)."""

from __future__ import annotations

from outlet.demo import translations_az, translations_hy, translations_ka, translations_ru
from outlet.demo.spec import CatalogueTranslation

SECTIONS = [
    # slug, name, description
    ("politics", "Politics", "Parliaments, courts and the people who hold power to account across the Caucasus."),
    ("environment", "Environment", "Rivers, glaciers, pastures and the fights over who gets to use them."),
    ("society", "Society", "How people live and work: commutes, night shifts, schools and neighbourhoods."),
    ("economy", "Economy", "Money and work, from vineyards and border queues to start-ups and mines."),
    ("culture", "Culture", "Languages, crafts, libraries and the people keeping them alive."),
    ("investigations", "Investigations", "Long-running reporting built on documents, data and patience."),
]

REGIONS = [
    ("georgia", "Georgia"),
    ("armenia", "Armenia"),
    ("azerbaijan", "Azerbaijan"),
    ("north-caucasus", "North Caucasus"),
]

TAGS = [
    ("press-freedom", "Press freedom"),
    ("courts", "Courts"),
    ("climate", "Climate"),
    ("energy", "Energy"),
    ("water", "Water"),
    ("agriculture", "Agriculture"),
    ("labour", "Labour"),
    ("migration", "Migration"),
    ("technology", "Technology"),
    ("trade", "Trade"),
    ("heritage", "Heritage"),
    ("education", "Education"),
    ("languages", "Languages"),
    ("public-money", "Public money"),
    ("health", "Health"),
    ("elections", "Elections"),
]

AUTHORS = [
    # slug, name, role, bio
    (
        "nino-gelashvili",
        "Nino Gelashvili",
        "Staff reporter, Tbilisi",
        "Nino covers land, energy and the communities caught between them. Before joining the Ledger she reported "
        "for a regional radio station in Imereti. She grew up in a village she still refuses to name.",
    ),
    (
        "levan-jorbenadze",
        "Levan Jorbenadze",
        "Investigations editor, Tbilisi",
        "Levan runs the Ledger's investigations desk. He has spent fifteen years reading procurement files, court "
        "records and company registries so that readers don't have to.",
    ),
    (
        "tamar-lomidze",
        "Tamar Lomidze",
        "Data reporter, Tbilisi",
        "Tamar turns spreadsheets into stories and stories into spreadsheets. She maintains the Ledger's databases "
        "of public tenders and court rulings.",
    ),
    (
        "giorgi-tsiklauri",
        "Giorgi Tsiklauri",
        "Regional correspondent, Kutaisi",
        "Giorgi reports from western Georgia, usually from the passenger seat of whatever is going that way. He "
        "writes about transport, local government and work.",
    ),
    (
        "ani-hakobyan",
        "Ani Hakobyan",
        "Staff reporter, Yerevan",
        "Ani covers Armenia's economy, its start-ups and the people its growth leaves out. She previously worked "
        "as a researcher for a labour-rights organisation.",
    ),
    (
        "tigran-avetisyan",
        "Tigran Avetisyan",
        "Correspondent, Gyumri",
        "Tigran writes about northern Armenia: its towns, its farms and its long memory. He is the Ledger's only "
        "reporter who owns snow chains.",
    ),
    (
        "leyla-mammadova",
        "Leyla Mammadova",
        "Contributing reporter, Baku",
        "Leyla reports on the environment and the Caspian coast. She trained as a marine biologist before "
        "deciding that people were the harder subject.",
    ),
    (
        "kamran-huseynov",
        "Kamran Huseynov",
        "Contributing reporter, Sheki",
        "Kamran covers crafts, trade and small business in north-western Azerbaijan, and translates for the "
        "Ledger's cross-border projects.",
    ),
    (
        "madina-alieva",
        "Madina Alieva",
        "Contributing reporter, Makhachkala",
        "Madina writes about education, languages and mountain communities in the North Caucasus.",
    ),
]

TIERS = [
    # slug, name, position, description
    (
        "supporter",
        "Supporter",
        10,
        "Read every members-only story and get the weekly newsletter. The simplest way to keep the Ledger free "
        "for everyone else.",
    ),
    (
        "insider",
        "Insider",
        20,
        "Everything in Supporter, plus our reporters' notebooks from the field and a monthly call with the editors.",
    ),
    (
        "patron",
        "Patron",
        30,
        "Everything in Insider, plus an invitation to our annual reader meeting. Patrons fund a reporter's "
        "travel for a month.",
    ),
]

TIER_BENEFITS = {
    "supporter": "Every members-only story\nThe weekly newsletter\nNo article limit",
    "insider": "Everything in Supporter\nReporters' notebooks from the field\nA monthly call with the editors",
    "patron": (
        "Everything in Insider\nAn invitation to the annual reader meeting\nYour name in the annual report (if you "
        "wish)"
    ),
}

# tier slug -> currency -> (monthly, yearly), in minor units. Yearly is about two months free.
TIER_PRICES = {
    "supporter": {"GEL": (1500, 15000), "USD": (600, 6000), "EUR": (500, 5000)},
    "insider": {"GEL": (3000, 30000), "USD": (1200, 12000), "EUR": (1000, 10000)},
    "patron": {"GEL": (7500, 75000), "USD": (3000, 30000), "EUR": (2500, 25000)},
}

# Articles limited to specific tiers are open to these.
INSIDER_TIERS = ("insider", "patron")

PROMPTS = [
    {
        "name": "Demo: site banner — become a member",
        "placement": "banner",
        "kicker": "Become a member",
        "headline": "Support independent journalism",
        "body": "The Ledger is paid for by its readers, not by owners, parties or governments.",
        "cta_label": "Join today",
        "cta_url": "/membership/",
        "priority": 10,
    },
    {
        "name": "Demo: in-article — reader-funded reporting",
        "placement": "in_article",
        "kicker": "Reader-funded",
        "headline": "Reporting like this is paid for by members",
        "body": "Our reporters go to the villages, courtrooms and border queues that others skip. "
        "Members make every trip possible.",
        "cta_label": "Become a member",
        "cta_url": "/membership/",
        "after_paragraph": 3,
        "priority": 5,
    },
    {
        "name": "Demo: end of article — spring fundraiser",
        "placement": "end_of_article",
        "kicker": "Spring fundraiser",
        "headline": "Help us keep reporters on the road",
        "body": "This spring we are raising money for a year of reporting trips across the Caucasus: fuel, "
        "translators and nights in village guesthouses.\n\n"
        "Every contribution, of any size, goes straight to the reporting fund.",
        # Points at the membership page until the fundraiser's campaign page exists.
        "cta_label": "Support our reporting",
        "cta_url": "/membership/",
        "priority": 5,
    },
    {
        "name": "Demo: paywall — keep reading",
        "placement": "paywall",
        "kicker": "Members' story",
        "headline": "Keep reading with a membership",
        "body": "Members of the Caucasus Ledger read every story in full, with no limits, and keep our "
        "reporting free for readers who cannot pay.",
        "cta_label": "See membership options",
        "cta_url": "/membership/",
        "priority": 10,
    },
]

# language -> that language's texts for everything above (and for the fundraiser's).
TRANSLATED: dict[str, CatalogueTranslation] = {
    texts.language: texts
    for texts in (
        translations_ka.CATALOGUE,
        translations_hy.CATALOGUE,
        translations_az.CATALOGUE,
        translations_ru.CATALOGUE,
    )
}

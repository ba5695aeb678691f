"""Demo stories reported from Armenia. All people, companies, drafts and figures are invented."""

from __future__ import annotations

from outlet.demo.spec import DemoArticle, blocks

YEREVAN_TECH_RENTS = DemoArticle(
    slug="yerevan-tech-boom-housing",
    title="Yerevan's tech boom has a housing problem",
    dek="Start-ups, remote workers and relocated engineering teams have made Yerevan one of the region's busiest "
    "tech hubs. The people who grew up in its central districts are paying for it in rent.",
    section="economy",
    region="armenia",
    dateline="Yerevan",
    tags=("technology", "migration"),
    authors=("ani-hakobyan",),
    additional=("tamar-lomidze",),
    days_ago=3.4,
    access="metered",
    scene="city",
    snow=True,
    time_of_day="dusk",
    caption="Yerevan at dusk, with the mountains beyond.",
    body=blocks("""
        The co-working space on the fourth floor of a former Soviet research institute used to be a storeroom for
        microscopes. Now it has standing desks, a coffee machine that cost more than a year's pension and a waiting
        list. “Every week somebody new arrives,” says Hayk Martirosyan, who runs it. “A team from abroad, a founder
        who sold something, a designer who works for a company in California. Yerevan became a place people
        choose.”

        The numbers bear him out. Armenia's technology sector has grown faster than almost any other part of its
        economy over the past five years, and the number of people working in it has roughly doubled, according to
        industry associations. Salaries in the sector are several times the national average. New cafés, climbing
        gyms and English-language meetups have followed.

        ## The other side of the ledger

        So have rents. In the central Kentron and Arabkir districts, listings analysed by the Ledger show the
        asking rent for a two-room flat rising by around 70 percent in three years, far faster than wages outside
        tech. Landlords increasingly advertise in dollars, and in English.

        - Median asking rent for a two-room flat in Kentron: about 560 dollars a month, up from about 330.
        - Share of central listings priced in foreign currency: up from about a quarter to more than half.
        - Average monthly salary outside the tech sector: little changed once inflation is taken into account.

        Anahit Grigoryan, a schoolteacher, grew up in a flat near Mashtots Avenue that her family rented for twenty
        years. Last autumn the owner told them the rent would double. They now live in a new block on the edge of
        the city, an hour away by two buses. “I'm not angry at the programmers,” she says. “Some of them were my
        students. I'm angry that nobody planned for this.”

        > “A city can decide who it is for. Yerevan hasn't decided, so the market decided instead.” — Narek
        > Papoyan, urban researcher

        City officials point to plans for new housing and say the growth has brought tax revenue and jobs. Some in
        the industry are uneasy too. A group of founders has started a small fund that helps long-term residents of
        central districts with deposits, and two large companies have begun offering housing allowances that do not
        depend on living in the centre.

        Martirosyan says he thinks about it every time he signs a new lease. “We wanted Yerevan to be on the map,”
        he says. “Nobody told us what happens to the people who were already on it.”
    """),
)

ARAGATS_SHEPHERDS = DemoArticle(
    slug="aragats-shepherds-dry-spring",
    title="On the slopes of Aragats, shepherds climb earlier and higher",
    dek="A dry spring and a shrinking snowpack are pushing Armenia's summer herders up the mountain weeks ahead of "
    "schedule. The grass is not always there when they arrive.",
    section="environment",
    region="armenia",
    dateline="Mount Aragats",
    tags=("climate", "agriculture"),
    authors=("tigran-avetisyan",),
    days_ago=5.0,
    scene="pasture",
    time_of_day="dawn",
    caption="High summer pastures on the flanks of Mount Aragats.",
    body=blocks("""
        Samvel Harutyunyan has taken his sheep up Aragats every summer since he was nine years old. His father did
        it before him, and his grandfather, who walked the flock up from the village with a donkey carrying the felt
        for the tent. For most of those years the move happened in the second half of June, when the snow had gone
        from the high meadows and the grass had come.

        This year he went up on the twenty-eighth of May. “The grass down in the village was finished,” he says,
        standing outside a metal trailer at around 2,600 metres, with 340 sheep spread across the slope below.
        “There was no rain in April. Nothing. So we came up. And up here it is also thin.”

        Herders across the mountain tell a similar story. The Ledger spoke to fourteen families at summer camps on
        the southern and western slopes; eleven said they had moved up earlier than at any time they could
        remember, and nine said the grass at their usual camps was poorer than in previous years. Several had
        already moved once more, higher, in search of better grazing.

        ## What the measurements say

        The herders' observations match what scientists have been recording. Weather stations in Armenia's
        highlands show temperatures rising faster than the global average, and a
        <a href="https://example.org/aragats-snow-cover-study">study of satellite images</a> cited by researchers
        in Yerevan found that the area under snow on Aragats in late spring has shrunk markedly over three decades.
        Less snow means less slow-release water for the meadows in early summer.

        > “The mountain is a water tower. When it melts too early, the grass grows early and dries early, and the
        > animals arrive at a meadow that is already yellow.” — Lilit Abrahamyan, agronomist

        Overgrazing makes it worse. With more families crowding onto the best-watered pastures, herders say
        disputes over grazing have become more frequent, and some slopes near the road are visibly worn.
        Municipalities lease out the pastures, but few have the money or the staff to manage them.

        ## Adapting, slowly

        Some families are adapting. A few have sold part of their flock and bought breeds that give more milk per
        animal. Others have started cutting and storing hay in wet years. A local development group has repaired
        three old springs on the western slope, so that herds no longer all have to gather at the same stream.

        Harutyunyan is not sure it will be enough. His sons work on building sites abroad and show no interest in
        the mountain. “When I was young, summer up here was a holiday,” he says, watching his dog push a straggler
        back towards the flock. “Now it is a calculation. How much grass, how much water, how many weeks. I'm not
        sure my sons want to do that calculation.”
    """),
)

GYUMRI_LIBRARY = DemoArticle(
    slug="gyumri-library-winter-reading-room",
    title="The Gyumri library that kept its lights on",
    dek="For thirty years a neighbourhood library in Gyumri has opened every day of the winter. Its reading room "
    "has become the warmest place in the district, and not only because of the stove.",
    section="culture",
    region="armenia",
    dateline="Gyumri",
    tags=("heritage", "education"),
    authors=("tigran-avetisyan",),
    days_ago=7.5,
    scene="city",
    snow=True,
    time_of_day="night",
    caption="Gyumri on a winter night.",
    body=blocks("""
        The library on a side street in Gyumri's old town has two rooms, one wood stove and, by the count of its
        only librarian, 23,412 books. On a January afternoon, with snow banked against the black stone walls, eleven
        of its twelve chairs are taken: three schoolchildren doing homework, a retired engineer reading a newspaper
        from Yerevan, two students with laptops and a row of pensioners who have come, they say frankly, for the
        warmth.

        Hasmik Petrosyan has run the library since 1994. She started six years after the earthquake that destroyed
        much of the city, when the building had no glass in its windows and the stove was fed with broken
        furniture. “People thought a library was a luxury,” she says. “I thought it was the opposite. When everything
        else is gone, a place where you can sit and think is the first thing you need.”

        ## A stove, a kettle and a Wi-Fi password

        The library never closed through those winters, and it has not closed since. A small municipal grant covers
        Petrosyan's salary and the electricity. Everything else — the firewood, the tea, the new books, a
        second-hand laptop for children who have none at home — is paid for by readers, former readers and a
        network of people from Gyumri who now send money from Los Angeles, Moscow and Marseille.

        > “When I was a boy, my mother sent me here so I would be warm while she worked. Now I send money so
        > somebody else's boy can be warm. That is the whole system.” — Armen, a former reader who lives in France

        What the library offers has changed with the city. There is a Wi-Fi password on a card by the door and a
        shelf of English textbooks for students preparing for university abroad. On Tuesdays, a volunteer teaches
        pensioners to make video calls to their grandchildren. On Saturdays there is a chess club, which Petrosyan
        says is the only activity in the building where talking is strictly forbidden.

        Gyumri has lost much of its population since the early 1990s, and many of the children who did their
        homework at these tables now live elsewhere. Petrosyan is philosophical about it. Some of them, she says,
        come back every summer, and the first place they visit is the library, before their grandmother's grave.

        She does worry about what comes after her. She is 68, and nobody has been trained to take over. The
        municipality has said it will keep paying the grant “for as long as the library operates”, which she points
        out is a sentence that can be read two ways. For now, she opens the door at ten every morning, lights the
        stove and puts the kettle on. “The books will not read themselves,” she says. “And the children will not
        sit in the cold.”
    """),
)

SYUNIK_MINING_TOWN = DemoArticle(
    slug="syunik-mining-town-air-and-wages",
    title="In a Syunik mining town, the air and the wages are the same argument",
    dek="Parents in a small town in southern Armenia say dust from an open-pit mine is making their children ill. "
    "The mine is also the only employer that pays enough to stay.",
    section="society",
    region="armenia",
    dateline="Syunik Province",
    tags=("labour", "health"),
    authors=("ani-hakobyan",),
    days_ago=17.6,
    access="metered",
    scene="peaks",
    time_of_day="dusk",
    caption="The mountains of Syunik, in southern Armenia.",
    body=blocks("""
        From the balcony of her flat on the top floor of a five-storey block, Gayane Mkrtchyan can see the edge of
        the pit. On dry, windy days, she says, she can see the dust too: a grey haze that drifts down the valley in
        the afternoon and settles on the laundry, the cars and the children's swings. She wipes the balcony rail
        every evening with a wet cloth. The cloth is always grey.

        Her town — the Ledger is not naming it, at the request of residents who fear for their jobs — has around
        4,000 people and one large employer: a copper and molybdenum mine run by Upper Valley Mining, a privately
        owned company. Nearly every family has someone who works there. Wages at the mine are roughly three times
        what the town's teachers earn.

        ## Two sets of numbers

        Residents have begun to keep their own records. A parents' group has collected, with families' consent,
        the medical files of 61 children at the town's two kindergartens. A paediatrician who reviewed them for the
        Ledger said the rate of chronic respiratory complaints was “higher than I would expect, though a file
        review cannot tell you why”. The group has also bought two low-cost air sensors and publishes their readings
        on <a href="https://example.org/syunik-air-readings">a public page</a>.

        The company says its own monitoring, reported to the environment ministry, shows dust levels within legal
        limits. In a statement, it said it had installed water sprays on its haul roads, planted trees along the
        edge of the pit and would “welcome independent monitoring by qualified bodies”. It did not answer a
        question about whether it would share its raw data.

        > “My husband's salary pays for the inhaler. The dust is why we need the inhaler. I don't know how to be
        > angry at only one of those things.” — a mother of two, who asked not to be named

        That bind is what makes the town hard to organise. At a public meeting last autumn, called by the parents'
        group, a miner stood up and accused the organisers of trying to close the mine. Nobody had said anything of
        the kind. The meeting ended early.

        ## What would help

        Environmental lawyers and doctors interviewed by the Ledger suggested steps that would not force anyone to
        choose between the air and the wages:

        - Continuous, independent air monitoring, with readings published as they are taken.
        - Free health screening for children, with results shared with their families.
        - A clear legal duty to suspend blasting and hauling on the windiest days.

        Mkrtchyan says she would settle for the first. “Just tell us the truth about the air,” she says. “We are
        adults. We will decide what to do with it.”
    """),
)

MEDIA_LAW_DRAFT = DemoArticle(
    slug="armenia-media-rules-small-newsrooms",
    title="What a proposed media law would mean for small newsrooms",
    dek="Draft amendments circulating among lawmakers would change how online outlets register and how fast they "
    "must answer complaints. Editors of small newsrooms say the detail matters more than the headlines.",
    section="politics",
    region="armenia",
    dateline="Yerevan",
    tags=("press-freedom",),
    authors=("ani-hakobyan",),
    days_ago=-3,  # scheduled: goes live in three days
    status="scheduled",
    scene="city",
    time_of_day="day",
    caption="Yerevan, where the draft is being discussed.",
    body=blocks("""
        Draft amendments to the media law, circulated among lawmakers this spring, would for the first time
        require online news outlets above a certain monthly audience to register with a state body, name a
        responsible editor and answer formal complaints within a fixed deadline. Supporters say the changes would
        bring order to a chaotic online space. Editors of small newsrooms say the devil is in the thresholds.

        The Ledger has read the draft, which is not final and may change before it reaches a vote. These are the
        provisions that matter most for outlets like ours:

        - Registration would be required above a monthly audience threshold that the draft leaves to a later
          government decree.
        - A named editor would be personally responsible for answering complaints within five working days.
        - Outlets that fail to answer could be fined, and repeated fines could lead to a court-ordered suspension.

        ## Why the threshold matters

        For a large broadcaster with a legal department, a five-day deadline is routine. For a newsroom of four
        people, says Lusine Grigoryan, who edits a regional news site in Vanadzor, it could mean a week spent
        answering complaints instead of reporting. “Anybody who doesn't like a story can file five complaints on
        Monday,” she says. “By Friday, either I have answered them all or I have been fined.”

        Supporters of the draft say the law would also protect journalists, by making it harder for anonymous sites
        to pose as real newsrooms and spread invented stories. “Honest outlets have nothing to fear,” one of the
        draft's sponsors told a parliamentary committee.

        > “Everyone agrees fake sites are a problem. The question is whether you solve it with a net that catches
        > everyone, or with a tool aimed at the people doing harm.” — Artur Sahakyan, media lawyer

        Media organisations have asked for public hearings before any vote, and for the threshold to be written
        into the law itself rather than left to a decree. They have also proposed an exemption for outlets that
        belong to a recognised self-regulation body, which already handles readers' complaints.

        The Ledger will follow the draft as it moves through parliament. If you work in a small newsroom and want
        to tell us how the proposals would affect you,
        <a href="https://example.org/contact-the-ledger">our reporters would like to hear from you</a>.
    """),
)

STORIES = [YEREVAN_TECH_RENTS, ARAGATS_SHEPHERDS, GYUMRI_LIBRARY, SYUNIK_MINING_TOWN, MEDIA_LAW_DRAFT]

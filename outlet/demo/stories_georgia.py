"""Demo stories reported from Georgia. All people, places marked as unnamed, companies and figures are invented."""

from __future__ import annotations

from outlet.demo.spec import DemoArticle, blocks

HYDRO_DAM = DemoArticle(
    slug="zemo-lasili-villagers-hydro-dam",
    title="A mountain village sits down in the road to stop a river dam",
    dek="For four months, the pensioners of Zemo Lasili have blocked survey crews from a planned hydropower plant. "
    "The company says the project is legal. Residents say nobody ever asked them.",
    section="environment",
    region="georgia",
    dateline="Zemo Lasili",
    tags=("energy", "water"),
    authors=("nino-gelashvili",),
    additional=("giorgi-tsiklauri",),
    days_ago=0.3,
    featured=True,
    scene="valley-river",
    snow=True,
    time_of_day="dawn",
    caption="The upper valley, where most of the river would be diverted into a tunnel.",
    body=blocks("""
        The survey crew arrived in the first week of November: two pickup trucks and a drilling rig that could not
        make the last switchback above the church. By the time the drivers had found a place to turn, most of
        Zemo Lasili was standing in the road. “We did not plan it,” says Manana Kobiashvili, 63, who keeps bees on
        the slope above the river. “Somebody rang the church bell and everybody came. Then it became a habit.”

        The habit has lasted four months. Every morning since, a rota of residents — pensioners mostly, plus a few
        younger men home from seasonal work abroad — has sat in plastic chairs beside a hand-painted sign that reads
        <em>The river is not for sale</em>. The crews have come back three times. Each time they have left without
        drilling.

        At stake is a 42-megawatt plant that a privately held developer, Lasili Energy, wants to build on the upper
        reaches of the valley. Under the plan, most of the river's flow would be diverted through an
        eleven-kilometre tunnel to a powerhouse downstream, leaving what the company's own environmental assessment
        calls an “ecological minimum” in the riverbed for most of the year.

        ## A legal project, and a missing meeting

        The company says it has followed every rule. In a written response to the Ledger, its director, Davit
        Meskhi, said the project had received a preliminary environmental decision, that a public hearing had been
        held in the district centre and that “residents had every opportunity to comment”. He added that the plant
        would pay substantial local taxes and create about 30 permanent jobs.

        Residents dispute almost every part of that account. The hearing was held on a weekday afternoon, 38
        kilometres away, and announced on the municipality's website and a noticeboard at the district
        administration. The Ledger obtained the attendance sheet: of the 14 people who signed it, nine were company
        employees or consultants. Nobody from Zemo Lasili attended.

        > “They say we had the chance to speak. We had the chance if we read a website nobody here opens, and if
        > we had a car, and if we didn't have cows to milk.” — Zurab Abuladze, village council member

        Lawyers who reviewed the file for the Ledger point to a more substantive gap. The assessment relies on
        river-flow data from a gauging station that closed in 1991: it models the next 30 years of water on records
        that end before the glaciers above the valley began their fastest retreat. “You cannot design a diversion
        on yesterday's river,” said Ketevan Dolidze of an environmental law clinic in Tbilisi, which has asked for
        the decision to be reviewed. <a href="https://example.org/lasili-review-request">The clinic's request is
        published in full</a>.

        ## What the valley would lose

        - About 11 km of river running at reduced flow for most of the year, by the company's own estimate.
        - Two irrigation channels that feed the orchards below the village.
        - The valley's only trout farm, which employs six people and sits just below the planned intake.

        For now, the standoff is quiet. The crews have not returned since January, and the company says it is
        “waiting for the weather”. In the village, nobody believes that. On a recent morning the chairs were out
        again by seven, and Kobiashvili had brought a flask of tea and a jar of honey to share. “If they come in
        spring, we will be here,” she said. “We are old, but we are not going anywhere. That is the whole point.”
    """),
)

REPORTER_NOTEBOOK_TRIAL = DemoArticle(
    slug="tbilisi-court-reporter-notebook-sources",
    title="A reporter's notebook goes on trial in Tbilisi",
    dek="A property developer suing a regional news site wants the court to order its reporter to hand over her "
    "notes. Media lawyers say the ruling could decide whether sources can still talk safely.",
    section="politics",
    region="georgia",
    dateline="Tbilisi",
    tags=("press-freedom", "courts"),
    authors=("levan-jorbenadze",),
    days_ago=1.2,
    scene="city",
    time_of_day="day",
    caption="The case returns to Tbilisi City Court next month.",
    body=blocks("""
        The hearing lasted eleven minutes. That was long enough for a judge at Tbilisi City Court to set a date in
        the spring, and for the lawyer representing a Kutaisi developer to repeat the request that has made an
        ordinary defamation case the most closely watched media trial of the year: that Eka Chanturia, a reporter
        at the regional news site <em>Imereti Post</em>, be ordered to give the court her notebooks, her call logs
        and the names of the people she spoke to.

        Chanturia, 34, wrote a series of articles last year about a residential development on the edge of Kutaisi
        whose buyers say they paid for flats that were never finished. The developer, a company called Rioni
        Heights, denies wrongdoing and is suing the site and its reporter for damaging its business reputation. It
        wants 250,000 lari in damages — roughly ten years of the site's advertising revenue.

        Defamation suits against journalists are not new. What makes this one different is the disclosure request.
        Georgian law protects a journalist's sources, and lawyers who have worked on press cases say they cannot
        remember a court granting an order of this kind in a civil case. They also cannot remember one being argued
        this hard.

        ## What the developer argues

        In written submissions seen by the Ledger, the company's lawyers argue that the articles relied on
        “anonymous and unverifiable allegations” and that their client cannot defend itself without knowing who
        made them. “The protection of sources is not a licence to publish whatever an unnamed person says,” the
        filing reads. The company's lawyer declined to comment further while the case is pending.

        > “If the court opens my notebook, it does not only open it for this case. It opens every notebook in the
        > country. Every person who ever called a journalist will think about that.” — Eka Chanturia

        Chanturia says seven of the twelve buyers she quoted asked not to be named because they are still
        negotiating with the developer for refunds. Three of them, she says, have since been contacted by people
        they believe were acting for the company. The Ledger could not independently verify those accounts.

        ## A test for the courts

        A coalition of media organisations has asked to submit an
        <a href="https://example.org/imereti-post-amicus-brief">amicus brief</a> arguing that the request, if
        granted, would breach the European Convention on Human Rights, which Georgian courts are bound to apply.
        “Strasbourg has been clear for decades that ordering a journalist to reveal a source needs an overriding
        public interest, and a company's reputation is not that,” said Sopho Kiknadze, a media lawyer who is not
        involved in the case. “But the question is not what Strasbourg says. It is what a judge here does on a
        Tuesday afternoon.”

        For now, <em>Imereti Post</em> keeps publishing. Its editor says the site has lost two advertisers since
        the suit was filed and gained more than four hundred small monthly donations. Chanturia keeps reporting,
        too — though, she says, she has stopped taking notes on paper.
    """),
)

QVEVRI_EXPORTERS = DemoArticle(
    slug="kakheti-qvevri-winemakers-new-markets",
    title="Kakheti's small winemakers go looking for new tables",
    dek="Family cellars that once sold their qvevri wine in bulk to a single trader are learning to ship sixty "
    "bottles at a time to Warsaw, Tallinn and Tokyo. Not all of them will make it.",
    section="economy",
    region="georgia",
    dateline="Telavi",
    tags=("agriculture", "trade"),
    authors=("tamar-lomidze",),
    days_ago=2.5,
    access="metered",
    scene="vineyard",
    time_of_day="dusk",
    caption="Vineyards above the Alazani valley.",
    body=blocks("""
        In the cellar beneath her house in a village outside Telavi, Marina Gogichaishvili keeps eleven qvevri, the
        egg-shaped clay vessels Georgian winemakers have buried in the ground for some eight thousand years. Four of
        them are empty this spring. “Not because the harvest was bad,” she says, tapping a sealed lid with her boot.
        “Because I didn't know who would buy it.”

        For a decade, families like hers could count on a simple route to market: a trader from Tbilisi would
        arrive after the harvest, taste, haggle and drive the wine away in bulk. That trade never vanished, but it
        has become unpredictable, exposed to border queues, sudden rule changes and payments that arrive months
        late. Small producers, who rarely had contracts in the first place, felt it first.

        ## Sixty bottles at a time

        What has replaced it, for the cellars that have adapted, is slower and far more work. A Ledger analysis of
        three years of export records shows the number of producers shipping fewer than 5,000 bottles a year has
        almost doubled, while the average shipment has shrunk. The new buyers are wine bars in Warsaw and Tallinn,
        a natural-wine importer in Copenhagen, a restaurant group in Tokyo that orders sixty bottles twice a year.

        - Small exporters (under 5,000 bottles a year): up from 212 to 401 in three years.
        - Average shipment by a small exporter: down by about a third.
        - Share of small exporters' wine going to EU countries: up from 31 to 54 percent.

        “Every one of those customers wants something different,” says Levan Chkheidze, who makes about 4,000
        bottles a year with his brother and now spends more time on labels and laboratory certificates than in the
        vineyard. “The Danes want no added sulphites. The Japanese want a translated back label. The Poles want it
        yesterday. Our grandfather made wine. We make paperwork.”

        > “Ten years ago the question was how much wine you could make. Now it is how many people you can
        > personally convince.” — Nana Bakradze, who runs an export cooperative in Telavi

        Cooperatives have helped. Nineteen family cellars around Telavi now pool their shipments, share one
        accredited laboratory and pay a single freight forwarder, which their members say has cut the cost of
        getting a pallet to Germany by about 40 percent. Similar groups have formed in Imereti and Racha.

        ## The ones who are not on the list

        Not everybody can join. A cooperative needs a certain volume, a bottling line and someone who speaks
        English and answers email at midnight. Gogichaishvili, who is 67 and has made her wine alone since her
        husband died, has none of those. She sells some to a neighbour's guesthouse and some in plastic bottles at
        the Telavi market. The rest, she says, she will drink with whoever comes to help at the next harvest.

        “People write about Georgian wine as if it is one thing,” she says. “It is ten thousand kitchens. Some of
        them will be in Tokyo. Some of them will close.”
    """),
)

MINIBUS_DRIVERS = DemoArticle(
    slug="kutaisi-minibus-drivers-routes",
    title="The minibus drivers who hold Kutaisi together",
    dek="Kutaisi's yellow minibuses carry more people than its buses. Their drivers work fourteen-hour days with no "
    "contracts, and a new tender for the city's routes could put many of them out of work.",
    section="society",
    region="georgia",
    dateline="Kutaisi",
    tags=("labour",),
    authors=("giorgi-tsiklauri",),
    days_ago=6.3,
    scene="road",
    time_of_day="dawn",
    caption="Route 34 climbs out of the city before sunrise.",
    body=blocks("""
        At twenty to six in the morning, Paata Kvaratskhelia has already wiped down the seats of his minibus,
        counted his change into a biscuit tin and filled the tank with the money he earned yesterday. By six he is
        at the first stop on route 34, engine running, waiting for the bakery workers and the nurses on the early
        shift. He will drive until eight in the evening, with two breaks that he takes standing up.

        There are around 300 minibuses like his in Kutaisi, Georgia's third city. Municipal figures suggest they
        carry more passengers each day than the city's buses, reaching hillside districts where a full-size bus
        cannot turn. They are also almost entirely informal: drivers rent their vehicles and their place on a route
        from a handful of operators, pay a daily fee of 60 to 90 lari, and keep what is left.

        ## A working day in numbers

        Over two weeks, the Ledger rode with six drivers on four routes and asked them to keep a record of their
        days. The picture was remarkably consistent.

        - Average working day: 13 hours 40 minutes, six days a week.
        - Average takings: 190 lari a day, before fuel and the operator's fee.
        - What drivers kept: between 35 and 70 lari a day.
        - Days off sick in the past year: on average, fewer than three. “If I don't drive, I pay the fee anyway,”
          one driver said.

        The city now plans to tender its routes to larger operators, with newer and bigger vehicles, fixed
        timetables and electronic ticketing. City hall says the change will make public transport safer and more
        reliable, and that drivers will be able to apply for jobs with the winning companies. It has not said how
        many jobs there will be.

        > “Everybody agrees the minibuses are old and the system is chaos. The question is whether the people who
        > kept this city moving for thirty years get a contract, or get a thank-you.” — Tamuna Dolidze, a
        > researcher who studies urban transport

        Drivers are divided. Some, like Kvaratskhelia, would welcome a salary and a day off. Others fear that the
        new operators will hire younger drivers with clean licences and smartphone apps, and leave men in their
        fifties with nothing but vehicles they still owe money on.

        Passengers, for their part, mostly want what they have always wanted: a minibus that comes. On route 34, a
        nurse named Lia, on her way to a night shift, says she has known Kvaratskhelia for eleven years. “He waits
        for me if I'm running,” she says. “Will a timetable wait for me?”
    """),
)

BATUMI_NIGHT_SHIFT = DemoArticle(
    slug="batumi-night-shift-cleaners",
    title="Batumi after midnight: the women who clean the seaside towers",
    dek="Behind the lights of Batumi's boulevard are thousands of night-shift cleaners, most of them women from "
    "mountain villages, working for hotels and casinos that rarely give them a contract.",
    section="society",
    region="georgia",
    dateline="Batumi",
    tags=("labour", "migration"),
    authors=("nino-gelashvili",),
    days_ago=19.8,
    scene="harbour",
    time_of_day="night",
    caption="Batumi's seafront towers at night.",
    body=blocks("""
        The staff entrance of the hotel is round the back, between the bins and the laundry van. At half past
        eleven on a Thursday, women in blue tabards begin to arrive in twos and threes, most of them off the same
        minibus from the edge of town. By midnight there are forty of them inside. By seven in the morning the
        lobby, the spa, the casino floor and 300 rooms will be clean, and they will be gone before most guests
        wake up.

        Batumi's building boom has been one of the most visible stories of Georgia's economy over the past fifteen
        years. Less visible are the people who keep its towers running at night. Nobody counts them precisely;
        labour organisers estimate that at least 6,000 people work night shifts in the city's hotels, casinos and
        apartment blocks during the summer season, and that most of them are women from villages in the mountains
        of Adjara or from other regions of Georgia.

        The Ledger spoke to twenty-two of them over three weeks. Only five had a written contract. Most were paid
        in cash, by the shift, through agencies or supervisors who took a cut. Fourteen said they had worked at
        least one shift without being paid in full. None wanted to be named because, as one put it, “there are two
        hundred women waiting for my job”.

        ## “We are the ones who make it shine”

        Manana, 51, comes down from a mountain village every May and goes back in October. She shares a two-room
        flat with five other women and sends most of her earnings home, where her husband keeps the cows and her
        son is studying in Tbilisi. She has cleaned casinos for nine summers. “They pay us at dawn, in an
        envelope,” she says. “If something is missing from a room, it is missing from the envelope.”

        > “Tourists see the fountain and the lights. They don't see that somebody scrubbed the fountain at four in
        > the morning. We are the ones who make it shine.”

        Hotel managers who spoke to the Ledger said they rely on agencies for seasonal staff and expect those
        agencies to follow the law. The state labour inspectorate told the Ledger it had inspected hospitality
        businesses in Adjara last year and found violations in “a significant number” of cases. It did not give
        figures.

        A small union of hospitality workers, founded in Batumi two years ago, has begun to hold meetings at the
        minibus stop where the night shift gathers. Its organiser, a former cleaner, says membership is still
        under 200. “It is hard to organise people who sleep in the daytime and go home in October,” she says. “But
        they talk to each other on the bus. That is where we start.”
    """),
)

STORIES = [HYDRO_DAM, REPORTER_NOTEBOOK_TRIAL, QVEVRI_EXPORTERS, MINIBUS_DRIVERS, BATUMI_NIGHT_SHIFT]

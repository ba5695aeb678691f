"""Demo stories from the investigations desk, the members' Insider notebook and a draft still in editing.

All people, companies, unnamed places and figures are invented.
"""

from __future__ import annotations

from outlet.demo.catalogue import INSIDER_TIERS
from outlet.demo.spec import DemoArticle, blocks

SCHOOL_REPAIR_TENDERS = DemoArticle(
    slug="school-repair-tenders-investigation",
    title="Same roofs, three invoices: a year inside school-repair tenders",
    dek="A Ledger analysis of 1,214 public tenders for school repairs found the same few companies winning again "
    "and again, often as the only bidder, and some roofs paid for more than once.",
    section="investigations",
    region="georgia",
    dateline="Tbilisi",
    tags=("public-money", "education"),
    authors=("levan-jorbenadze", "tamar-lomidze"),
    additional=("nino-gelashvili",),
    days_ago=10.4,
    access="members",
    scene="peaks",
    time_of_day="day",
    caption="The schools in this investigation are in three municipalities in western Georgia.",
    body=blocks("""
        In the summer of last year, the roof of a village school in western Georgia was repaired. According to
        public procurement records, it was also repaired the summer before, and the summer before that — by the
        same company, for similar sums, with invoices describing almost identical work. When the Ledger visited in
        the spring, the ceiling of the top-floor classroom still had a brown stain the shape of a map, and there
        was a bucket in the corner.

        That school is one of dozens in a year-long Ledger investigation into how money for school repairs is
        spent. We downloaded and analysed 1,214 tenders for school repairs and maintenance published by three
        municipalities over four years, read the contracts and completion reports, and visited 23 of the schools.
        We have put detailed questions to all three municipalities and are not naming them until they have had a
        full opportunity to respond.

        ## What we found

        - Four companies won 61 percent of the money, although more than forty firms bid at least once.
        - In 38 percent of tenders only one company bid. In tenders won by the four leading companies, the figure
          was 57 percent.
        - Eleven schools had the same item — a roof, a heating system or a set of windows — paid for in two or
          more consecutive years.
        - At 19 of the 23 schools we visited, staff described repairs that were smaller than the ones recorded in
          the completion reports.

        Single-bidder tenders are not illegal, and repeated repairs can have innocent explanations: a cheap repair
        that failed, new damage after a storm, an inspector who signed off poor work in good faith. But
        procurement specialists who reviewed our data said the pattern was a warning sign that should have
        prompted questions years ago.

        > “When the same four names win, the same schools need the same repair every year and nobody else bothers
        > to bid, the system is telling you something. The question is whether anybody is listening.” — a former
        > state auditor who reviewed the Ledger's findings

        ## The companies respond

        Two of the four leading companies answered our questions. Argo Remont, the largest, said every contract had
        been awarded lawfully and every repair inspected and approved by municipal engineers, and that roofs on
        older buildings “often need repeated intervention because of the condition of the structure”. Lazuri
        Build said it was not responsible for the choice of materials, which the municipality had specified. The
        other two companies did not respond.

        Head teachers were more candid, though none would be named. “They come in August, they do something, they
        leave,” one said. “Nobody asks me what the school needs. Nobody asks me to sign anything. In September I
        find out from the children where the rain comes in.”

        We have published our <a href="https://example.org/school-tenders-data">full dataset and method</a> so that
        others can check our work and look up schools in their own area. We will publish the municipalities'
        responses when we receive them.
    """),
)

UPPER_LARS_NOTEBOOK = DemoArticle(
    slug="upper-lars-truck-queue-notebook",
    title="Reporter's notebook: twenty hours in the truck queue at Upper Lars",
    dek="For Insider and Patron members: what our correspondent saw, heard and ate riding with a long-haul driver "
    "through the busiest mountain border crossing in the Caucasus.",
    section="economy",
    region="georgia",
    dateline="Stepantsminda",
    tags=("trade", "labour"),
    authors=("giorgi-tsiklauri",),
    additional=("madina-alieva",),
    days_ago=12.0,
    access="tiers",
    tiers=INSIDER_TIERS,
    scene="road",
    snow=True,
    time_of_day="dusk",
    caption="The road north towards the pass.",
    body=blocks("""
        <em>This notebook is part of our Insider series: the raw material behind our reporting, written up for the
        members who pay for the trips.</em>

        <strong>Hour one.</strong> I climb into the cab of Rezo's truck at a petrol station on the road north at
        four in the morning. Rezo is 47, drives a twelve-year-old tractor unit and has made this run — Tbilisi to
        the border and beyond, today with 22 tonnes of ceramic tiles — more times than he can count. He hands me a
        thermos and a bag of bread still warm from his wife's oven. “Eat now,” he says. “Later you won't want to.”

        <strong>Hour three.</strong> We reach the end of the queue below Gudauri, at around 2,000 metres. The line
        of trucks runs up the road ahead of us and out of sight round the bend. Rezo switches off the engine. A man
        from the truck in front walks back to tell us the border is “slow today” because of a computer problem on
        the other side. Nobody knows whether that is true. Nobody ever knows.

        ## Life in the queue

        <strong>Hour six.</strong> The queue has its own economy. Boys from nearby villages walk the line selling
        khachapuri, cigarettes and phone credit. A van comes up twice a day with hot soup. There is one toilet, at a
        café three kilometres back. The drivers, who know each other by their number plates, shout the news from
        cab to cab: a truck with a broken axle near the tunnel; a rumour that the crossing will close tonight for
        snow.

        > “You know what this road is? It is the only door. When the door gets stuck, everybody stands in front of
        > it.” — Rezo

        <strong>Hour eleven.</strong> We have moved four kilometres. Rezo shows me his accounts, kept in a school
        exercise book: fuel, tolls, the fee to the company that owns the trailer, the money he sends his daughter at
        university in Batumi. A day in the queue costs him about 100 lari in food and lost time. Last winter he
        spent nine days in this queue on a single run.

        ## Through the pass

        <strong>Hour sixteen.</strong> Snow. The road through the Dariali gorge is one of the most spectacular in
        the Caucasus, and at night in a snowstorm you see none of it: only the red lights of the truck in front and
        the white line that Rezo follows from memory. Madina Alieva, reporting from the northern side, tells me by
        phone that the queue there is just as long, going the other way.

        <strong>Hour twenty.</strong> Customs. A tired official, a stamp, a question about the tiles. Rezo pulls
        through the gate and punches the air. I get out to walk back. He leans out of the window as he goes. “Write
        that we are not complaining,” he says. “Write that we just want the door to open.”
    """),
)

POLL_WATCHERS_DRAFT = DemoArticle(
    slug="kutaisi-poll-watchers-training",
    title="Poll watchers train for a by-election few people are watching",
    dek="In a borrowed classroom in Kutaisi, volunteers learn to spot a carousel voter and to write a complaint "
    "that an election commission cannot ignore.",
    section="politics",
    region="georgia",
    dateline="Kutaisi",
    tags=("elections",),
    authors=("giorgi-tsiklauri",),
    days_ago=None,
    status="draft",
    scene="city",
    time_of_day="dawn",
    caption="Kutaisi, where a single council seat is up for election.",
    body=blocks("""
        Twenty-six people sit at school desks in a borrowed classroom in Kutaisi on a Saturday morning: students,
        pensioners, a dentist, two taxi drivers. At the front, a trainer from a domestic election-monitoring group
        holds up a sample ballot and asks them to find four things wrong with it. It takes them nine minutes. “On
        the day, you will have nine seconds,” she says.

        The volunteers are training to observe a municipal by-election next month, called after a city councillor
        resigned. Turnout in such elections is often low, and observer groups send fewer people to them than to
        parliamentary votes. That, the organisers argue, is exactly why they matter: local elections are where
        irregularities are easiest to commit and least likely to be noticed.

        ## What observers look for

        Over six hours, the trainers go through what can go wrong at a polling station and what an observer may do
        about it.

        - Checking that the ballot box is empty and sealed before voting begins.
        - Watching for “carousel” voting, in which a pre-filled ballot is passed from voter to voter.
        - Noting anyone who lingers near the entrance, or seems to be keeping a list.
        - Writing a complaint that will stand up before an election commission.

        > “Most of what you will see is boring, and that is good news. Your job is to be there so that it stays
        > boring.” — the trainer

        The volunteers have their own reasons for coming. The dentist says she wants to know how the system works
        before she criticises it. One of the taxi drivers, who has observed three elections, says he keeps coming
        back because he once saw a problem fixed after he wrote it down. A student says her parents told her not
        to get involved, “so I'm here”.

        By the afternoon the questions have become specific. Can an observer photograph the results sheet? Yes, the
        trainer says, and you must. What if a commission member refuses to accept a complaint? Write down the time,
        their name and what they said, and call the hotline. What if somebody threatens you? Leave, and call the
        hotline.

        The by-election will decide a single council seat, and the volunteers know it will not make the national
        news. “That is the point,” the dentist says, packing up her sample ballots. “If nobody watches the small
        ones, the small ones become the big ones.”
    """),
)

STORIES = [SCHOOL_REPAIR_TENDERS, UPPER_LARS_NOTEBOOK, POLL_WATCHERS_DRAFT]

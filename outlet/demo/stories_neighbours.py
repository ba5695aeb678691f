"""Demo stories from Azerbaijan and the North Caucasus. All people, unnamed places and figures are invented."""

from __future__ import annotations

from outlet.demo.spec import DemoArticle, blocks

CASPIAN_FISHERMEN = DemoArticle(
    slug="caspian-shoreline-fishing-village",
    title="As the Caspian retreats, a fishing village follows the water",
    dek="On the Absheron peninsula the sea has pulled back far enough to strand jetties and move the fish. "
    "Fishermen are moving their boats; their families are wondering whether to move too.",
    section="environment",
    region="azerbaijan",
    dateline="Absheron Peninsula",
    tags=("climate", "water"),
    authors=("leyla-mammadova",),
    additional=("kamran-huseynov",),
    days_ago=9.0,
    access="members",
    scene="sea",
    time_of_day="dawn",
    caption="Fishing boats off the Absheron coast.",
    body=blocks("""
        The old jetty still stands, its concrete legs sunk in what used to be water and is now a flat of cracked
        grey mud and shells. At its end, a rusted ladder descends to nothing. “My father tied his boat here,” says
        Elchin, 58, who has fished this stretch of coast for forty years. “Now we walk two hundred metres to reach
        the water, and every year it is a little further.”

        The Caspian has no outlet to the ocean. Its level depends on what rivers bring in — above all the Volga —
        and on what evaporates from its surface. It has been falling for much of the past two decades, and
        scientists expect a warming climate to speed up the decline as evaporation increases. Along shallow coasts,
        a drop of even a metre can move the shoreline a long way.

        ## A village measured in metres

        In Elchin's village, which we are not naming because several fishermen spoke without the permission of
        the cooperative that holds their licences, the change is measured in practical things. The jetty is
        useless. The small harbour that replaced it silts up every summer and has to be dredged. Fish that used to
        gather in the shallows have moved, and boats must go further out, burning more fuel for catches that
        fishermen say are smaller.

        > “We used to argue about the weather. Now we argue about where the sea will be next year.”

        The fishermen's wives keep the accounts, and their numbers are stark. One family the Ledger visited said
        its fuel costs had roughly doubled in five years while its income from fish had fallen by a third. Two
        sons now work on building sites in Baku and send money home; the youngest is studying for his university
        entrance exams and has no intention of going to sea.

        ## Planning for a smaller sea

        Researchers in the region have called on the countries around the Caspian to plan together for a lower
        sea: shared monitoring, shared data on fish stocks, and help for coastal communities whose harbours and
        water intakes will be left high and dry. A
        <a href="https://example.org/caspian-level-briefing">briefing paper</a> written by a group of scientists
        last year warned that ports, fisheries and wetlands in all five countries are exposed.

        For now, help in Elchin's village is local and improvised. The cooperative has bought a second-hand
        dredger. A neighbourhood committee collects money for families whose boats need repairs. And every few
        months, the men move the mooring posts a few more metres out.

        Elchin says he will keep fishing for as long as there is a sea to fish. “Where it goes, we go,” he says.
        “But the houses don't move. The school doesn't move. One day the village will be on the wrong side of the
        mud.”
    """),
)

DAGESTAN_SCHOOL = DemoArticle(
    slug="dagestan-village-school-language",
    title="A mountain school in Dagestan teaches a language with a few thousand speakers",
    dek="Dagestan has dozens of languages, some spoken in only a handful of villages. One small school is betting "
    "that children who learn theirs properly will not lose it when they leave.",
    section="culture",
    region="north-caucasus",
    dateline="Makhachkala",
    tags=("languages", "education"),
    authors=("madina-alieva",),
    days_ago=13.5,
    access="metered",
    scene="peaks",
    snow=True,
    time_of_day="dawn",
    caption="The mountains of inner Dagestan.",
    body=blocks("""
        The road to the village takes two hours from Makhachkala, the last of them on gravel that clings to the
        side of a gorge. The school sits at the top of the village: a two-storey building with a corrugated roof
        and 74 pupils. On the wall of the first-floor corridor, next to portraits of poets, someone has painted the
        village's own alphabet by hand — 46 letters in Cyrillic script, some with marks that do not exist in
        Russian.

        Dagestan, in Russia's North Caucasus, is one of the most linguistically diverse places on earth. Linguists
        count around thirty languages native to the republic, some with hundreds of thousands of speakers and some
        spoken in only a few villages. The language of this village, which the teachers asked us not to name so
        that the school cannot be identified, has a few thousand speakers, most of them over forty. Children hear
        it from their grandparents, but by secondary school most of them speak Russian with each other.

        ## Two lessons a week, and a plan

        The school's language teacher, Patimat, who is 52, has taught two lessons a week for twenty years, from
        photocopied textbooks written in the 1990s. Three years ago, with two younger colleagues, she started
        something new: a lunchtime club in which children record their grandparents telling stories, transcribe
        them and turn them into short illustrated books. The books are printed on the school's own printer and
        given to every family in the village.

        > “The children thought the language was for old people and for scolding. Now they know it is also for
        > jokes, for songs, for stories about wolves. That changes everything.”

        The club has produced 31 books so far. A linguist from a university in Makhachkala who advises the
        teachers says the recordings are valuable in their own right: several include words and expressions that
        had never been written down.

        ## Leaving, and coming back

        The hardest part, the teachers say, is not the lessons. It is what happens after school. Most young people
        leave for Makhachkala or for work elsewhere, and a language does not travel well to cities where nobody
        else speaks it. So the club has started a group chat for former pupils, with one rule: messages must be
        written in the language. It has 140 members. Some of them, the teachers admit, write mostly in emoji.

        Patimat is not sentimental about the odds. Languages with a few thousand speakers disappear all over the
        world, she says, and hers may too. “But it will not disappear because we were lazy,” she says. “If it goes,
        it goes after a fight. And the children will have the books.”
    """),
)

SHEKI_SILK = DemoArticle(
    slug="sheki-silk-weavers-online",
    title="Sheki's silk printers find buyers online, and lose a few things on the way",
    dek="Kelaghayi silk headscarves have been made in north-western Azerbaijan for centuries. A new generation is "
    "selling them to buyers in Europe and the Gulf, and arguing about what counts as tradition.",
    section="culture",
    region="azerbaijan",
    dateline="Sheki",
    tags=("heritage", "trade"),
    authors=("kamran-huseynov",),
    days_ago=15.2,
    scene="valley-river",
    time_of_day="day",
    caption="The wooded mountains above Sheki.",
    body=blocks("""
        In a workshop off a cobbled lane in Sheki's old town, Aygun Rahimova presses a carved wooden block into a
        tray of dye, lifts it, and sets it down on a square of white silk with the care of someone signing a
        contract. The pattern is a <em>buta</em>, the teardrop motif found on carpets, tiles and jewellery all over
        Azerbaijan. Repeated, shifted and overprinted in a second colour, it will become a kelaghayi, the silk
        headscarf that women in this region have worn for generations.

        Rahimova, 29, learned the craft from her aunt. Five years ago, she says, the workshop sold almost
        everything to tourists who wandered in from the old caravanserai down the street. Today around two-thirds of
        her sales are online, through a shop page and a social-media account with 38,000 followers. Her scarves
        have gone to buyers in Berlin, Dubai, Toronto and Seoul.

        ## Patterns that sell

        The online market has changed what she makes. Buyers abroad want colours that photograph well — dusty
        pinks, sage greens, deep blues — rather than the reds, blacks and saffron yellows that older women in Sheki
        prefer. They want larger sizes, to wear as shawls. Some want their initials worked into the border.
        Rahimova obliges. “If you want a tradition to survive, it has to pay the rent,” she says.

        Not everyone agrees. Older masters in the town worry that synthetic dyes, machine-woven silk bought abroad
        and patterns designed for social media are hollowing out a craft that UNESCO lists as intangible cultural
        heritage. One printer, who has made kelaghayi for fifty years, says he can spot a scarf made for the
        internet from across a room. “It is pretty,” he says. “It is not ours.”

        > “My grandmother changed the patterns too. She just didn't have a camera on her phone while she did it.”
        > — Aygun Rahimova

        ## What gets lost in the post

        There are practical losses too. Shipping from Azerbaijan is expensive, and payment services popular with
        buyers abroad are not always open to sellers here, so workshops rely on intermediaries who take a share.
        Rahimova estimates that of a scarf that sells for 60 dollars abroad, she keeps about 25. Counterfeit “Sheki
        silk”, printed by machine elsewhere, competes on the same marketplaces at a third of the price.

        Some workshops have begun to respond together. Seven of them have agreed on a simple label certifying that
        a scarf was hand-printed in Sheki, and are asking for it to be recognised as a protected geographical
        name. It is a small step, Rahimova says. But the first buyers to ask about the label, she notes, were the
        ones abroad.
    """),
)

STORIES = [CASPIAN_FISHERMEN, DAGESTAN_SCHOOL, SHEKI_SILK]

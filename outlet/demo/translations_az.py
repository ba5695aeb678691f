"""The demo newsroom in Azerbaijani (az): the catalogue's texts, the fundraiser's and three stories.

Written for Azerbaijani readers rather than translated line by line. People's names follow Azerbaijani spelling
(Rəhimova, Kobiaşvili, Tiqran); the masthead (Caucasus Ledger) and the newsrooms' names stay as they are, with
suffixes after a hyphen.
"""

from __future__ import annotations

from outlet.demo.spec import CatalogueTranslation, TranslatedArticle, blocks
from outlet.demo.stories_armenia import GYUMRI_LIBRARY
from outlet.demo.stories_georgia import HYDRO_DAM
from outlet.demo.stories_neighbours import SHEKI_SILK

CATALOGUE = CatalogueTranslation(
    language="az",
    sections={
        "politics": ("Siyasət", "Bütün Qafqazda parlamentlər, məhkəmələr və hakimiyyətdən hesab soruşan insanlar."),
        "environment": (
            "Ətraf mühit",
            "Çaylar, buzlaqlar, otlaqlar və onlardan kimin istifadə edəcəyi üstündə gedən mübarizə.",
        ),
        "society": (
            "Cəmiyyət",
            "İnsanlar necə yaşayır və işləyir: işə gediş-gəliş, gecə növbələri, məktəblər və məhəllələr.",
        ),
        "economy": (
            "İqtisadiyyat",
            "Pul və iş: üzüm bağlarından və sərhəddəki növbələrdən startaplara və mədənlərə qədər.",
        ),
        "culture": ("Mədəniyyət", "Dillər, sənətkarlıq, kitabxanalar və onları yaşadan insanlar."),
        "investigations": (
            "Araşdırmalar",
            "Sənədlərə, rəqəmlərə və səbrə söykənən uzunmüddətli jurnalist araşdırmaları.",
        ),
    },
    regions={
        "georgia": "Gürcüstan",
        "armenia": "Ermənistan",
        "azerbaijan": "Azərbaycan",
        "north-caucasus": "Şimali Qafqaz",
    },
    tags={
        "press-freedom": "Mətbuat azadlığı",
        "courts": "Məhkəmələr",
        "climate": "İqlim",
        "energy": "Enerji",
        "water": "Su",
        "agriculture": "Kənd təsərrüfatı",
        "labour": "Əmək",
        "migration": "Miqrasiya",
        "technology": "Texnologiya",
        "trade": "Ticarət",
        "heritage": "Mədəni irs",
        "education": "Təhsil",
        "languages": "Dillər",
        "public-money": "Büdcə vəsaiti",
        "health": "Səhiyyə",
        "elections": "Seçkilər",
    },
    authors={
        "nino-gelashvili": (
            "Müxbir, Tbilisi",
            "Nino torpaq və enerji mövzularını, eləcə də bu ikisinin arasında qalan kəndləri işıqlandırır. "
            "Caucasus Ledger-ə qoşulmazdan əvvəl İmeretidə regional radiostansiyada çalışıb. Adını bu gün də "
            "heç kimə demədiyi bir kənddə böyüyüb.",
        ),
        "levan-jorbenadze": (
            "Araşdırmalar redaktoru, Tbilisi",
            "Levan Caucasus Ledger-in araşdırmalar şöbəsinə rəhbərlik edir. On beş ildir ki, dövlət satınalmaları "
            "sənədlərini, məhkəmə materiallarını və şirkət reyestrlərini oxuyur — oxucular oxumaq məcburiyyətində "
            "qalmasın deyə.",
        ),
        "tamar-lomidze": (
            "Data jurnalist, Tbilisi",
            "Tamar cədvəlləri hekayələrə, hekayələri isə cədvəllərə çevirir. Caucasus Ledger-in dövlət tenderləri "
            "və məhkəmə qərarları üzrə məlumat bazalarını o aparır.",
        ),
        "giorgi-tsiklauri": (
            "Regional müxbir, Kutaisi",
            "Giorgi Qərbi Gürcüstandan yazır — adətən o tərəfə gedən hansısa maşının ön oturacağından. Nəqliyyat, "
            "yerli özünüidarə və əmək onun əsas mövzularıdır.",
        ),
        "ani-hakobyan": (
            "Müxbir, İrəvan",
            "Ani Ermənistanın iqtisadiyyatını, startaplarını və iqtisadi artımın kənarda qoyduğu insanları "
            "işıqlandırır. Əvvəllər əmək hüquqları üzrə təşkilatda tədqiqatçı işləyib.",
        ),
        "tigran-avetisyan": (
            "Müxbir, Gümrü",
            "Tiqran Ermənistanın şimalı — onun şəhərləri, təsərrüfatları və uzun yaddaşı haqqında yazır. "
            "Caucasus Ledger-də təkərləri üçün qar zəncirləri olan yeganə müxbir odur.",
        ),
        "leyla-mammadova": (
            "Ştatdankənar müxbir, Bakı",
            "Leyla ətraf mühit və Xəzər sahili haqqında yazır. Dəniz bioloqu kimi təhsil alıb, sonra isə insanların "
            "daha çətin mövzu olduğu qənaətinə gəlib.",
        ),
        "kamran-huseynov": (
            "Ştatdankənar müxbir, Şəki",
            "Kamran Azərbaycanın şimal-qərbində sənətkarlıq, ticarət və kiçik biznes mövzularını işıqlandırır, "
            "həmçinin Caucasus Ledger-in transsərhəd layihələri üçün tərcümələr edir.",
        ),
        "madina-alieva": (
            "Ştatdankənar müxbir, Mahaçqala",
            "Mədinə Şimali Qafqazda təhsil, dillər və dağ kəndləri haqqında yazır.",
        ),
    },
    tiers={
        "supporter": (
            "Dəstəkçi",
            "Yalnız üzvlər üçün olan bütün yazıları oxuyun və həftəlik bülleteni alın. Caucasus Ledger-in qalan "
            "hər kəs üçün pulsuz qalmasının ən sadə yolu budur.",
            "Yalnız üzvlər üçün olan bütün yazılar\nHəftəlik bülleten\nYazı limiti yoxdur",
        ),
        "insider": (
            "Redaksiyanın dostu",
            "«Dəstəkçi» paketindəki hər şey, üstəlik müxbirlərimizin yerlərdən qeydləri və redaktorlarla aylıq "
            "onlayn görüş.",
            "«Dəstəkçi» paketindəki hər şey\nMüxbirlərin yerlərdən qeydləri\nRedaktorlarla aylıq görüş",
        ),
        "patron": (
            "Himayədar",
            "«Redaksiyanın dostu» paketindəki hər şey, üstəlik oxucularımızın illik görüşünə dəvət. Himayədarlar "
            "bir müxbirin bir aylıq ezamiyyətlərini maliyyələşdirir.",
            "«Redaksiyanın dostu» paketindəki hər şey\nOxucuların illik görüşünə dəvət\n"
            "İllik hesabatda adınız (istəsəniz)",
        ),
    },
    prompts={
        "Demo: site banner — become a member": (
            "Üzv olun",
            "Müstəqil jurnalistikanı dəstəkləyin",
            "Caucasus Ledger-i sahiblər, partiyalar və ya hökumətlər deyil, oxucular maliyyələşdirir.",
            "Bu gün qoşulun",
        ),
        "Demo: in-article — reader-funded reporting": (
            "Oxucuların dəstəyi ilə",
            "Belə reportajları üzvlərimiz maliyyələşdirir",
            "Müxbirlərimiz başqalarının getmədiyi kəndlərə, məhkəmə zallarına və sərhəddəki növbələrə gedir. "
            "Hər belə səfər üzvlərimizin sayəsində mümkün olur.",
            "Üzv olun",
        ),
        "Demo: end of article — spring fundraiser": (
            "Bahar kampaniyası",
            "Müxbirlərimizin yolda qalmasına kömək edin",
            "Bu bahar Qafqaz boyu bir illik reportaj səfərləri üçün vəsait toplayırıq: yanacaq, tərcüməçilər və "
            "kənd qonaq evlərində gecələmə.\n\n"
            "İstənilən məbləğdə hər ianə birbaşa reportaj fonduna gedir.",
            "Jurnalistikamızı dəstəkləyin",
        ),
        "Demo: paywall — keep reading": (
            "Üzvlər üçün yazı",
            "Oxumağa davam etmək üçün üzv olun",
            "Caucasus Ledger-in üzvləri bütün yazıları tam və məhdudiyyətsiz oxuyur, jurnalistikamızı isə pul "
            "ödəyə bilməyən oxucular üçün pulsuz saxlayır.",
            "Üzvlük variantları",
        ),
        "Demo fundraiser appeal": (
            "Birgə kampaniya",
            "Üç redaksiya, bir çağırış",
            "Sərhəddə, dağ dərələrində və dəniz sahilində çalışan müxbirlərin qoruyucu ləvazimata, vəkillərə və "
            "təhlükəsiz avadanlığa ehtiyacı var.",
            "İanə edin",
        ),
    },
    campaign=(
        "Üç redaksiyanın işini davam etdirməsinə kömək edək",
        "Üç kiçik müstəqil redaksiya üçün qoruyucu ləvazimat, hüquqi yardım və təhlükəsiz avadanlıq.",
        "<p>Üç kiçik redaksiya dağ dərələrindən, sərhəd keçid məntəqələrindən və dəniz sahilindən xəbər verir — "
        "artıq çox az jurnalistin çalışdığı yerlərdən. Bu il onların üçünə də eyni üç şey lazımdır: etiraz "
        "aksiyalarında və cəbhə xəttində işləyən müxbirlər üçün qoruyucu ləvazimat, yazı məhkəməyə düşəndə "
        "vəkillər, bir də təhlükəsiz telefon və noutbuklar.</p>"
        "<p>Hər ianə onlar arasında aşağıdakı nisbətlə, ya da başqa nisbət seçsəniz, sizin seçdiyiniz nisbətlə "
        "bölünür. Hər redaksiya öz payını nəyə xərclədiyi barədə hesabat verir, biz də həmin hesabatları burada "
        "dərc edirik.</p>",
        "İllüstrasiya: dağ aşırımına doğru qalxan dolanbac yol, şəfəq vaxtı, bənövşəyi və kəhrəba çalarları.",
    ),
    newsrooms={
        "mountain-voice": "Dağ dərələrində fəaliyyət göstərən beş nəfərlik redaksiya; mədənçilik və torpaq "
        "mövzularını işıqlandırır.",
        "border-dispatch": "Xəttin hər iki tərəfində çalışan müxbirlər; onun boyunca yaşayan insanlardan yazırlar.",
        "coast-radio": "Qara dəniz sahilindən üç dildə icma radiosu və podkastlar.",
    },
    updates={
        "Helmets and vests have arrived": (
            "Dəbilqələr və jiletlər gəlib çatdı",
            "Qoruyucu ləvazimatın ilk partiyası bu həftə Border Dispatch-ə çatdı: səkkiz zirehli jilet və səkkiz "
            "dəbilqə.\n\nİlk günlərdən ianə edən hər kəsə təşəkkür edirik.",
        ),
        "A lawyer for Mountain Voice": (
            "Mountain Voice-a vəkil",
            "Mountain Voice karxana haqqında yazılarına görə böhtan iddiası ilə üz-üzədir. Onun müdafiəsini sizin "
            "ianələriniz ödəyir.",
        ),
    },
    hero_credit="İllüstrasiya: Caucasus Ledger",
)

HYDRO_DAM_AZ = TranslatedArticle(
    original=HYDRO_DAM,
    language="az",
    slug="zemo-lasili-sakinleri-ses-e-qarshi-az",
    title="Dağ kəndinin sakinləri SES tikintisini dayandırmaq üçün yolda oturur",
    dek="Dörd aydır ki, Zemo Lasili kəndinin pensiyaçıları planlaşdırılan su elektrik stansiyasının tədqiqat "
    "qruplarını kəndə buraxmır. Şirkət layihənin qanuni olduğunu deyir. Sakinlər isə onlardan heç kimin fikir "
    "soruşmadığını bildirir.",
    dateline="Zemo Lasili",
    caption="Vadinin yuxarı hissəsi: çayın suyunun böyük hissəsi buradan tunelə yönəldiləcək.",
    hero_alt="İllüstrasiya: dağ vadisindən çıxan dolanbac çay, uzaq zirvələrdə qar, şəfəq vaxtı, mavi və ərik "
    "çalarları.",
    body=blocks("""
        Tədqiqat qrupu noyabrın ilk həftəsində gəldi: iki pikap və kilsənin yuxarısındakı sonuncu döngəni qalxa
        bilməyən qazma qurğusu. Sürücülər maşınları döndərməyə yer axtarana qədər Zemo Lasilinin demək olar ki,
        bütün sakinləri artıq yolda dayanmışdı. «Əvvəlcədən heç nə planlaşdırmamışdıq», — çayın yuxarısındakı
        yamacda arı saxlayan 63 yaşlı Manana Kobiaşvili deyir. «Kimsə kilsənin zəngini çaldı, hamı gəldi. Sonra bu,
        vərdişə çevrildi».

        Bu vərdiş dörd aydır davam edir. O vaxtdan bəri hər səhər sakinlər — əsasən pensiyaçılar, bir də xaricdə
        mövsümi işdən qayıtmış bir neçə cavan kişi — növbə ilə, əllə yazılmış <em>«Çay satılmır»</em> lövhəsinin
        yanında plastik stullarda oturur. Qruplar üç dəfə geri qayıdıb. Hər dəfə də qazmağa başlamadan çıxıb
        gediblər.

        Söhbət özəl şirkət olan «Lasili Enerji»nin vadinin yuxarı axarında tikmək istədiyi 42 meqavatlıq stansiyadan
        gedir. Layihəyə görə, çayın axınının böyük hissəsi on bir kilometrlik tunellə aşağıdakı maşın zalına
        yönəldiləcək, çay yatağında isə ilin çox vaxtı şirkətin özünün hazırladığı ətraf mühitə təsirin
        qiymətləndirilməsi sənədində «ekoloji minimum» adlandırılan qədər su qalacaq.

        ## Qanuni layihə və baş tutmayan görüş

        Şirkət bütün qaydalara əməl etdiyini bildirir. Caucasus Ledger-ə yazılı cavabında şirkətin direktoru Davit
        Mesxi qeyd edib ki, layihə ilkin ekoloji rəy alıb, rayon mərkəzində ictimai dinləmə keçirilib və «sakinlərin
        fikir bildirmək üçün hər cür imkanı olub». Onun sözlərinə görə, stansiya yerli büdcəyə xeyli vergi ödəyəcək
        və təxminən 30 daimi iş yeri açacaq.

        Sakinlər bu izahatın demək olar ki, hər bəndinə etiraz edir. Dinləmə iş günü, günortadan sonra, kənddən 38
        kilometr aralıda keçirilib, bu barədə elan isə bələdiyyənin saytında və rayon administrasiyasının elan
        lövhəsində yerləşdirilib. Caucasus Ledger iştirakçıların siyahısını əldə edib: ona imza atan 14 nəfərdən
        doqquzu şirkətin əməkdaşı və ya məsləhətçisi olub. Zemo Lasilidən isə dinləməyə heç kim gəlməyib.

        > «Deyirlər ki, danışmaq imkanımız olub. Olub — əgər burada heç kimin açmadığı saytı oxusaydıq, maşınımız
        > olsaydı və sağılası inəklərimiz olmasaydı». — Zurab Abuladze, kənd şurasının üzvü

        Caucasus Ledger-in xahişi ilə sənədləri nəzərdən keçirən hüquqşünaslar daha ciddi bir boşluğa diqqət çəkir.
        Qiymətləndirmə 1991-ci ildə bağlanmış hidroloji məntəqənin çay axını məlumatlarına əsaslanır: növbəti 30
        ilin su ehtiyatı vadinin üstündəki buzlaqlar ən sürətlə əriməyə başlamazdan əvvəl kəsilən müşahidələr
        əsasında modelləşdirilib. «Dünənki çaya baxıb suyun yönləndirilməsini layihələndirmək olmaz», — qərara
        yenidən baxılmasını tələb edən Tbilisidəki ekoloji hüquq klinikasından Ketevan Dolidze deyir. <a
        href="https://example.org/lasili-review-request">Klinikanın müraciəti tam şəkildə dərc olunub</a>.

        ## Vadi nələri itirəcək

        - Şirkətin öz hesablamalarına görə, çayın təxminən 11 kilometrlik hissəsində ilin çox vaxtı su az olacaq.
        - Kəndin aşağısındakı bağları suvaran iki arx.
        - Vadidəki yeganə alabalıq təsərrüfatı: orada altı nəfər işləyir və o, planlaşdırılan su qəbuledicisinin düz
          aşağısında yerləşir.

        Hələlik qarşıdurma sakitdir. Yanvardan bəri tədqiqat qrupları qayıtmayıb, şirkət isə «havanın düzəlməsini
        gözlədiyini» deyir. Kənddə buna heç kim inanmır. Bu yaxınlarda bir səhər stullar yenə saat yeddidə yolda
        idi, Kobiaşvili isə hamıya paylamaq üçün termosda çay və bir banka bal gətirmişdi. «Yazda gəlsələr, biz
        burada olacağıq», — o dedi. «Qocalmışıq, amma heç yerə getmirik. Bütün məsələ də elə bundadır».
    """),
)

GYUMRI_LIBRARY_AZ = TranslatedArticle(
    original=GYUMRI_LIBRARY,
    language="az",
    slug="gumrude-ishigi-sonmeyen-kitabxana-az",
    title="Gümrüdə işığı heç vaxt sönməyən kitabxana",
    dek="Otuz ildir ki, Gümrüdəki bir məhəllə kitabxanası qışın hər günü açıqdır. Onun oxu zalı ətrafın ən isti "
    "yerinə çevrilib — və təkcə soba sayəsində yox.",
    dateline="Gümrü",
    caption="Qış gecəsində Gümrü.",
    hero_alt="İllüstrasiya: uzaq dağların fonunda şəhər siluyeti, uzaq zirvələrdə qar, ulduzlu səma altında gecə, "
    "tünd firuzəyi çalarlar.",
    body=blocks("""
        Gümrünün köhnə şəhər hissəsində, yan küçələrdən birində yerləşən kitabxananın iki otağı, bir odun sobası və
        yeganə kitabxanaçısının hesabına görə 23 412 kitabı var. Yanvarın bir günortasıdır, qara daş divarların
        dibinə qar yığılıb, on iki stuldan on biri doludur: ev tapşırığı yazan üç məktəbli, İrəvan qəzeti oxuyan
        təqaüdçü mühəndis, noutbuklu iki tələbə və açıq etiraf etdikləri kimi, isinmək üçün gəlmiş bir cərgə
        pensiyaçı.

        Hasmik Petrosyan kitabxanaya 1994-cü ildən rəhbərlik edir. O, şəhərin böyük hissəsini dağıdan zəlzələdən
        altı il sonra bura gəlib — o vaxt binanın pəncərələrində şüşə yox idi, sobanı sınıq mebellə qalayırdılar.
        «İnsanlar elə bilirdi ki, kitabxana dəbdəbədir», — o deyir. «Mən isə əksini düşünürdüm. Hər şeyini itirəndə
        insana ilk lazım olan oturub düşünə biləcəyi bir yerdir».

        ## Soba, çaydan və Wi-Fi parolu

        Həmin qışlarda kitabxana bir gün də bağlanmayıb, o vaxtdan bəri də bağlanmayıb. Bələdiyyənin kiçik qrantı
        Petrosyanın maaşını və işıq pulunu ödəyir. Qalan hər şeyin — odunun, çayın, yeni kitabların, evində
        kompüteri olmayan uşaqlar üçün alınmış işlənmiş noutbukun — pulunu oxucular, keçmiş oxucular və indi
        Los-Ancelesdən, Moskvadan və Marseldən pul göndərən gümrülülərin bütöv bir şəbəkəsi verir.

        > «Uşaq olanda anam işdə olarkən isti yerdə qalım deyə məni bura göndərirdi. İndi mən pul göndərirəm ki,
        > başqasının oğlu da istidə otursun. Bütün sistem budur». — Armen, Fransada yaşayan keçmiş oxucu

        Şəhərlə birlikdə kitabxananın təklif etdikləri də dəyişib. Qapının yanındakı kartda Wi-Fi parolu yazılıb,
        rəfdə isə xaricdə universitetə qəbula hazırlaşan şagirdlər üçün ingilis dili dərslikləri düzülüb. Çərşənbə
        axşamları bir könüllü pensiyaçılara nəvələrinə görüntülü zəng etməyi öyrədir. Şənbə günləri şahmat dərnəyi
        toplanır — Petrosyanın sözlərinə görə, bu, binada danışmağın qəti qadağan olduğu yeganə məşğələdir.

        1990-cı illərin əvvəllərindən bəri Gümrü əhalisinin xeyli hissəsini itirib və bu masaların arxasında dərs
        hazırlamış uşaqların çoxu indi başqa yerlərdə yaşayır. Petrosyan buna fəlsəfi yanaşır. Onun sözlərinə görə,
        bəziləri hər yay qayıdır və nənələrinin məzarından da əvvəl ilk olaraq kitabxanaya gəlir.

        Onu narahat edən başqa şeydir: ondan sonra nə olacaq. 68 yaşı var və yerini tutmaq üçün hələ heç kim
        hazırlanmayıb. Bələdiyyə qrantı «kitabxana fəaliyyət göstərdiyi müddətcə» ödəyəcəyini bildirib — Petrosyanın
        dediyi kimi, bu cümləni iki cür anlamaq olar. Hələlik o, hər səhər saat onda qapını açır, sobanı yandırır və
        çaydanı ocağa qoyur. «Kitablar özü-özünü oxumayacaq», — o deyir. «Uşaqlar da soyuqda oturmamalıdır».
    """),
)

SHEKI_SILK_AZ = TranslatedArticle(
    original=SHEKI_SILK,
    language="az",
    slug="sheki-kelagayi-ustalari-internetde-az",
    title="Şəki kəlağayı ustaları alıcılarını internetdə tapır, amma yolda nələrisə itirir",
    dek="İpək kəlağayılar Azərbaycanın şimal-qərbində əsrlərdir hazırlanır. Yeni nəsil onları Avropa və Körfəz "
    "ölkələrindəki alıcılara satır və ənənə sayılanın nə olduğu barədə mübahisə edir.",
    dateline="Şəki",
    caption="Şəkinin üzərindəki meşəli dağlar.",
    hero_alt="İllüstrasiya: dağ vadisindən çıxan dolanbac çay, aydın səma, yumşaq indigo çalarları.",
    body=blocks("""
        Şəkinin köhnə şəhər hissəsində, daş döşənmiş dar döngədəki emalatxanada Aygün Rəhimova oyma taxta qəlibi
        boya qabına basır, qaldırır və ağ ipək parçanın üzərinə elə ehtiyatla qoyur ki, sanki müqavilə imzalayır.
        Naxış <em>butadır</em> — bütün Azərbaycanda xalçalarda, kaşılarda və zinət əşyalarında rast gəlinən damla
        şəkilli motiv. Təkrarlanıb, sürüşdürülüb və ikinci rənglə üstündən basıldıqdan sonra o, kəlağayıya
        çevriləcək — bu bölgənin qadınlarının nəsillərdir başlarına örtdüyü ipək yaylığa.

        29 yaşlı Rəhimova bu sənəti xalasından öyrənib. Onun sözlərinə görə, beş il əvvəl emalatxana demək olar ki,
        bütün məhsulunu küçənin aşağısındakı köhnə karvansaradan çıxıb bura baş çəkən turistlərə satırdı. Bu gün
        satışlarının təxminən üçdə ikisi internet üzərindən — mağaza səhifəsi və 38 min izləyicisi olan sosial media
        hesabı vasitəsilə həyata keçirilir. Onun kəlağayıları Berlinə, Dubaya, Torontoya və Seula gedib çıxıb.

        ## Satılan naxışlar

        Onlayn bazar onun nə hazırladığını da dəyişib. Xaricdəki alıcılar fotoda gözəl görünən rənglər istəyir —
        solğun çəhrayı, adaçayı yaşılı, tünd göy — Şəkinin yaşlı qadınlarının sevdiyi qırmızı, qara və zəfəran
        sarısı yox. Şal kimi örtmək üçün daha böyük ölçülər istəyirlər. Bəziləri haşiyəyə adlarının baş hərflərinin
        salınmasını xahiş edir. Rəhimova heç kimi geri çevirmir. «Ənənənin yaşamasını istəyirsənsə, o, kirayə
        haqqını ödəməlidir», — o deyir.

        Hamı bununla razı deyil. Şəhərin yaşlı ustaları narahatdır ki, sintetik boyalar, xaricdən alınan fabrik
        ipəyi və sosial şəbəkələr üçün düşünülmüş naxışlar UNESCO-nun qeyri-maddi mədəni irs siyahısına daxil etdiyi
        sənətin içini boşaldır. Əlli ildir kəlağayı basan bir usta deyir ki, internet üçün hazırlanmış kəlağayını
        otağın o başından tanıyır. «Gözəldir», — o deyir. «Amma bizimki deyil».

        > «Nənəm də naxışları dəyişirdi. Sadəcə, bunu edəndə telefonunda kamera yox idi». — Aygün Rəhimova

        ## Poçtda nələr itir

        Praktiki itkilər də var. Azərbaycandan göndəriş bahadır, xaricdəki alıcılar arasında populyar olan ödəniş
        xidmətləri isə buradakı satıcılar üçün həmişə əlçatan deyil, ona görə də emalatxanalar öz payını götürən
        vasitəçilərdən asılı qalır. Rəhimovanın hesablamasına görə, xaricdə 60 dollara satılan kəlağayıdan ona
        təxminən 25 dollar qalır. Başqa yerdə maşınla basılmış saxta «Şəki ipəyi» eyni platformalarda üç dəfə ucuz
        qiymətə satılır.

        Bəzi emalatxanalar birgə hərəkət etməyə başlayıb. Onlardan yeddisi kəlağayının Şəkidə əl ilə basıldığını
        təsdiqləyən sadə bir nişan barədə razılığa gəlib və onun qorunan coğrafi ad kimi tanınmasına çalışır.
        Rəhimova deyir ki, bu, kiçik addımdır. Amma onun qeyd etdiyi kimi, nişanla ilk maraqlananlar məhz xaricdəki
        alıcılar olub.
    """),
)

STORIES = [HYDRO_DAM_AZ, GYUMRI_LIBRARY_AZ, SHEKI_SILK_AZ]

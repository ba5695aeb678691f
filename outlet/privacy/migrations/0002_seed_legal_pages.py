"""The privacy policy and terms as a newsroom would first write them, in English and the four other languages.
Staff edit them in the admin afterwards (this runs once: pages that exist are left alone).

[retention_years], [webhook_days] and [export_days] are filled in from settings when the page is shown
(outlet.privacy.views.legal_page), so the periods the page states are always the ones the site applies."""

from django.db import migrations

PRIVACY = {
    "en": (
        "Privacy policy",
        "<p>We are a small independent newsroom, and many of our readers and supporters live where backing independent journalism can carry risk. We collect as little about you as we can, keep it only as long as we must, and never sell it or share it for advertising.</p>"
        "<h2>What we collect</h2><ul>"
        "<li>Your account: your email address, the name you give us (if any), your password (stored only as a secure hash) and the language you read in.</li>"
        "<li>Your membership and gifts: what you chose, amounts, currencies and dates, the name and message you choose to show on a donor wall, and your receipts.</li>"
        "<li>The emails we send you: which message, and when.</li></ul>"
        "<p>We never see or store your card details: you pay on our payment provider's page.</p>"
        "<h2>Why</h2><p>To run your account and membership, to take and thank you for your gifts, to issue the receipts the law requires, and to write to you about them. Nothing else.</p>"
        "<h2>Who processes it for us</h2><ul>"
        "<li>Our payment provider (Stripe) handles your card and keeps its own record of each payment.</li>"
        "<li>Our email service delivers the messages we send you.</li></ul>"
        "<p>Both act only on our instructions.</p>"
        "<h2>If you give anonymously</h2><p>Your name does not appear on the donor wall. Staff outside our finance team see your name and email address only masked, as they do for every donor who did not ask to be named on the wall. Every time someone unmasks them, it is recorded.</p>"
        "<h2>How long we keep it</h2><p>Receipts and the payment records behind them are kept for [retention_years] years, as bookkeeping law requires. After that, names, email addresses and messages on gifts are erased automatically. Payer details in our payment provider's messages to us are removed after [webhook_days] days.</p>"
        "<h2>A copy of your data, or deleting it</h2><p>When signed in, open <em>Your data</em> in your account to download everything we hold about you (the download link works for [export_days] days), or to delete your account. If you gave without an account, every receipt email has a link to have your details erased.</p>"
        "<p>When you delete your account we first stop your membership and monthly gifts at the payment provider, then erase your name, email address and messages everywhere we hold them. What we keep is only what the law requires for our books, without your name: the amounts, currencies and dates of payments, receipt numbers, and how gifts were shared between the newsrooms.</p>"
        "<h2>Questions</h2><p>Reply to any email we have sent you, and a person on our team will answer.</p>",
    ),
    "ka": (
        "კონფიდენციალურობის პოლიტიკა",
        "<p>ჩვენ პატარა დამოუკიდებელი რედაქცია ვართ და ჩვენი ბევრი მკითხველი და მხარდამჭერი იქ ცხოვრობს, სადაც დამოუკიდებელი ჟურნალისტიკის მხარდაჭერა შეიძლება რისკთან იყოს დაკავშირებული. თქვენ შესახებ რაც შეიძლება ნაკლებ ინფორმაციას ვაგროვებთ, მხოლოდ იმდენ ხანს ვინახავთ, რამდენიც აუცილებელია, და არასდროს ვყიდით და არ ვუზიარებთ მას რეკლამისთვის.</p>"
        "<h2>რას ვაგროვებთ</h2><ul>"
        "<li>თქვენს ანგარიშს: ელფოსტის მისამართს, სახელს (თუ მოგვაწოდეთ), პაროლს (ინახება მხოლოდ დაცული ჰეშის სახით) და ენას, რომელზეც კითხულობთ.</li>"
        "<li>თქვენს წევრობასა და შემოწირულობებს: რა აირჩიეთ, თანხებს, ვალუტებსა და თარიღებს, სახელსა და შეტყობინებას, რომლის ჩვენებაც შემომწირველთა სიაში გადაწყვიტეთ, და თქვენს ქვითრებს.</li>"
        "<li>წერილებს, რომლებსაც გიგზავნით: რომელი წერილი და როდის.</li></ul>"
        "<p>თქვენი ბარათის მონაცემებს ვერც ვხედავთ და არც ვინახავთ: იხდით ჩვენი საგადახდო პროვაიდერის გვერდზე.</p>"
        "<h2>რისთვის</h2><p>თქვენი ანგარიშისა და წევრობის სამართავად, შემოწირულობების მისაღებად და მადლობის სათქმელად, კანონით მოთხოვნილი ქვითრების გასაცემად და ამის შესახებ თქვენთვის მოსაწერად. სხვა არაფრისთვის.</p>"
        "<h2>ვინ ამუშავებს მონაცემებს ჩვენი დავალებით</h2><ul>"
        "<li>ჩვენი საგადახდო პროვაიდერი (Stripe) ამუშავებს ბარათით გადახდას და თითოეული გადახდის საკუთარ ჩანაწერს ინახავს.</li>"
        "<li>ჩვენი ელფოსტის სერვისი გაწვდით ჩვენს წერილებს.</li></ul>"
        "<p>ორივე მხოლოდ ჩვენი მითითებით მოქმედებს.</p>"
        "<h2>თუ ანონიმურად სწირავთ</h2><p>თქვენი სახელი შემომწირველთა სიაში არ ჩანს. ფინანსური გუნდის გარდა ჩვენი თანამშრომლები თქვენს სახელსა და ელფოსტას მხოლოდ დაფარული სახით ხედავენ — ისევე, როგორც ყველა შემომწირველისას, ვინც სიაში სახელის ჩვენება არ ითხოვა. ყოველი გახსნა აღირიცხება.</p>"
        "<h2>რამდენ ხანს ვინახავთ</h2><p>ქვითრები და მათ უკან მდგომი გადახდების ჩანაწერები [retention_years] წელი ინახება, როგორც ამას ბუღალტრული აღრიცხვის კანონი მოითხოვს. ამის შემდეგ შემოწირულობებზე სახელები, ელფოსტის მისამართები და შეტყობინებები ავტომატურად იშლება. საგადახდო პროვაიდერის შეტყობინებებიდან გადამხდელის მონაცემები [webhook_days] დღის შემდეგ იშლება.</p>"
        "<h2>თქვენი მონაცემების ასლი ან წაშლა</h2><p>ანგარიშში შესვლის შემდეგ გახსენით განყოფილება „თქვენი მონაცემები“: შეგიძლიათ ჩამოტვირთოთ ყველაფერი, რასაც თქვენ შესახებ ვინახავთ (ჩამოტვირთვის ბმული [export_days] დღე მოქმედებს), ან წაშალოთ ანგარიში. თუ ანგარიშის გარეშე შემოგვწირეთ, ქვითრიან ყოველ წერილში არის ბმული, რომლითაც თქვენი მონაცემების წაშლას მოითხოვთ.</p>"
        "<p>ანგარიშის წაშლისას ჯერ საგადახდო პროვაიდერთან ვაჩერებთ თქვენს წევრობასა და ყოველთვიურ შემოწირულობებს, შემდეგ კი ყველგან ვშლით თქვენს სახელს, ელფოსტის მისამართსა და შეტყობინებებს. ვინახავთ მხოლოდ იმას, რასაც კანონი ჩვენი ბუღალტერიისთვის მოითხოვს, თქვენი სახელის გარეშე: გადახდების თანხებს, ვალუტებსა და თარიღებს, ქვითრების ნომრებს და იმას, თუ როგორ განაწილდა შემოწირულობები რედაქციებს შორის.</p>"
        "<h2>კითხვები</h2><p>უპასუხეთ ჩვენს ნებისმიერ წერილს და ჩვენი გუნდის წევრი გიპასუხებთ.</p>",
    ),
    "hy": (
        "Գաղտնիության քաղաքականություն",
        "<p>Մենք փոքր անկախ խմբագրություն ենք, և մեր ընթերցողներից ու աջակիցներից շատերն ապրում են այնտեղ, որտեղ անկախ լրագրությանն աջակցելը կարող է ռիսկ պարունակել։ Մենք Ձեր մասին հավաքում ենք հնարավորինս քիչ տեղեկություն, պահում ենք այն միայն այնքան, որքան պարտավոր ենք, և երբեք չենք վաճառում կամ տրամադրում գովազդի համար։</p>"
        "<h2>Ինչ ենք հավաքում</h2><ul>"
        "<li>Ձեր հաշիվը՝ էլ. փոստի հասցեն, Ձեր նշած անունը (եթե նշել եք), գաղտնաբառը (պահվում է միայն պաշտպանված հեշի տեսքով) և այն լեզուն, որով կարդում եք։</li>"
        "<li>Ձեր անդամակցությունը և նվիրատվությունները՝ Ձեր ընտրությունը, գումարները, արժույթներն ու ամսաթվերը, այն անունն ու ուղերձը, որոնք որոշել եք ցույց տալ նվիրատուների ցանկում, և Ձեր անդորրագրերը։</li>"
        "<li>Մեր ուղարկած նամակները՝ որ նամակը և երբ։</li></ul>"
        "<p>Ձեր քարտի տվյալները մենք չենք տեսնում և չենք պահում․ Դուք վճարում եք մեր վճարային ծառայության էջում։</p>"
        "<h2>Ինչու</h2><p>Ձեր հաշիվն ու անդամակցությունը վարելու, Ձեր նվիրատվություններն ընդունելու և դրանց համար շնորհակալություն հայտնելու, օրենքով պահանջվող անդորրագրեր տրամադրելու և այդ մասին Ձեզ գրելու համար։ Ուրիշ ոչնչի համար։</p>"
        "<h2>Ով է մշակում տվյալները մեր հանձնարարությամբ</h2><ul>"
        "<li>Մեր վճարային ծառայությունը (Stripe) մշակում է քարտով վճարումը և պահում յուրաքանչյուր վճարման իր գրառումը։</li>"
        "<li>Մեր էլ. փոստի ծառայությունը հասցնում է մեր նամակները Ձեզ։</li></ul>"
        "<p>Երկուսն էլ գործում են միայն մեր ցուցումներով։</p>"
        "<h2>Եթե նվիրաբերում եք անանուն</h2><p>Ձեր անունը նվիրատուների ցանկում չի երևում։ Մեր ֆինանսական թիմից դուրս աշխատակիցները Ձեր անունն ու էլ. հասցեն տեսնում են միայն թաքցված, ինչպես յուրաքանչյուր նվիրատուինը, ով չի խնդրել իր անունը ցույց տալ ցանկում։ Յուրաքանչյուր բացահայտում գրանցվում է։</p>"
        "<h2>Որքան ժամանակ ենք պահում</h2><p>Անդորրագրերը և դրանց հիմքում ընկած վճարումների գրառումները պահվում են [retention_years] տարի, ինչպես պահանջում է հաշվապահական օրենքը։ Դրանից հետո նվիրատվությունների անուններն, էլ. հասցեներն ու ուղերձներն ինքնաշխատ ջնջվում են։ Վճարային ծառայության հաղորդագրություններից վճարողի տվյալները ջնջվում են [webhook_days] օր անց։</p>"
        "<h2>Ձեր տվյալների պատճենը կամ ջնջումը</h2><p>Մուտք գործելով՝ բացեք Ձեր հաշվի «Ձեր տվյալները» բաժինը՝ ներբեռնելու այն ամենը, ինչ պահում ենք Ձեր մասին (ներբեռնման հղումը գործում է [export_days] օր), կամ ջնջելու Ձեր հաշիվը։ Եթե նվիրաբերել եք առանց հաշվի, անդորրագրով յուրաքանչյուր նամակում կա հղում՝ Ձեր տվյալների ջնջումը խնդրելու համար։</p>"
        "<p>Երբ ջնջում եք հաշիվը, մենք նախ վճարային ծառայությունում դադարեցնում ենք Ձեր անդամակցությունն ու ամսական նվիրատվությունները, ապա ջնջում Ձեր անունը, էլ. հասցեն և ուղերձները ամենուր, որտեղ պահում ենք։ Պահում ենք միայն այն, ինչ օրենքը պահանջում է մեր հաշվապահության համար, առանց Ձեր անվան՝ վճարումների գումարները, արժույթներն ու ամսաթվերը, անդորրագրերի համարները և թե ինչպես են նվիրատվությունները բաշխվել խմբագրությունների միջև։</p>"
        "<h2>Հարցեր</h2><p>Պատասխանեք մեր ցանկացած նամակին, և մեր թիմի անդամը կպատասխանի Ձեզ։</p>",
    ),
    "az": (
        "Məxfilik siyasəti",
        "<p>Biz kiçik müstəqil redaksiyayıq və oxucularımızın, dəstəkçilərimizin çoxu müstəqil jurnalistikanı dəstəkləməyin risk daşıya biləcəyi yerlərdə yaşayır. Sizin haqqınızda mümkün qədər az məlumat toplayır, onu yalnız zəruri olduğu müddətcə saxlayır və heç vaxt satmır, reklam üçün başqalarına vermirik.</p>"
        "<h2>Nə toplayırıq</h2><ul>"
        "<li>Hesabınız: e-poçt ünvanınız, bildirdiyiniz ad (əgər bildirmisinizsə), parolunuz (yalnız qorunan heş şəklində saxlanılır) və oxuduğunuz dil.</li>"
        "<li>Üzvlüyünüz və ianələriniz: seçiminiz, məbləğlər, valyutalar və tarixlər, ianəçilər lövhəsində göstərməyi seçdiyiniz ad və mesaj, həmçinin qəbzləriniz.</li>"
        "<li>Sizə göndərdiyimiz məktublar: hansı məktub və nə vaxt.</li></ul>"
        "<p>Kart məlumatlarınızı nə görürük, nə də saxlayırıq: ödənişi ödəniş xidmətimizin səhifəsində edirsiniz.</p>"
        "<h2>Nə üçün</h2><p>Hesabınızı və üzvlüyünüzü idarə etmək, ianələrinizi qəbul edib sizə təşəkkür etmək, qanunun tələb etdiyi qəbzləri vermək və bu barədə sizə yazmaq üçün. Başqa heç nə üçün.</p>"
        "<h2>Məlumatları bizim tapşırığımızla kim emal edir</h2><ul>"
        "<li>Ödəniş xidmətimiz (Stripe) kartla ödənişi emal edir və hər ödənişin öz qeydini saxlayır.</li>"
        "<li>E-poçt xidmətimiz məktublarımızı sizə çatdırır.</li></ul>"
        "<p>Hər ikisi yalnız bizim göstərişlərimizlə fəaliyyət göstərir.</p>"
        "<h2>Anonim ianə etsəniz</h2><p>Adınız ianəçilər lövhəsində görünmür. Maliyyə komandamızdan kənar əməkdaşlar adınızı və e-poçt ünvanınızı yalnız gizlədilmiş şəkildə görür — lövhədə adının göstərilməsini istəməyən hər ianəçinin məlumatları kimi. Hər açılma qeydə alınır.</p>"
        "<h2>Nə qədər saxlayırıq</h2><p>Qəbzlər və onların əsasındakı ödəniş qeydləri mühasibat uçotu qanununun tələb etdiyi kimi [retention_years] il saxlanılır. Bundan sonra ianələrdəki adlar, e-poçt ünvanları və mesajlar avtomatik silinir. Ödəniş xidmətinin bizə göndərdiyi mesajlardan ödəyicinin məlumatları [webhook_days] gündən sonra silinir.</p>"
        "<h2>Məlumatlarınızın surəti və ya silinməsi</h2><p>Hesabınıza daxil olub „Məlumatlarınız“ bölməsini açın: haqqınızda saxladığımız hər şeyi yükləyə (yükləmə keçidi [export_days] gün qüvvədədir) və ya hesabınızı silə bilərsiniz. Hesabsız ianə etmisinizsə, qəbzli hər məktubda məlumatlarınızın silinməsini istəmək üçün keçid var.</p>"
        "<p>Hesabınızı silərkən əvvəlcə ödəniş xidmətində üzvlüyünüzü və aylıq ianələrinizi dayandırır, sonra adınızı, e-poçt ünvanınızı və mesajlarınızı saxladığımız hər yerdən silirik. Yalnız qanunun mühasibatımız üçün tələb etdiyini, adınız olmadan saxlayırıq: ödənişlərin məbləğləri, valyutaları və tarixləri, qəbz nömrələri və ianələrin redaksiyalar arasında necə bölündüyü.</p>"
        "<h2>Suallar</h2><p>Sizə göndərdiyimiz istənilən məktuba cavab yazın, komandamızdan biri cavab verəcək.</p>",
    ),
    "ru": (
        "Политика конфиденциальности",
        "<p>Мы — небольшая независимая редакция, и многие наши читатели и сторонники живут там, где поддержка независимой журналистики может быть небезопасна. Мы собираем о вас как можно меньше, храним это не дольше, чем обязаны, и никогда не продаём и не передаём эти данные для рекламы.</p>"
        "<h2>Что мы собираем</h2><ul>"
        "<li>Ваш аккаунт: адрес электронной почты, имя (если вы его указали), пароль (хранится только в виде защищённого хеша) и язык, на котором вы читаете.</li>"
        "<li>Вашу подписку и пожертвования: что вы выбрали, суммы, валюты и даты, имя и сообщение, которые вы решили показать в списке жертвователей, и ваши квитанции.</li>"
        "<li>Письма, которые мы вам отправляем: какое письмо и когда.</li></ul>"
        "<p>Данные вашей карты мы не видим и не храним: вы платите на странице нашего платёжного сервиса.</p>"
        "<h2>Зачем</h2><p>Чтобы вести ваш аккаунт и подписку, принимать ваши пожертвования и благодарить за них, выдавать квитанции, которых требует закон, и писать вам об этом. Ни для чего больше.</p>"
        "<h2>Кто обрабатывает данные по нашему поручению</h2><ul>"
        "<li>Наш платёжный сервис (Stripe) проводит оплату картой и хранит собственную запись о каждом платеже.</li>"
        "<li>Наш почтовый сервис доставляет вам наши письма.</li></ul>"
        "<p>Оба действуют только по нашим указаниям.</p>"
        "<h2>Если вы жертвуете анонимно</h2><p>Ваше имя не появляется в списке жертвователей. Сотрудники вне финансовой службы видят ваши имя и адрес только в скрытом виде — как и у всех, кто не просил указать своё имя в списке. Каждое раскрытие записывается.</p>"
        "<h2>Как долго мы храним данные</h2><p>Квитанции и записи о платежах хранятся столько, сколько требует закон о бухгалтерском учёте (лет: [retention_years]). После этого имена, адреса электронной почты и сообщения в пожертвованиях удаляются автоматически. Из сообщений платёжного сервиса данные плательщика удаляются спустя [webhook_days] дн.</p>"
        "<h2>Копия ваших данных или их удаление</h2><p>Войдите в аккаунт и откройте раздел «Ваши данные»: там можно скачать всё, что мы о вас храним (ссылка на скачивание действует [export_days] дн.), или удалить аккаунт. Если вы жертвовали без аккаунта, в каждом письме с квитанцией есть ссылка, по которой можно попросить стереть ваши данные.</p>"
        "<p>Когда вы удаляете аккаунт, мы сначала останавливаем вашу подписку и ежемесячные пожертвования в платёжном сервисе, а затем стираем ваше имя, адрес электронной почты и сообщения везде, где они хранятся. Остаётся только то, чего закон требует для нашей бухгалтерии, без вашего имени: суммы, валюты и даты платежей, номера квитанций и то, как пожертвования распределились между редакциями.</p>"
        "<h2>Вопросы</h2><p>Ответьте на любое наше письмо — вам ответит человек из нашей команды.</p>",
    ),
}

TERMS = {
    "en": (
        "Terms of use",
        "<p>These terms apply when you read our site, create an account, become a member or give to a fundraiser.</p>"
        "<h2>Our stories</h2><p>Our stories belong to us or to the reporters who wrote them. Quote them with a link; do not republish them whole without our permission.</p>"
        "<h2>Membership</h2><p>A membership renews every month or year until you cancel it. You can cancel at any time from your account and keep access until the end of the period you paid for. Payments already made are not refunded, except where the law requires it or we agree otherwise with you.</p>"
        "<h2>Gifts</h2><p>A gift to a fundraiser is shared between the newsrooms it supports as its page shows, after the payment provider's fee. You can change or stop a monthly gift at any time from your account or the link in its receipt email.</p>"
        "<h2>Your account</h2><p>Keep your password to yourself. We may close an account used to abuse the site or its readers.</p>"
        "<h2>Your data</h2><p>How we handle your data is set out in our privacy policy.</p>"
        "<h2>Changes</h2><p>When we change these terms, the date at the top of this page changes with them.</p>",
    ),
    "ka": (
        "გამოყენების პირობები",
        "<p>ეს პირობები მოქმედებს, როცა ჩვენს საიტს კითხულობთ, ანგარიშს ქმნით, წევრი ხდებით ან კამპანიას სწირავთ.</p>"
        "<h2>ჩვენი მასალები</h2><p>ჩვენი მასალები ჩვენ ან მათ ავტორ ჟურნალისტებს ეკუთვნის. ციტირებისას მიუთითეთ ბმული; სრულად ხელახლა გამოქვეყნება ჩვენი ნებართვის გარეშე არ შეიძლება.</p>"
        "<h2>წევრობა</h2><p>წევრობა ყოველთვიურად ან ყოველწლიურად განახლდება, სანამ არ გააუქმებთ. გაუქმება ნებისმიერ დროს შეგიძლიათ ანგარიშიდან და წვდომა გადახდილი პერიოდის ბოლომდე შეგრჩებათ. უკვე გადახდილი თანხა არ ბრუნდება, გარდა იმ შემთხვევისა, როცა ამას კანონი მოითხოვს ან თქვენთან სხვაგვარად შევთანხმდით.</p>"
        "<h2>შემოწირულობები</h2><p>კამპანიისთვის გაღებული შემოწირულობა, საგადახდო პროვაიდერის საკომისიოს გამოკლებით, ნაწილდება რედაქციებს შორის, როგორც ეს კამპანიის გვერდზეა ნაჩვენები. ყოველთვიური შემოწირულობის შეცვლა ან შეწყვეტა ნებისმიერ დროს შეგიძლიათ ანგარიშიდან ან ქვითრიანი წერილის ბმულით.</p>"
        "<h2>თქვენი ანგარიში</h2><p>პაროლი არავის გაუზიაროთ. შეიძლება დავხუროთ ანგარიში, რომელიც საიტის ან მისი მკითხველების საზიანოდ გამოიყენება.</p>"
        "<h2>თქვენი მონაცემები</h2><p>როგორ ვეპყრობით თქვენს მონაცემებს, აღწერილია ჩვენს კონფიდენციალურობის პოლიტიკაში.</p>"
        "<h2>ცვლილებები</h2><p>პირობების შეცვლისას იცვლება ამ გვერდის თავში მითითებული თარიღიც.</p>",
    ),
    "hy": (
        "Օգտագործման պայմաններ",
        "<p>Այս պայմանները գործում են, երբ կարդում եք մեր կայքը, ստեղծում եք հաշիվ, դառնում եք անդամ կամ նվիրաբերում եք դրամահավաքին։</p>"
        "<h2>Մեր նյութերը</h2><p>Մեր նյութերը պատկանում են մեզ կամ դրանք գրած լրագրողներին։ Մեջբերեք դրանք հղումով․ առանց մեր թույլտվության ամբողջությամբ վերահրապարակել չի կարելի։</p>"
        "<h2>Անդամակցություն</h2><p>Անդամակցությունը երկարաձգվում է ամեն ամիս կամ ամեն տարի, մինչև այն չեղարկեք։ Կարող եք չեղարկել ցանկացած պահի Ձեր հաշվից և մուտքը կպահպանվի մինչև վճարված ժամանակահատվածի ավարտը։ Արդեն կատարված վճարումները չեն վերադարձվում, բացառությամբ օրենքով պահանջվող կամ Ձեզ հետ այլ կերպ համաձայնեցված դեպքերի։</p>"
        "<h2>Նվիրատվություններ</h2><p>Դրամահավաքին արված նվիրատվությունը, վճարային ծառայության միջնորդավճարը հանելուց հետո, բաշխվում է խմբագրությունների միջև այնպես, ինչպես ցույց է տրված դրամահավաքի էջում։ Ամսական նվիրատվությունը կարող եք փոխել կամ դադարեցնել ցանկացած պահի Ձեր հաշվից կամ անդորրագրով նամակի հղումով։</p>"
        "<h2>Ձեր հաշիվը</h2><p>Գաղտնաբառը ոչ մեկին մի փոխանցեք։ Մենք կարող ենք փակել հաշիվը, որն օգտագործվում է կայքին կամ նրա ընթերցողներին վնասելու համար։</p>"
        "<h2>Ձեր տվյալները</h2><p>Թե ինչպես ենք վարվում Ձեր տվյալների հետ, նկարագրված է մեր գաղտնիության քաղաքականության մեջ։</p>"
        "<h2>Փոփոխություններ</h2><p>Պայմանները փոխելիս փոխվում է նաև այս էջի վերևում նշված ամսաթիվը։</p>",
    ),
    "az": (
        "İstifadə şərtləri",
        "<p>Bu şərtlər saytımızı oxuduqda, hesab yaratdıqda, üzv olduqda və ya kampaniyaya ianə etdikdə qüvvədədir.</p>"
        "<h2>Materiallarımız</h2><p>Materiallarımız bizə və ya onları yazan jurnalistlərə məxsusdur. Keçid göstərməklə sitat gətirin; icazəmiz olmadan tam şəkildə yenidən dərc etmək olmaz.</p>"
        "<h2>Üzvlük</h2><p>Üzvlük siz ləğv edənə qədər hər ay və ya hər il yenilənir. İstənilən vaxt hesabınızdan ləğv edə bilərsiniz və ödədiyiniz dövrün sonunadək girişiniz qalır. Artıq edilmiş ödənişlər qaytarılmır, qanunun tələb etdiyi və ya sizinlə başqa cür razılaşdığımız hallar istisna olmaqla.</p>"
        "<h2>İanələr</h2><p>Kampaniyaya edilən ianə ödəniş xidmətinin haqqı çıxıldıqdan sonra kampaniya səhifəsində göstərildiyi kimi redaksiyalar arasında bölünür. Aylıq ianəni istənilən vaxt hesabınızdan və ya qəbzli məktubdakı keçidlə dəyişə və ya dayandıra bilərsiniz.</p>"
        "<h2>Hesabınız</h2><p>Parolunuzu heç kimə verməyin. Sayta və ya onun oxucularına zərər vermək üçün istifadə olunan hesabı bağlaya bilərik.</p>"
        "<h2>Məlumatlarınız</h2><p>Məlumatlarınızla necə davrandığımız məxfilik siyasətimizdə izah olunur.</p>"
        "<h2>Dəyişikliklər</h2><p>Şərtləri dəyişdikdə bu səhifənin yuxarısındakı tarix də dəyişir.</p>",
    ),
    "ru": (
        "Условия использования",
        "<p>Эти условия действуют, когда вы читаете наш сайт, создаёте аккаунт, оформляете подписку или делаете пожертвование в сбор.</p>"
        "<h2>Наши материалы</h2><p>Наши материалы принадлежат нам или написавшим их журналистам. Цитируйте их со ссылкой; полностью перепечатывать без нашего разрешения нельзя.</p>"
        "<h2>Подписка</h2><p>Подписка продлевается каждый месяц или год, пока вы её не отмените. Отменить её можно в любой момент в аккаунте, доступ сохранится до конца оплаченного периода. Уже сделанные платежи не возвращаются, кроме случаев, когда этого требует закон или мы договорились с вами иначе.</p>"
        "<h2>Пожертвования</h2><p>Пожертвование в сбор за вычетом комиссии платёжного сервиса распределяется между редакциями так, как показано на странице сбора. Ежемесячное пожертвование можно изменить или остановить в любой момент в аккаунте или по ссылке из письма с квитанцией.</p>"
        "<h2>Ваш аккаунт</h2><p>Никому не сообщайте свой пароль. Мы можем закрыть аккаунт, который используют во вред сайту или его читателям.</p>"
        "<h2>Ваши данные</h2><p>Как мы обращаемся с вашими данными, описано в нашей политике конфиденциальности.</p>"
        "<h2>Изменения</h2><p>Когда мы меняем эти условия, меняется и дата в начале этой страницы.</p>",
    ),
}


def seed(apps, schema_editor):
    LegalPage = apps.get_model("privacy", "LegalPage")
    for kind, texts in (("privacy", PRIVACY), ("terms", TERMS)):
        if LegalPage.objects.filter(kind=kind).exists():
            continue
        fields = {"kind": kind, "title": texts["en"][0], "body": texts["en"][1]}
        for code, (title, body) in texts.items():
            fields[f"title_{code}"] = title
            fields[f"body_{code}"] = body
        LegalPage.objects.create(**fields)


def unseed(apps, schema_editor):
    apps.get_model("privacy", "LegalPage").objects.filter(kind__in=["privacy", "terms"]).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

"""The touchpoint vocabulary: the codes (`TOUCHPOINTS`, in the order every touchpoint
output and head row uses), their names for people (`NAMES`), the descriptions embedded as
their prototypes (`DESCRIPTIONS`) and the lexicon patterns (`LEXICON`). Data only; the
detection that reads it is `models.touchpoints`.
"""

from __future__ import annotations

TOUCHPOINTS: tuple[str, ...] = (
    "booking",
    "check_in",
    "room",
    "cleanliness",
    "noise",
    "bathroom",
    "staff",
    "breakfast",
    "bar",
    "meetings_events",
    "spa",
    "location",
    "wifi",
    "value",
    "billing",
)

#: code -> (English name, German name), for people.
NAMES: dict[str, tuple[str, str]] = {
    "booking": ("booking and pre-arrival", "Buchung und Anreisevorbereitung"),
    "check_in": ("arrival and check-in", "Ankunft und Check-in"),
    "room": ("room", "Zimmer"),
    "cleanliness": ("cleanliness", "Sauberkeit"),
    "noise": ("sleep and noise", "Schlaf und Lärm"),
    "bathroom": ("bathroom", "Bad"),
    "staff": ("staff and service", "Personal und Service"),
    "breakfast": ("breakfast and restaurant", "Frühstück und Restaurant"),
    "bar": ("bar", "Bar"),
    "meetings_events": ("meetings and events", "Tagungen und Veranstaltungen"),
    "spa": ("spa and leisure", "Wellness und Freizeit"),
    "location": ("location and parking", "Lage und Parken"),
    "wifi": ("Wi-Fi and technology", "WLAN und Technik"),
    "value": ("value for money", "Preis-Leistung"),
    "billing": ("billing and check-out", "Rechnung und Check-out"),
}

#: Descriptions embedded as the touchpoints' prototypes (several phrasings, both languages).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "booking": (
        "booking the hotel online, the reservation and the confirmation email",
        "Buchung und Reservierung des Hotels, die Buchungsbestätigung per E-Mail",
        "contact with the hotel before arrival about our reservation",
    ),
    "check_in": (
        "arrival at the hotel and checking in at the reception desk",
        "Ankunft im Hotel und Check-in an der Rezeption, Warten auf den Zimmerschlüssel",
        "the welcome when we arrived and got our key cards",
    ),
    "room": (
        "the hotel room: its size, the bed, the furniture, the view, air conditioning",
        "das Hotelzimmer: Größe, Bett, Einrichtung, Aussicht, Klimaanlage und Heizung",
        "our room was spacious and the bed comfortable",
    ),
    "cleanliness": (
        "how clean the room was, dirt, dust, hair, housekeeping cleaning the room",
        "Sauberkeit, Schmutz, Staub und Haare, die Zimmerreinigung durch das Housekeeping",
        "the room was dirty and had not been cleaned",
    ),
    "noise": (
        "noise at night, thin walls, traffic and neighbours, we could not sleep",
        "Lärm in der Nacht, hellhörige Wände, Straßenlärm, wir konnten nicht schlafen",
        "a quiet room where we slept well",
    ),
    "bathroom": (
        "the bathroom: shower, water pressure, hot water, toilet, bathtub",
        "das Badezimmer: Dusche, Wasserdruck, warmes Wasser, Toilette, Badewanne",
    ),
    "staff": (
        "the staff were friendly and helpful, excellent service",
        "das Personal war freundlich und hilfsbereit, der Service war aufmerksam",
        "the employee at the front desk was rude",
    ),
    "breakfast": (
        "the breakfast buffet, the restaurant, dinner and the food",
        "das Frühstücksbuffet, das Restaurant, das Abendessen und die Speisen",
        "coffee, bread and eggs at breakfast",
    ),
    "bar": (
        "drinks and cocktails at the hotel bar, the barkeeper",
        "Getränke und Cocktails an der Hotelbar, der Barkeeper",
    ),
    "meetings_events": (
        "the conference room, the meeting, seminar and event organisation and catering",
        "der Tagungsraum, die Konferenz, das Seminar, die Veranstaltung und das Catering",
        "the projector and technology in the meeting room, the wedding party",
    ),
    "spa": (
        "the spa, the pool, the sauna, the gym and massages",
        "der Wellnessbereich, das Schwimmbad, die Sauna, der Fitnessraum und Massagen",
    ),
    "location": (
        "the location of the hotel, distance to the station and city centre, parking",
        "die Lage des Hotels, Entfernung zum Bahnhof und zur Innenstadt, Parkplatz, Tiefgarage",
    ),
    "wifi": (
        "the wifi and internet connection, streaming on the TV, charging sockets",
        "das WLAN und die Internetverbindung, Streaming, Steckdosen zum Laden",
    ),
    "value": (
        "the price and value for money, too expensive or worth it",
        "der Preis und das Preis-Leistungs-Verhältnis, zu teuer oder sein Geld wert",
    ),
    "billing": (
        "the invoice and the bill at check-out, wrong charges, the deposit and payment",
        "die Rechnung beim Check-out, falsche Abbuchungen, die Kaution und die Bezahlung",
    ),
}

# (touchpoint, regex), all matched case-insensitively. German: stems inside words (`\b\w*stem\w*`),
# because German builds compounds ("Mikrofonanlage", "Lieferverkehr"); English: whole words or
# word starts. The English patterns also run on German text, so an English word that is German
# too ("bar" = cash, "Bad" = bathroom, "Chef" = boss) needs a guard. Lookbehinds keep stems out
# of words they sit in by accident: "wunderbar", "Rückbuchung", "eventuell", "Speisesaal".
LEXICON: list[tuple[str, str]] = [
    # booking and pre-arrival
    (
        "booking",
        r"\b\w*(?:(?<!ab)(?<!rück)buchung|gebucht|stornier|storno|bestätigungsmail|anzahlung|(?<!tisch)reservierung|vorauszahlung|vorkasse|webseite|website|homepage|internetseite|buchungsportal)\w*",
    ),
    (
        "booking",
        r"\b(?:booked|booking|reservations?|cancell?ation|cancell?ed|confirmation e?-?mail|pre-?arrival|pre-?stay|pre-?paid|non-?refundable|no-?show)\b",
    ),
    (
        "booking",
        r"\b(?:booking\.com|expedia|hotels\.com|agoda|travel agen\w*|web ?site|(?:hotel'?s|their) (?:own )?site|vor der (?:an)?reise|vor unserer (?:an)?reise|before (?:our )?(?:arrival|stay|trip)|e-?mailed|(?:rang|called|phoned|e-?mailed|wrote) ahead|auf meine (?:e-?)?mail|per (?:e-?)?mail)\b",
    ),
    (
        "booking",
        r"\b(?:(?:booked|reserved|paid|chose|selected|amend\w*|chang\w*|cancel\w*)\s(?:\S+\s){0,6}online|online (?:booking|reservation|form)|reserved (?:(?:a|an|the|our|my)\s)?(?:\S+\s){0,2}(?:rooms?|suite|double|twin|single|king))\b",
    ),
    ("booking", r"\bzimmer\w* (?:\S+ ){0,4}(?:reserviert|gebucht)\b"),
    # arrival and check-in ("when we arrived" alone is only the time of what follows)
    (
        "check_in",
        r"\b\w*(?:check-?in(?!g)|einchecken|eingecheckt|schlüsselkarte|zimmerkarte|begrüß|willkommen|meldeschein)\w*",
    ),
    (
        "check_in",
        r"\b(?:check(?:ed|ing)? (?:us |me )?in|checking in|key ?cards?|(?:room|our|my) keys?|welcome\w*|on arrival|upon arrival|at arrival|arrived at the hotel|lobby(?! ?bar)|not ready|noch nicht fertig|bei (?:der|unserer) (?:ankunft|anreise)|anmeldung|(?<!handy)empfang)\b",
    ),
    (
        "check_in",
        r"\b(?:(?:queu\w*|wait\w*|stood|standing|stand|standen|warte\w*|anstehen|angestanden)\s(?:\S+\s){0,3}(?:at|an|am) (?:the |der )?(?:front desk|reception|check-?in|rezeption|empfang|schalter)|(?:had|have|there was) no record|(?:couldn'?t|could not|did not|didn'?t) find (?:our|my|the) (?:names?|reservation|booking|record))\b",
    ),
    # the room itself (the word "room" alone is not enough: it is everywhere)
    (
        "room",
        r"\b\w*(?:bett(?!wäsche|wanze|ensteuer)|matratze|kissen|klimaanlage|heizung|balkon|aussicht|minibar|fernseher|kleiderschrank|seeblick|meerblick|bergblick|stadtblick|gartenblick|möbel|zimmergröße|zimmerausstattung|suite|doppelzimmer|einzelzimmer|familienzimmer|standardzimmer)\w*",
    ),
    ("room", r"\bzimmer (?:war|waren|ist|sind|selbst|wirkte|wirkten|hatte|hatten)\b"),
    (
        "room",
        r"\b(?:groß|klein|geräumig|modern|schön|gemütlich|hell|dunkel|renoviert|alt|eng|winzig|riesig)\w*\s+zimmer\b",
    ),
    (
        "room",
        r"\b(?:beds?|mattress\w*|pillows?|air ?con\w*|heating|balcon\w*|view|minibar|furniture|wardrobe|tv|television|(?<!function )(?<!banqueting )(?<!conference )(?<!meeting )suite|comfy|decor|headboard|two singles|(?:twin|double|single|king|queen|triple|family|interconnecting|connecting|standard|superior|deluxe)(?:[- ]bed(?:ded)?)? rooms?)\b",
    ),
    (
        "room",
        r"\b(?<!conference )(?<!meeting )(?<!function )(?<!steam )(?<!treatment )(?<!breakout )(?<!training )(?<!dining )(?<!breakfast )rooms? (?:was|were|is|are|itself|felt|looked|had|size)\b",
    ),
    (
        "room",
        r"\b(?:spacious|small|tiny|large|big|cosy|cozy|comfortable|modern|dated|old|stylish|cramped|huge|bright|dark)\s+(?:\w+\s+)?rooms?\b",
    ),
    # cleanliness and housekeeping
    (
        "cleanliness",
        r"\b\w*(?:sauber|schmutz|dreck|staub|haare|fleck|gereinigt|reinigung|geputzt|zimmermädchen|housekeeping|hygien|ekel|eklig|schimmel|muffig|geruch|gestunken|kalk|klebrig|klebte|verklebt|krümel|fettig|schmierig|verschmiert|fingerabdr|spinnwe|wollmäuse|wollmaus|müll(?!abfuhr|wagen)|ungeziefer|kakerlake|ameise|bettwanze|silberfisch|lippenstift|essensreste|aschenbecher|widerlich|versifft|blitzblank|picobello|vorgänger|vormieter)\w*",
    ),
    (
        "cleanliness",
        r"\b(?:roch|stank|nicht gemacht|benutzte|(?:sichtbar|schon|bereits|offensichtlich|noch|deutlich) benutzt|nicht (?:geleert|gewechselt|gesaugt|gewischt)|(?:kaffee|wasser|trink)r[aä]nd\w*|tote (?:fliegen|insekten|mücken|käfer))\b",
    ),
    (
        "cleanliness",
        r"\b(?:clean\w*|dirt\w*|dust\w*|filth\w*|stain\w*|hairs?|housekeep\w*|maids?|hygien\w*|spotless|grubby|grimy|disgusting|mou?ld\w*|smell\w*|stank|stink\w*|musty|limescale|not (?:been )?made up|used towels|cloudy|sticky|crumbs?|greasy|grease|smear\w*|smudge\w*|finger ?(?:prints?|marks?)|cobwebs?|spider ?webs?|lipstick|cockroach\w*|roach(?:es)?|bed ?bugs?|ants|insects?|droppings|dead (?:fly|flies|insects?|bugs?)|hoover\w*|vacuum\w*|gleaming|immaculate|pristine|someone else'?s|(?:previous|last) (?:guests?|occupants?)|used (?:cotton|tissues?|glass\w*|cups?|mugs?)|(?:hadn'?t|had not|wasn'?t|was not|weren'?t|were not|never) (?:been )?(?:changed|emptied|wiped|hoovered|vacuumed|swept|mopped))\b",
    ),
    (
        "cleanliness",
        r"\b(?:bins?|rubbish|trash|garbage|waste ?(?:paper )?baskets?)\s(?:\S+\s){0,3}(?:emptied|overflowing)\b",
    ),
    # sleep and noise
    (
        "noise",
        r"\b\w*(?:lärm|laut(?!sprecher| (?:internetseite|homepage|website|webseite|beschreibung|buchung|buchungsbestätigung|angabe|aussage|prospekt|katalog|bestätigung|rezeption|hotel)\b)|hellhörig|ruhig|geräusch|geschlafen|schlafen|schlaflos|nachtruhe|ohrstöpsel|ohropax|oropax|krach|gerumpelt|rumpel|baustelle|geweckt|aufgewacht|aufgeweckt|wachgehalten|wachgeklingelt|dröhn|wummer|gegrölt|gröl|geschrei|geschrien|getrampel|trampel|gepolter|polter|geknallt|knallt|hupkonzert|gehupe|müllabfuhr|lieferverkehr|lieferwagen|anlieferung|glocken|diskothek|nachtclub|nebenzimmer|nachbar(?!schaft|ort|dorf|stadt|gemeinde|land)|gebrummt|brummen|brummt)\w*",
    ),
    (
        "noise",
        r"\b(?:auge zu(?:gemacht|getan)|die ganze nacht|(?:die )?halbe nacht|mitten in der nacht|tief in die nacht|dünne wände|jedes (?:wort|gespräch)|schlaf|ruhe|wach|mucks|(?<!kids )(?<!golf )club(?! ?sandwich)|disko|disco|diskos|discos|bass|knall|(?:zu hören|hört man|hörte man|man hört|mitgehört|mithören)|wände (?:\S+ ){0,3}(?:dünn|pappe|papier))\b",
    ),
    (
        "noise",
        r"\b(?:nois\w*|loud\w*|quiet\w*|thin walls?|sleep\w*|slept|earplugs?|party next door|snor\w*|could hear|all night|restless|woke|woken|wak(?:e|es|ing)(?![- ]up call)|awake|kept (?:us|me|everyone|the \w+) (?:up|awake)|construction|drilling|roadworks|building work|rattl\w*|banging|blaring|blasting|booming|thump\w*|throbb\w*|bass|shout\w*|yell\w*|scream\w*|shriek\w*|squeal\w*|crying|slamm\w*|stomp\w*|footsteps|beep\w*|honk\w*|sirens?|(?:church )?bells|chim(?:e|es|ing)|night ?clubs?|disco(?:s|theques?)?|hen (?:party|do)|stag (?:party|do)|lorr(?:y|ies)|(?:delivery|bin) (?:trucks?|vans?)|garbage trucks?|planes?|aircraft|flight ?path|peaceful|tranquil|not a (?:peep|sound)|never heard a|heard (?:every|everything|them|it all)|(?:every|each) word|neighbou?rs?'?|through the walls?|walls (?:\S+ ){0,3}(?:thin|cardboard|paper)|paper-?thin|cardboard|(?:room|people|couple|guests|family|kids|man|woman) (?:next door|upstairs|above|below)|music (?:\S+ ){0,4}(?:until|till|past|all night|through))\b",
    ),
    # bathroom ("Bad" only as a German noun: "im Bad", "das Bad war"; not "bad luck", "Bad Kissingen")
    (
        "bathroom",
        r"\b\w*(?:badezimmer|dusch|toilette|wc\b|waschbecken|wasserdruck|warmwasser|warmes wasser|abfluss|armatur|föhn|badewanne)\w*",
    ),
    (
        "bathroom",
        r"\b(?:(?:das|im|ins|vom|zum|dem|ein|eigenes|eigenen|kleines|kleinen|großes|großen|neues|neuen|modernes|modernen|renoviertes|sauberes|schönes|winziges|enges|separates|privates)\s+bad|bad(?= (?:war|ist|hatte|hat|und|mit|wirkte|wurde)\b)|bäder|bad(?:tür|spiegel|lüfter|lüftung|fenster|möbel|matte|vorleger|ausstattung|boden|fliesen|decke)\w*)\b",
    ),
    (
        "bathroom",
        r"\b(?:bathroom|shower\w*|toilet\w*|bath\b|bathtub|sink|basin|water pressure|hot water|drain|hair ?dryer|taps?|extractor fan)\b",
    ),
    # staff and service
    (
        "staff",
        r"\b\w*(?:personal|mitarbeiter|angestellte|freundlich|hilfsbereit|unfreundlich|rezeptionist|kellner|concierge|(?<!fern)bedienung|barkeeper|masseur|portier|servicekraft|servicepersonal|hausdame|höflich|desinteressiert|uninteressiert|gleichgültig|genervt|patzig|pampig|schnippisch|herablassend|arrogant|zuvorkommend|mürrisch|überfordert|unterbesetzt|personalmangel|schulterzuck|achselzuck|augenroll|entschuldigt|zuständig|empfangschef|gastgeber)\w*",
    ),
    (
        "staff",
        r"\b(?:(?<!zimmer)service war|guter service|schlechter service|die dame|der herr|der junge mann|die junge frau|(?:die|der) rezeption (?:hat|hatte|war|wirkte|reagierte|konnte|wollte|meinte|sagte)|(?:niemand|keiner|jemand) (?:\S+ ){0,3}(?:bemerkt|beachtet|gekümmert|reagiert)|(?:wie|als) \w+ behandelt|mit den augen gerollt|augen verdreht|ignoriert|chef des hauses|techniker|team (?:an|am|der|im|vom) )",
    ),
    (
        "staff",
        r"\b(?:staff|employees?|friendly|unfriendly|helpful|unhelpful|rude|polite|receptionist|waiter|waitress|concierge|manager|host|hostess|bartender|barman|porter|doorman|housekeeper|therapist|bellboy|bellhop|valet|desk clerk|clerk|indifferent|uninterested|disinterested|dismissive|condescending|patroni[sz]\w*|arrogant|grumpy|surly|sullen|snapp(?:ed|y|ish)|sighed|shrugg?\w*|rolled (?:his|her|their) eyes|eye-?roll\w*|couldn'?t care less|out of (?:their|his|her) depth|overwhelmed|understaffed|short-?staffed|clueless|incompetent|coordinator|technician|behind the bar|apologi[sz]\w*|apology|accommodating|attentive|courteous|discourteous|(?:un)?professional|went out of (?:their|his|her|our) way|an inconvenience|on duty)\b",
    ),
    (
        "staff",
        r"\b(?:(?<!room )service (?:was|is|were|team)|(?:excellent|great|poor|slow|friendly|attentive|terrible|bad|good|outstanding) service|the (?:lady|guy|girl|man|woman|person|chap|young man|young woman) (?:at|on|from|behind)|(?:front desk|reception) (?:\S+ ){0,2}(?:was|were|seemed|kept|snapped|said|told|refused|ignored|couldn'?t|didn'?t|wouldn'?t)|(?:nobody|no one|no-one) (?:\S+ ){0,3}(?:came|helped|cared|took|bothered|seemed|apologi[sz]ed)|(?:everyone|everybody|anyone) we (?:dealt with|spoke to|met|asked)|(?:our|the|a) server (?:at|was|were)|team (?:were|was|are|is)\b)",
    ),
    (
        "staff",
        r"(?<![-\w])(?<!room )(?<!shuttle )(?<!laundry )(?<!turndown )(?<!bus )(?<!train )(?<!ferry )service\s(?:\S+\s){1,3}(?:was|were|is|war|waren|kam|ist)\b",
    ),
    ("staff", r"\b(?:herrn?|frau|mr|mrs|ms)\.? [A-ZÄÖÜ]\w+"),
    ("staff", r"(?-i:\b[A-Z][a-z]+, who\b)"),
    ("staff", r"(?-i:\b(?:[Aa]n|[Vv]on|[Bb]ei|[Mm]it|[Dd]ank|[Ff]ür) [A-Z][a-z]+, (?:der|die)\b)"),
    # breakfast and restaurant
    (
        "breakfast",
        r"\b\w*(?:frühstück|restaurant|abendessen|mittagessen|speisekarte|speisesaal|buffet|büfett|brötchen|zimmerservice|vorspeise|hauptgericht|nachspeise|rührei|spiegelei|kellner)\w*",
    ),
    ("breakfast", r"\b(?:essen|speisen|kaffee|koch|köchin|küche|room ?service|menü|menüs)\b"),
    (
        "breakfast",
        r"\b(?:breakfast\w*|restaurant\w*|(?<!gala-)(?<!gala )(?<!awards )(?<!wedding )dinner|lunch|food|meals?|buffet|coffee(?! breaks?)|eggs|menu|chef(?! (?:des|der|vom|von)\b)|kitchen|room service|dining|waiter|waitress|portions?)\b",
    ),
    # bar ("-bar" is also an adjective ending: "wunderbar", "erreichbar"; "bar bezahlt" is cash)
    (
        "bar",
        r"\b(?:\w*(?:hotel|lobby|cocktail|wein|piano|sekt|pool|strand|dach|rooftop|sky|kamin|haus|lounge|whisky|gin|champagner|terrassen|bier|tapas)-?bar(?:s|en)?|bar(?:keeper\w*|mann|frau|hocker\w*|theke\w*|tresen|bereich\w*|karte\w*|personal|team|chef\w*|tender\w*))\b",
    ),
    ("bar", r"\b(?:\w*cocktail\w*|hotelbar|getränke|aperol|gin|bier|wein)\b"),
    (
        "bar",
        r"\b(?<!mini)(?<!in )(?:bar(?! (?:\w+ )?(?:bezahl|zahl|gezahlt|kassier|abkassier|abgerechnet))|bars|bartender|barman|cocktails?|(?<!welcome )drinks?(?! reception)|beers?|wine|gin|lobby bar|happy hour)\b",
    ),
    # meetings and events
    (
        "meetings_events",
        r"\b\w*(?:tagung|konferenz|seminar|meeting|veranstaltung|hochzeit|catering|beamer|kongress|workshop|(?<!ge)messe(?!r)|teilnehmer|plenum|(?<!pr)event(?!u)|mikrofon|tonanlage|tontechnik|beschallung|lautsprecher|musikanlage|(?<!speise)(?<!frühstücks)saal|säle|bestuhlung|sitzordnung|flipchart|moderationskoffer|pinnwand|pinnwände|leinwand|rednerpult|podium|bühne|vortr[aä]g|referent|präsentation|namensschild|besprechungsraum|kaffeepause|bankett|gala(?=\b|-|abend|dinner)|brautpaar|trauung|(?<!zei)(?<!t)taufe|jubiläum|schulung|tischdeko|sektempfang|stehempfang)\w*",
    ),
    ("meetings_events", r"\b(?:event|events|\w+feier)\b"),
    (
        "meetings_events",
        r"\b(?:conference\w*|meeting\w*|seminar\w*|events?|wedding\w*|catering|projector|banquet\w*|congress|workshop|trade fair|convention|boardroom|breakout|delegates?|video-?conferenc\w*|plenary|microphones?|mics?|lapel|lectern|podium|keynote|flip ?charts?|whiteboards?|clicker|presentations?|(?:pa|sound|audio|av|audio-?visual) (?:system|equipment|set-?up|technician)s?|av technician|function (?:room|hall|suite|space)s?|ballroom|venue|attendees|registration desk|name badges?|lanyards?|seating plan|top table|table plan|first dance|bride|groom|bridal|christening|baptism|gala|awards (?:dinner|night|ceremony)|coffee breaks?|canap\w*|drinks reception|hybrid (?:set-?up|meeting|event)|training (?:room|day|session)s?|dj'?s?|(?:birthday|anniversary|christmas|office|leaving|retirement|engagement) part(?:y|ies))\b",
    ),
    # spa and leisure
    (
        "spa",
        r"\b\w*(?:wellness|sauna|pool|schwimmbad|hallenbad|fitness|massage|masseur|whirlpool|dampfbad)\w*",
    ),
    (
        "spa",
        r"\b(?:spa|sauna|pool|swimming|gym|fitness|massages?|masseuse|jacuzzi|hot tub|steam room|wellness|treatment)\b",
    ),
    # location and parking
    (
        "location",
        r"\b\w*(?:(?<!an)lage\b|parkplatz|parkplätze|parken|parkmöglichkeit|parkgebühr|parkhaus|garage|bahnhof|innenstadt|haltestelle|u-bahn|s-bahn|straßenbahn|fußläufig|gegend|umgebung|hauptstraße|(?<!fitness)(?<!tagungs)(?<!konferenz)(?<!kongress)(?<!wellness)(?<!business)(?<!seminar)zentrum|altstadt|stadtmitte|ortskern|flughafen|einflugschneise|fluglärm|verkehrsmittel|nahverkehr|anbindung|gewerbegebiet|industriegebiet|autobahn|ladesäule|busfahrt|busverbindung|buslinie|taxi|ausgeschildert)\w*",
    ),
    (
        "location",
        r"\b(?:liegt (?:\w+ )?(?:zentral|ruhig|direkt|nahe?|perfekt|ideal|günstig)|in der nähe|viertel|bus|busse|zu fuß|öpnv|kirch(?:e|en|turm|platz)|(?:gut|bequem|leicht|schnell|schlecht|kaum|öffentlich|minuten)\s(?:\S+\s)?erreichbar|abgelegen|weit ab|ab vom schuss|außerhalb|bergauf|navi|autos?)\b",
    ),
    (
        "location",
        r"\b(?:location|located|parking|car park|garage|station|city cent\w*|downtown|walking distance|neighbou?rhoods?|public transport|subway|tram|metro|airport|main road|bus stop|river|beach|the area|nearby|spot|bus|buses|taxis?|cabs?|uber|trains?|motorway|highway|ring road|junction|petrol station|industrial (?:estate|park)|out of the way|off the beaten track|middle of nowhere|miles (?:from|away|out)|far from|remote(?! (?:colleagues|participants|attendees|workers|working|control|delegates))|isolated|steep (?:climb|hill|walk|slope)|uphill|old town|town cent\w*|into (?:the )?(?:centre|center|town)|on (?:the|our) doorstep|round the corner|around the corner|a stone'?s throw|sat ?nav|hard to find|dodgy|sketchy|seedy|valet|church\w*|across the (?:road|street|square)|flight ?path)\b",
    ),
    # Wi-Fi and technology
    (
        "wifi",
        r"\b\w*(?:wlan|wifi|wi-fi|internet(?!seite)|netflix|streaming|steckdose|ladekabel|handyempfang)\w*",
    ),
    (
        "wifi",
        r"\b(?:wi-?fi|internet|wireless|connection|streaming|netflix|chromecast|cast|sockets?|usb|charging|app|tablet|signal|bluetooth|smart tv)\b",
    ),
    # value for money
    (
        "value",
        r"\b\w*(?:(?<!auf)preis|(?<!s)teuer|günstig|überteuert|schnäppchen|abzocke|wucher|happig)\w*",
    ),
    (
        "value",
        r"\b(?:geld wert|(?:cent|euro|penny|franken) wert|fürs geld|für das geld|kostet|kosten)\b",
    ),
    (
        "value",
        r"\b(?:price\w*|pric(?:y|ey)|expensive|cheap\w*|overpriced|value|worth(?! (?:seeing|visiting|a visit|exploring))|money|afford\w*|rip-?off|bargain|steep(?! (?:climb|hill|walk|slope|path|road|stairs|steps))|a bit much)\b",
    ),
    ("value", r"(?:\b\d+(?:[.,]\d+)?\s?(?:€|euro|eur)\b|[€£$]\s?\d+)"),
    # billing and check-out
    (
        "billing",
        r"\b\w*(?:rechnung|abgebucht|abbuchung|rückbuchung|kaution|bezahl(?!bar)|zahlung|check-?out|auschecken|ausgecheckt|kreditkarte|gebühr|vorautorisierung|kurtaxe|ortstaxe|gästetaxe|bettensteuer|city-?tax|tourismusabgabe|beherbergungsabgabe|übernachtungssteuer|berechnet|erstatt|gutschrift|quittung|aufpreis|zuschlag)\w*",
    ),
    ("billing", r"\b(?:zahlen|gezahlt|zahlten|belastet|abgezogen|kassiert|beleg|in bar)\b"),
    (
        "billing",
        r"\b(?:bill\w*|invoice\w*|charg(?:e|ed|es)\b|charging (?:us|me|for|extra|guests)|deposit|payment|paid|pay|check(?:ed|ing)?[- ]?out|credit card|refund\w*|receipt|fees?|hold on (?:my|the) card|card hold|(?:city|tourist|resort) (?:tax|levy|fee)|levy|tax(?:es)?|surcharge|overcharg\w*|folio|statement|debited|in cash|settled?)\b",
    ),
]

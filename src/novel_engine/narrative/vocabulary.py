"""Word banks for the offline model: moods per tone, images per genre, verbs per kind of
action and outcome, gestures per personality trait.

Every entry is flavour, never fact: none names a person or a place, and none claims an
outcome; those come only from the scene.
"""

from __future__ import annotations

from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import Genre, Tone

# Per tone: adjectives for the air of a place, nouns for the mood, closing lines' verbs.
MOOD_ADJECTIVES: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: ("grim", "hushed", "cold", "bleak", "heavy", "sullen", "ashen", "uneasy"),
    Tone.LIGHT: ("bright", "easy", "warm", "gentle", "cheerful", "golden", "mild", "airy"),
    Tone.HEROIC: ("proud", "stern", "resolute", "stirring", "bold", "unbowed", "fierce"),
    Tone.MYSTERIOUS: ("veiled", "strange", "muffled", "watchful", "dim", "secretive", "odd"),
    Tone.COMEDIC: ("ridiculous", "lopsided", "giddy", "absurd", "rowdy", "unlikely", "daft"),
}
MOOD_NOUNS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: ("dread", "silence", "foreboding", "weariness", "gloom", "unease"),
    Tone.LIGHT: ("ease", "laughter", "calm", "good humour", "kindness", "warmth"),
    Tone.HEROIC: ("resolve", "courage", "purpose", "defiance", "honour", "daring"),
    Tone.MYSTERIOUS: ("secrets", "riddles", "whispers", "questions", "shadows", "doubt"),
    Tone.COMEDIC: ("mischief", "nonsense", "chaos", "confusion", "hilarity", "folly"),
}
# Per tone: how a place is first shown; {adj} and {adj2} are two different mood words.
SETTING_OPENINGS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: (
        "The air in {place} was {adj} and {adj2}",
        "{place} lay {adj} and still, {adj2} in every corner",
        "A {adj}, {adj2} quiet held {place}",
        "Nothing in {place} felt safe; the mood was {adj}, then {adj2}",
        "{place} waited, {adj} and {adj2}",
        "Whatever {place} had been once, it was {adj} and {adj2} now",
    ),
    Tone.LIGHT: (
        "{place} felt {adj} and {adj2}",
        "The day sat {adj} on {place}, {adj2} and unhurried",
        "There was something {adj}, even {adj2}, about {place}",
        "{place} seemed {adj} enough, and {adj2} besides",
        "All of {place} was {adj} and {adj2}",
        "{place} greeted them {adj} and {adj2}",
    ),
    Tone.HEROIC: (
        "{place} stood {adj} and {adj2}, as if waiting",
        "The air of {place} was {adj}, {adj2}",
        "Everything in {place} felt {adj} and {adj2}",
        "{place} seemed made for {adj}, {adj2} deeds",
        "A {adj} hush lay over {place}, {adj2} and expectant",
        "{place} rose around them, {adj} and {adj2}",
    ),
    Tone.MYSTERIOUS: (
        "{place} kept its own {adj}, {adj2} counsel",
        "Something {adj} and {adj2} hung over {place}",
        "{place} felt {adj}, {adj2}, as if listening",
        "The hour in {place} was {adj} and {adj2}",
        "Little in {place} was as it seemed; all of it {adj}, {adj2}",
        "{place} held its breath, {adj} and {adj2}",
    ),
    Tone.COMEDIC: (
        "{place} was, frankly, a little {adj} and more than a little {adj2}",
        "Nobody would call {place} dignified; it was {adj} and {adj2}",
        "{place} had a {adj}, {adj2} look to it",
        "The whole of {place} felt {adj}, if not {adj2}",
        "{place} was as {adj} as ever, and twice as {adj2}",
        "By any measure {place} was {adj}; by most, {adj2} too",
    ),
}
CLOSINGS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: (
        "{name} could not shake the {adj} {noun}",
        "For {name}, the {adj} {noun} did not lift",
        "The {adj} {noun} stayed close about {name}",
    ),
    Tone.LIGHT: (
        "{name} carried the {adj} {noun} onward",
        "{name} found something {adj} in the {noun}",
        "A little {adj} {noun} followed {name}",
    ),
    Tone.HEROIC: (
        "{name} felt the {adj} {noun} harden",
        "In {name}, the {adj} {noun} burned on",
        "{name} held to that {adj} {noun}",
    ),
    Tone.MYSTERIOUS: (
        "{name} was left with {adj} {noun}",
        "For {name}, the {adj} {noun} only deepened",
        "{adj} {noun} gathered around {name}, unanswered",
    ),
    Tone.COMEDIC: (
        "{name} took the {adj} {noun} in stride, mostly",
        "Even {name} saw the {adj} {noun} in it",
        "The {adj} {noun} followed {name} like a stray dog",
    ),
}

# Per genre: similes that colour an outcome without adding to it.
SIMILES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: (
        "like a verse from an old ballad",
        "as if the old powers were watching",
        "like a spell half spoken",
    ),
    Genre.SCI_FI: (
        "like a signal through static",
        "with the precision of a machine",
        "like a course plotted between stars",
    ),
    Genre.MYSTERY: (
        "like a clue falling into place",
        "like a page torn from a ledger",
        "as if the answer were one step away",
    ),
    Genre.ROMANCE: (
        "like a held breath",
        "as if the heart had spoken first",
        "like a glance that lingers",
    ),
    Genre.HORROR: (
        "like a door that should have stayed shut",
        "as if something were listening",
        "like a cold hand on the neck",
    ),
    Genre.ADVENTURE: (
        "like the first step of a long road",
        "as if the map had redrawn itself",
        "like a rope pulled taut",
    ),
    Genre.DRAMA: (
        "like a line in a play",
        "as if everyone had rehearsed it",
        "like a verdict read aloud",
    ),
    Genre.COMEDY: (
        "like a pratfall waiting to happen",
        "as if on cue",
        "like a joke missing its punchline",
    ),
}

# Per kind of action: how an attempt is told ("set out to {intent}").
ATTEMPT_VERBS: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.MOVE: (
        "set off to",
        "made a move to",
        "pressed on to",
        "started out to",
        "went ahead to",
    ),
    ActionKind.ATTACK: (
        "struck out to",
        "lunged to",
        "went on the attack to",
        "rushed in to",
        "turned on the foe to",
    ),
    ActionKind.SKILL: (
        "put practised hands to work to",
        "drew on long training to",
        "bent every skill to",
        "tried a well-learned trick to",
    ),
    ActionKind.INTERACT: (
        "reached out to",
        "set hands to the task to",
        "turned aside to",
        "took a moment to",
    ),
    ActionKind.WAIT: ("held back to", "waited, meaning to", "kept still to", "paused to"),
}
# Per kind of action: how its targets join the intent ("against Bram").
TARGET_PREPOSITIONS: dict[ActionKind, str] = {
    ActionKind.MOVE: "toward",
    ActionKind.ATTACK: "against",
    ActionKind.SKILL: "on",
    ActionKind.INTERACT: "with",
    ActionKind.WAIT: "watching",
    ActionKind.DIALOGUE: "to",
}
WEATHER_PHRASES: tuple[str, ...] = (
    "amid the {weather}",
    "with {weather} all around",
    "under {weather}",
)
# Verbs of speech that take a listener ("said to Bram"), and those that stand alone.
SPEECH_VERBS_TO: tuple[str, ...] = ("said", "murmured", "called", "remarked", "muttered")
SPEECH_VERBS: tuple[str, ...] = (
    *SPEECH_VERBS_TO,
    "answered",
    "declared",
    "put in",
    "offered",
)
HEARD: tuple[str, ...] = (
    "The words landed",
    "It was heard",
    "That struck home",
    "It found its mark",
    "The point was taken",
    "It got through",
)
UNHEEDED: tuple[str, ...] = (
    "The words fell flat",
    "It was not enough",
    "Nobody was moved",
    "It went unheeded",
    "The words missed",
    "It changed nothing",
)
# How an outcome told on its own is introduced; the empty lead tells it bare.
SUCCESS_LEADS: tuple[str, ...] = (
    "",
    "It worked: ",
    "In the end, ",
    "For {name}, ",
    "{name} saw it through: ",
)
FAILURE_LEADS: tuple[str, ...] = (
    "",
    "It failed: ",
    "For {name}, it went wrong: ",
    "{name} had no luck: ",
)
SUCCESS_LINKS: tuple[str, ...] = ("and", "and in the end", "and sure enough", "and, at last")
FAILURE_LINKS: tuple[str, ...] = ("but", "yet", "only for it to go wrong:", "but in vain:")
SUCCESS_PLAIN: tuple[str, ...] = ("it worked", "it came off", "it went as hoped")
FAILURE_PLAIN: tuple[str, ...] = ("it came to nothing", "it failed", "it went awry")

# Per trait and pole: adverbs for verbs and gestures for clauses.
TRAIT_ADVERBS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("neuroticism", True): ("shakily", "nervously", "with a tremble"),
    ("neuroticism", False): ("steadily", "calmly", "evenly"),
    ("extraversion", True): ("loudly", "boldly", "with gusto"),
    ("extraversion", False): ("quietly", "softly", "under the breath"),
    ("agreeableness", True): ("warmly", "gently", "kindly"),
    ("agreeableness", False): ("coldly", "curtly", "sharply"),
    ("conscientiousness", True): ("carefully", "methodically", "with care"),
    ("conscientiousness", False): ("hastily", "carelessly", "on a whim"),
    ("openness", True): ("curiously", "eagerly", "with open wonder"),
    ("openness", False): ("warily", "stiffly", "grudgingly"),
}
TRAIT_GESTURES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("neuroticism", True): ("hands trembling", "glancing about", "breath coming short"),
    ("neuroticism", False): ("unhurried", "steady as stone", "without a flicker of doubt"),
    ("extraversion", True): ("grinning broadly", "voice ringing out", "arms flung wide"),
    ("extraversion", False): ("eyes lowered", "keeping to the edge", "saying little"),
    ("agreeableness", True): ("with an open smile", "palms open", "with a friendly nod"),
    ("agreeableness", False): ("jaw set", "with a scowl", "lip curled"),
    ("conscientiousness", True): (
        "checking every detail",
        "measured and precise",
        "after a careful look",
    ),
    ("conscientiousness", False): ("without a second thought", "on impulse", "half distracted"),
    ("openness", True): ("eyes alight", "head tilted in interest", "wondering aloud"),
    ("openness", False): ("arms folded", "frowning at anything new", "guarded"),
}
TRANSITIONS: tuple[str, ...] = (
    "Then",
    "Meanwhile",
    "Soon",
    "Next",
    "Before long",
    "A moment later",
    "At that",
    "After that",
)
BRIDGES: tuple[str, ...] = (
    "What had gone before still weighed on them",
    "Earlier, it had come to this",
    "Not long before",
    "Fresh in every mind",
)

# A turn told from one character's point of view opens and closes with that character's
# senses and thoughts ({name}: the viewpoint character; {place}; {adj}: the mood).
VIEWPOINT_OPENINGS: tuple[str, ...] = (
    "From where {name} stood, {place} seemed {adj}",
    "{name} took in {place}, {adj} and close",
    "All {name} knew of that moment was {place}, {adj} around them",
    "To {name}, {place} felt {adj}",
)
VIEWPOINT_CLOSINGS: tuple[str, ...] = (
    "That was all {name} saw of it, and the {adj} {noun} stayed with them",
    "{name} turned it over in their mind, the {adj} {noun} unresolved",
    "Whatever else happened elsewhere, {name} knew only this, and the {adj} {noun} of it",
    "{name} kept the {adj} {noun} of it to themselves",
)

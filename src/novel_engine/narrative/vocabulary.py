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
SETTING_OPENINGS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: (
        "The air in {place} was {adj}",
        "{place} lay {adj} and still",
        "A {adj} quiet held {place}",
        "Nothing in {place} felt safe; the mood was {adj}",
    ),
    Tone.LIGHT: (
        "{place} felt {adj} and welcoming",
        "The day sat {adj} on {place}",
        "There was something {adj} about {place}",
        "{place} seemed {adj} enough",
    ),
    Tone.HEROIC: (
        "{place} stood {adj}, as if waiting",
        "The air of {place} was {adj}",
        "Everything in {place} felt {adj}",
        "{place} seemed made for {adj} deeds",
    ),
    Tone.MYSTERIOUS: (
        "{place} kept its own {adj} counsel",
        "Something {adj} hung over {place}",
        "{place} felt {adj}, as if listening",
        "The hour in {place} was {adj}",
    ),
    Tone.COMEDIC: (
        "{place} was, frankly, a little {adj}",
        "Nobody would call {place} dignified; it was {adj}",
        "{place} had a {adj} look to it",
        "The whole of {place} felt {adj}",
    ),
}
CLOSINGS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: (
        "{name} could not shake the {noun}",
        "For {name}, the {noun} did not lift",
        "The {noun} stayed close about {name}",
    ),
    Tone.LIGHT: (
        "{name} carried the {noun} onward",
        "For {name}, there was {noun} in it",
        "A little {noun} followed {name}",
    ),
    Tone.HEROIC: (
        "{name} felt the {noun} harden",
        "In {name}, {noun} burned on",
        "{name} held to that {noun}",
    ),
    Tone.MYSTERIOUS: (
        "{name} was left with {noun}",
        "For {name}, the {noun} only deepened",
        "{noun} gathered around {name}, unanswered",
    ),
    Tone.COMEDIC: (
        "{name} took the {noun} in stride, mostly",
        "Even {name} saw the {noun} in it",
        "The {noun} followed {name} like a stray dog",
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
SPEECH_VERBS: tuple[str, ...] = (
    "said",
    "murmured",
    "called",
    "answered",
    "declared",
    "offered",
    "remarked",
    "put in",
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

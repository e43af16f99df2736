"""Word banks for the offline story writer: per genre, the places a story moves through,
the thing at stake, clues, obstacles, fallback names and themes; and the beats of each
plot point, as templates over the story's roles.

Templates name roles, never people: {hero}, {foe}, {ally} become the cast's names,
{token} the thing at stake, {theme} one of the story's themes, {place} where the scene
is, {next} where it leads. A capitalised key ({Token}, {Theme}) opens a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import Genre, PlotPoint, Tone


@dataclass(frozen=True)
class Beat:
    """One action of a plot point: who acts, how, at whom, and what comes of it. With
    `success` None the writer draws it; `outcomes` are told on success and on failure.
    A line spoken with no outcome to tell is told alone (no "the words landed")."""

    actor: str
    kind: ActionKind
    intent: str
    target: str | None = None
    success: bool | None = True
    outcomes: tuple[str, str] = ("", "")


PLACES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: (
        "the old watchtower",
        "the salt marsh",
        "the king's road",
        "the ruined chapel",
        "the high pass",
        "the river ford",
        "the crooked inn",
    ),
    Genre.SCI_FI: (
        "the cargo bay",
        "the derelict relay station",
        "the hydroponics deck",
        "the outer ring",
        "the docking spire",
        "the engine room",
        "the observation dome",
    ),
    Genre.MYSTERY: (
        "the lodging house",
        "the rain-soaked pier",
        "the records office",
        "the shuttered theatre",
        "the back room of the pawnshop",
        "the station waiting room",
        "the churchyard",
    ),
    Genre.ROMANCE: (
        "the harbour café",
        "the summer garden",
        "the crowded ballroom",
        "the orchard path",
        "the rooftop terrace",
        "the railway platform",
        "the bookshop",
    ),
    Genre.HORROR: (
        "the boarded-up farmhouse",
        "the flooded cellar",
        "the empty chapel",
        "the pine woods",
        "the asylum corridor",
        "the well house",
        "the attic",
    ),
    Genre.ADVENTURE: (
        "the jungle ridge",
        "the river crossing",
        "the sunken temple",
        "the cliff path",
        "the smugglers' cove",
        "the rope bridge",
        "the desert camp",
    ),
    Genre.DRAMA: (
        "the family kitchen",
        "the hospital corridor",
        "the courthouse steps",
        "the empty theatre",
        "the old schoolyard",
        "the lakeside house",
        "the station bar",
    ),
    Genre.COMEDY: (
        "the bakery",
        "the town fair",
        "the wedding tent",
        "the broken-down bus",
        "the talent show stage",
        "the dentist's waiting room",
        "the allotments",
    ),
}

# What the story is about getting back, per genre.
TOKENS: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: (
        "the silver crown",
        "the sealed grimoire",
        "the dragon's egg",
        "the king's seal",
    ),
    Genre.SCI_FI: ("the star chart", "the reactor key", "the stolen data core", "the beacon"),
    Genre.MYSTERY: ("the missing ledger", "the brass key", "the torn photograph", "the letter"),
    Genre.ROMANCE: ("the unsent letter", "the old ring", "the faded photograph", "the locket"),
    Genre.HORROR: ("the music box", "the old doll", "the parish register", "the iron key"),
    Genre.ADVENTURE: (
        "the treasure map",
        "the golden idol",
        "the explorer's journal",
        "the compass",
    ),
    Genre.DRAMA: ("the will", "the deeds to the house", "the last letter", "the medal"),
    Genre.COMEDY: ("the prize cake", "the lucky hat", "the wedding rings", "the trophy"),
}

CLUES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: (
        "the runes cut into the stone",
        "the hoofprints in the mud",
        "the ashes of a dead campfire",
        "a raven feather left as a sign",
        "the words of an old song",
    ),
    Genre.SCI_FI: (
        "the last entries of the flight log",
        "a faint signal on the long-range scanner",
        "the scorch marks on the hull plating",
        "a corrupted security recording",
        "the power readings of the lower decks",
    ),
    Genre.MYSTERY: (
        "the ash in the grate",
        "a train ticket with the corner torn off",
        "the muddy prints on the stairs",
        "the entries in the visitors' book",
        "a smudge of lipstick on a glass",
    ),
    Genre.ROMANCE: (
        "the note folded into a novel",
        "the name scribbled on a menu",
        "a song playing somewhere nearby",
        "the flowers left on a bench",
        "an old diary entry",
    ),
    Genre.HORROR: (
        "the scratches on the inside of the door",
        "the names in the parish book",
        "the wet footprints leading nowhere",
        "a child's drawing pinned to the wall",
        "the cold spot by the stairs",
    ),
    Genre.ADVENTURE: (
        "the markings on the map's margin",
        "the carvings on the temple wall",
        "the position of the stars",
        "the broken branches along the trail",
        "the old explorer's notes",
    ),
    Genre.DRAMA: (
        "the unpaid bills in the drawer",
        "the old photographs in the album",
        "the voicemail nobody deleted",
        "the letters hidden in the attic",
        "the dates in the hospital file",
    ),
    Genre.COMEDY: (
        "the trail of crumbs",
        "a very suspicious receipt",
        "the gossip at the tea stall",
        "the lost-property list",
        "the seating plan",
    ),
}

OBSTACLES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: ("a barred gate", "a rotten bridge", "a sleeping wyrm's lair", "a locked chest"),
    Genre.SCI_FI: ("a sealed bulkhead", "a jammed airlock", "a failing gravity plate", "a locker"),
    Genre.MYSTERY: ("a locked desk", "a bricked-up fireplace", "a safe", "a hidden panel"),
    Genre.ROMANCE: ("a crowded doorway", "a locked gate", "a muddled timetable", "a stuck window"),
    Genre.HORROR: ("a nailed-shut door", "a trapdoor", "a rusted padlock", "a flooded stair"),
    Genre.ADVENTURE: ("a rockfall", "a flooded tunnel", "a sealed door", "a crumbling ledge"),
    Genre.DRAMA: ("a locked filing cabinet", "a closed office", "a jammed drawer", "a locked car"),
    Genre.COMEDY: ("a stubborn vending machine", "a locked pantry", "a stuck zip", "a goat pen"),
}

THEMES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: ("courage", "loyalty", "power"),
    Genre.SCI_FI: ("survival", "trust", "progress"),
    Genre.MYSTERY: ("truth", "guilt", "secrets"),
    Genre.ROMANCE: ("love", "pride", "second chances"),
    Genre.HORROR: ("fear", "grief", "the past"),
    Genre.ADVENTURE: ("courage", "friendship", "discovery"),
    Genre.DRAMA: ("family", "forgiveness", "ambition"),
    Genre.COMEDY: ("friendship", "pride", "luck"),
}

# Names for the roles a brief's cast leaves open.
NAMES: dict[Genre, tuple[str, ...]] = {
    Genre.FANTASY: ("Aldric", "Maren", "Sable", "Corwin", "Isolde", "Fenn"),
    Genre.SCI_FI: ("Vex", "Ila Moreau", "Dax", "Oren Pike", "Nova", "Kade"),
    Genre.MYSTERY: ("Inspector Hale", "Clara Finch", "Silas Grey", "Edith Vane", "Rooke", "Nell"),
    Genre.ROMANCE: ("Elena", "Theo", "Margot", "Julian", "Rosa", "Sam"),
    Genre.HORROR: ("Agnes", "Father Crane", "Will", "Martha Cole", "Ezra", "Lottie"),
    Genre.ADVENTURE: ("Jack Harlow", "Amara", "Diego", "Captain Reyes", "Kit", "Tomas"),
    Genre.DRAMA: ("Helen", "Marcus", "Grace", "Daniel", "Ruth", "Owen"),
    Genre.COMEDY: ("Gus", "Bernadette", "Uncle Ned", "Priya", "Barnaby", "Dot"),
}
# Should a cast take every name of its genre's bank.
SPARE_NAMES: tuple[str, ...] = ("Rowan", "Quill", "Ash")

# Rising action is long, so its lines are put together: an opener and a claim.
OPENERS: tuple[str, ...] = (
    "Listen.",
    "Look at this.",
    "Careful now.",
    "Stay close.",
    "I have a bad feeling.",
    "Think about it.",
    "Wait.",
    "No more games.",
    "Hear me out.",
    "Quiet.",
    "Trust me.",
    "Look around you.",
)
CLAIMS: tuple[str, ...] = (
    "{foe} has been here before us.",
    "{Token} cannot be far now.",
    "This was always about {theme}.",
    "Someone in {place} is lying to us.",
    "{foe} knows we are coming.",
    "Whoever holds {token} holds everything.",
    "I will not run from {theme} again.",
    "The way to {next} will be watched.",
    "We should never have come to {place}.",
    "If {foe} wins, nothing we love is safe.",
    "We are closer than {foe} thinks.",
    "There is no going back from {place}.",
)
SEARCH_VERBS: tuple[str, ...] = ("study", "follow", "make sense of", "read", "puzzle over")
FORCE_VERBS: tuple[str, ...] = ("force", "get past", "work at", "find a way through")
AMBUSHES: tuple[str, ...] = (
    "ambush {hero} from the shadows",
    "strike at {hero} without warning",
    "drive {hero} back toward the wall",
)

# The fixed points of the plot, told once each.
INCITING: tuple[Beat, ...] = (
    Beat(
        "hero",
        ActionKind.INTERACT,
        "examine {token}",
        None,
        True,
        ("it bore the mark of {foe}", ""),
    ),
    Beat("ally", ActionKind.DIALOGUE, "{Token} is gone, and {foe} was seen near {place}.", "hero"),
    Beat("hero", ActionKind.DIALOGUE, "If this is about {theme}, I cannot look away.", "ally"),
    Beat("foe", ActionKind.DIALOGUE, "Keep out of my way. {Token} is mine now.", "hero"),
)
CLIMAX: tuple[Beat, ...] = (
    Beat("hero", ActionKind.DIALOGUE, "It ends here, {foe}.", "foe"),
    Beat("foe", ActionKind.DIALOGUE, "You never understood {theme}, {hero}.", "hero"),
    Beat(
        "foe",
        ActionKind.ATTACK,
        "strike at {hero} with everything left",
        "hero",
        False,
        ("", "the blow went wide"),
    ),
    Beat(
        "ally",
        ActionKind.INTERACT,
        "stand between {hero} and the worst of it",
        None,
        True,
        ("{ally} held firm", ""),
    ),
    Beat(
        "hero",
        ActionKind.ATTACK,
        "wrest {token} from {foe}",
        "foe",
        True,
        ("{token} came free at last", ""),
    ),
)
FALLING: tuple[Beat, ...] = (
    Beat("foe", ActionKind.MOVE, "the dark beyond {place}", None, True, ("{foe} was gone", "")),
    Beat("ally", ActionKind.DIALOGUE, "Is it over, {hero}?", "hero"),
    Beat("hero", ActionKind.DIALOGUE, "Not yet. But {theme} is ours again.", "ally"),
    Beat(
        "hero",
        ActionKind.INTERACT,
        "bind the wounds of the fight",
        None,
        True,
        ("the bleeding stopped", ""),
    ),
)
RESOLUTION: tuple[Beat, ...] = (
    Beat(
        "hero",
        ActionKind.INTERACT,
        "return {token} to where it belonged",
        None,
        True,
        ("{place} was quiet again", ""),
    ),
    Beat("ally", ActionKind.DIALOGUE, "We did it, {hero}.", "hero"),
    Beat("hero", ActionKind.DIALOGUE, "We did. I understand {theme} a little better now.", "ally"),
)
FIXED_BEATS: dict[PlotPoint, tuple[Beat, ...]] = {
    PlotPoint.INCITING_INCIDENT: INCITING,
    PlotPoint.CLIMAX: CLIMAX,
    PlotPoint.FALLING_ACTION: FALLING,
    PlotPoint.RESOLUTION: RESOLUTION,
}

# How the last scene ends, per tone.
ENDINGS: dict[Tone, tuple[str, ...]] = {
    Tone.DARK: ("the silence that followed was not peace", "nothing would be the same"),
    Tone.LIGHT: ("the day ended in laughter", "everyone went home smiling"),
    Tone.HEROIC: ("the bells rang out across {place}", "the story of that day was told for years"),
    Tone.MYSTERIOUS: ("some questions stayed unanswered", "the last secret kept itself"),
    Tone.COMEDIC: ("somebody finally laughed", "it was, all things considered, a good day"),
}
TIMES: tuple[str, ...] = ("dawn", "midday", "late afternoon", "dusk", "night")
WEATHER: tuple[str, ...] = ("rain", "fog", "wind", "falling snow", "drizzle")

"""Offline prose over a 20-turn session: how rarely sentences repeat, how little two
campaigns with different casts and tones share, words per turn and time per narration,
beside a peer that fills one template with blanks (the thing the offline model must not
be).

    .venv/bin/python bench/offline_prose.py [--turns 20]

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from novel_engine.domain.character import CharacterKind, Personality
from novel_engine.domain.scene import Outcome, Scene, SceneAction, SceneCharacter
from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import Genre, Tone
from novel_engine.narrative.assessment import sentences
from novel_engine.narrative.offline import OfflineModel

KINDS = tuple(ActionKind)
Campaign = tuple[tuple[SceneCharacter, ...], tuple[tuple[str, ...], ...], Genre, Tone, str]

HARBOUR: Campaign = (
    (
        SceneCharacter("a", "Aldric", CharacterKind.PROTAGONIST, Personality(0.8, 0.7, 0.3)),
        SceneCharacter("s", "Sefa", CharacterKind.NPC, Personality(0.4, 0.2, 0.9, 0.8, 0.2)),
        SceneCharacter("k", "Kestrel", CharacterKind.ANTAGONIST, Personality(0.3, 0.9, 0.4, 0.1)),
        SceneCharacter("w", "Widow Marn", CharacterKind.NPC, Personality(neuroticism=0.9)),
    ),
    (
        ("haul", "cut", "search", "mend", "follow", "signal", "bribe", "scale"),
        (
            "the net line",
            "the harbour chain",
            "the salt store",
            "the lighthouse stair",
            "the smugglers' skiff",
            "the tide bell",
            "the customs ledger",
        ),
        (
            "Who paid you",
            "Keep your voice down",
            "The tide is turning",
            "I saw the lantern",
            "You owe me a boat",
            "Not another step",
        ),
        ("held", "snapped", "swung loose", "sank", "gave way", "stayed shut"),
    ),
    Genre.ADVENTURE,
    Tone.HEROIC,
    "the grey harbour",
)
ORBIT: Campaign = (
    (
        SceneCharacter("z", "Zed", CharacterKind.PROTAGONIST, Personality(0.6, 0.1, 0.95)),
        SceneCharacter("p", "Pim", CharacterKind.NPC, Personality(openness=0.95)),
        SceneCharacter("l", "Captain Lu", CharacterKind.NPC, Personality(agreeableness=0.15)),
    ),
    (
        ("reboot", "polish", "reroute", "inspect", "kick", "tape up", "sniff", "count"),
        (
            "the coffee machine",
            "the airlock",
            "the cargo manifest",
            "the escape pod",
            "the ration crates",
            "the docking clamp",
            "the vending robot",
        ),
        (
            "Is that supposed to beep",
            "Nobody touch the red lever",
            "I can fix this",
            "Has anyone seen my wrench",
            "That was not my fault",
            "Hold my snack",
        ),
        ("beeped", "sparked", "fell off", "worked, somehow", "exploded mildly", "sulked"),
    ),
    Genre.COMEDY,
    Tone.COMEDIC,
    "Deck Nine",
)


def scenes(campaign: Campaign, turns: int) -> list[Scene]:
    cast, (verbs, things, lines, results), genre, tone, place = campaign
    told = []
    for turn in range(turns):
        actions = []
        for slot in range(3 + turn % 2):
            step = turn * 4 + slot
            actor, other = cast[step % len(cast)], cast[(step + 1) % len(cast)]
            kind = KINDS[(turn + slot * 2) % len(KINDS)]
            spoken = kind is ActionKind.DIALOGUE
            intent = (
                f"{lines[step % len(lines)]}, {other.name}?"
                if spoken
                else f"{verbs[step % len(verbs)]} {things[(step // 3) % len(things)]}"
            )
            outcome = Outcome(
                step % 3 != 0, f"{things[step % len(things)]} {results[step % len(results)]}"
            )
            targets = (other.id,) if spoken or kind is ActionKind.ATTACK else ()
            actions.append(SceneAction(actor.id, kind, intent, targets, outcome))
        told.append(Scene(genre, tone, place, cast, tuple(actions)))
    return told


def template_peer(scene: Scene) -> str:
    """One template with blanks: what the offline model is measured against."""
    return " ".join(
        f"{scene.character(a.actor_id).name} tried to {a.intent}. "
        f"{'It worked' if a.outcome and a.outcome.success else 'It failed'}."
        for a in scene.actions
    )


def figures(narrate: Callable[[Scene], str], turns: int) -> dict[str, float]:
    texts: dict[str, list[str]] = {}
    seconds: list[float] = []
    for name, campaign in (("harbour", HARBOUR), ("orbit", ORBIT)):
        texts[name] = []
        for scene in scenes(campaign, turns):
            started = time.perf_counter()
            texts[name].append(narrate(scene))
            seconds.append(time.perf_counter() - started)
    harbour = [s for text in texts["harbour"] for s in sentences(text)]
    orbit = [s for text in texts["orbit"] for s in sentences(text)]
    return {
        "distinct sentences": len(set(harbour)) / len(harbour),
        "shared between campaigns": len(set(harbour) & set(orbit)) / len(set(harbour)),
        "words per turn": statistics.fmean(len(t.split()) for t in texts["harbour"]),
        "ms per narration": statistics.fmean(seconds) * 1000,
        "quality overall": OfflineModel().assess("\n\n".join(texts["harbour"]))["overall"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    turns = parser.parse_args().turns
    model = OfflineModel()
    offline, peer = figures(model.narrate, turns), figures(template_peer, turns)
    print(f"{turns}-turn session{'':18}{'offline':>10}{'template':>10}")
    for measure in offline:
        print(f"{measure:<34}{offline[measure]:>10.3f}{peer[measure]:>10.3f}")
    print("\nA turn of the heroic harbour campaign:\n")
    print(model.narrate(scenes(HARBOUR, turns)[turns // 2]))


if __name__ == "__main__":
    main()

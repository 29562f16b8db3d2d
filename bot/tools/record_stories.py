"""``make record-stories``: turn scripted conversations into Rasa test stories; ``--check`` replays them.

Designers write what customers say (``tests/stories/conversations.yml``: a
name and the messages of each conversation). This tool starts the bot (and a freshly
seeded reference service) on free ports with the trained model, plays every conversation through the REST
channel, and writes what the bot did as test stories
(``tests/stories/recorded.yml``). Review the diff like any other change:
``make test-stories`` then fails whenever a later change makes the bot behave
differently.

``--check`` (run by ``make test-stories``) plays the same conversations through the serving path customers get
(the project's REST channel, the Rasa server with its patches and the tracker store endpoints.yml names, the
action server and the reference service) and fails, with the difference, when any conversation's story is not
the recorded one: ``rasa test core`` predicts the recorded stories in memory, this runs them for real.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Dict, List

import requests
import yaml

from bot.launcher import ROOT, Stack, StackConfig, write_embedded_endpoints

HEADER = (
    "# Recorded by `make record-stories` from tests/stories/conversations.yml.\n"
    "# Do not edit by hand: change the conversation or the bot, re-record, review the diff.\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_conversations(path: Path) -> List[Dict]:
    conversations = yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations", [])
    for conversation in conversations:
        if not conversation.get("name") or not conversation.get("messages"):
            raise SystemExit(f"error: every conversation in {path} needs a name and messages")
    return conversations


def record(stack: Stack, token: str, conversation: Dict) -> Dict:
    sender = f"record-{uuid.uuid4().hex[:10]}"
    for message in conversation["messages"]:
        reply = requests.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=30,
            headers=stack.rest_headers,
        )
        reply.raise_for_status()
    exported = requests.get(f"{stack.rasa_url}/conversations/{sender}/story", params={"token": token}, timeout=30)
    exported.raise_for_status()
    story = yaml.safe_load(exported.text)["stories"][0]
    story["story"] = conversation["name"]
    return story


def differences(recorded: List[Dict], replayed: List[Dict]) -> List[str]:
    """The conversations whose replayed story is not the recorded one, each with its first differing step."""
    found = []
    by_name = {story["story"]: story for story in recorded}
    for story in replayed:
        expected = by_name.get(story["story"])
        if expected is None:
            found.append(f"{story['story']}: not recorded (run make record-stories)")
            continue
        steps, expected_steps = story.get("steps", []), expected.get("steps", [])
        for index, (got, want) in enumerate(zip(steps, expected_steps, strict=False)):
            if got != want:
                found.append(f"{story['story']}: step {index + 1} was {got}, recorded {want}")
                break
        else:
            if len(steps) != len(expected_steps):
                found.append(f"{story['story']}: {len(steps)} steps, recorded {len(expected_steps)}")
    replayed_names = {story["story"] for story in replayed}
    found += [f"{name}: recorded, but no conversation plays it any more (run make record-stories)"
              for name in by_name if name not in replayed_names]  # fmt: skip
    return found


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=Path, default=ROOT / "tests/stories/conversations.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/stories/recorded.yml")
    parser.add_argument("--check", action="store_true", help="replay and compare with --out instead of writing it")
    args = parser.parse_args(argv)
    conversations = load_conversations(args.conversations)
    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory() as workdir:
        actions_port = _free_port()
        endpoints = write_embedded_endpoints(Path(workdir) / "endpoints.yml", f"http://127.0.0.1:{actions_port}",
                                             Path(workdir) / "trackers.db")  # fmt: skip
        config = StackConfig(
            endpoints=endpoints,
            rasa_port=_free_port(),
            actions_port=actions_port,
            reference_port=_free_port(),
            desk_port=_free_port(),
            analytics_port=_free_port(),
            reference_database=f"sqlite:///{Path(workdir) / 'reference.db'}",
            handoff_database=f"sqlite:///{Path(workdir) / 'handoff.db'}",
            limits_database=f"sqlite:///{Path(workdir) / 'limits.db'}",  # no lock-out carried over from a last run
            log_dir=Path(workdir),
            env={"RASA_AUTH_TOKEN": token, "CHANNELS_DATABASE_URL": f"sqlite:///{Path(workdir) / 'channels.db'}"},
        )
        print("Starting the bot on free ports...", flush=True)
        with Stack(config) as stack:
            stories = []
            for index, conversation in enumerate(conversations, start=1):
                print(f"[{index}/{len(conversations)}] {conversation['name']}", flush=True)
                stories.append(record(stack, token, conversation))
    if args.check:
        recorded = yaml.safe_load(args.out.read_text(encoding="utf-8")).get("stories", [])
        found = differences(recorded, stories)
        for line in found:
            print(f"error: {line}", file=sys.stderr)
        print(
            f"{len(stories) - len(found)} of {len(stories)} conversations replayed through the REST channel as "
            f"recorded in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
        )
        return 1 if found else 0
    body = yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False, allow_unicode=True, width=120)
    args.out.write_text(HEADER + body, encoding="utf-8")
    print(f"Wrote {len(stories)} test stories to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The quickstart story: a versioned dataset in a local folder, told step by step.

Run it with ``bash scripts/quickstart.sh`` (or ``python examples/quickstart.py [FOLDER]``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import sapwood


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "folder", nargs="?", help="where to keep the repository (default: a temp dir)"
    )
    args = parser.parse_args()
    folder = Path(args.folder or Path(tempfile.mkdtemp(prefix="sapwood-")) / "census")
    say = print

    with sapwood.repository(folder) as repo:
        say(f"1. Opened a repository in {folder} (a plain folder: no server, no database).")

        main_branch = repo.branch("main")
        main_branch.upload(b"id,species\n1,oak\n2,ash\n", "trees/species.csv")
        main_branch.upload("A census of the trees in the park.\n", "README.txt")
        main_branch.upload(b"\x00" * 10_000, "trees/heights.bin")
        first = main_branch.commit_changes("Add the first census", metadata={"source": "survey"})
        say(f"2. Uploaded 3 files and committed them on main as {first.id[:12]}.")

        experiment = repo.branch("experiment").create(source_reference="main", exist_ok=True)
        experiment.upload(b"id,species\n1,oak\n2,ash\n3,birch\n", "trees/species.csv")
        experiment.delete_objects(["trees/heights.bin"])
        experiment.commit_changes("Add a birch; drop the heights")
        say("3. Branched 'experiment' from main, changed a file, deleted another, committed.")

        say("4. What the experiment changes, relative to main:")
        for change in main_branch.diff(experiment):
            say(f"     {change.type:8} {change.path}")

        merged = experiment.merge_into(main_branch, message="Merge the experiment")
        say(f"5. Merged experiment into main as {merged.id[:12]} ({len(merged.parents)} parents).")

        main_branch.upload("A census of the trees in the park, with birches.\n", "README.txt")
        main_branch.commit_changes("Mention the birches")

        say("6. The log of main, newest first:")
        for commit in main_branch.log(max_amount=5):
            say(f"     {commit.id[:12]}  {commit.message}")

        then = repo.ref("main~2")
        say("7. trees/species.csv as it was two commits ago (main~2):")
        for line in then.download("trees/species.csv").decode().splitlines():
            say(f"     {line}")
        today = main_branch.download("trees/species.csv").decode().splitlines()
        say(f"   ...and today it has {len(today)} lines, the birch included.")
    say(f"Done. The repository stays in {folder}.")


if __name__ == "__main__":
    main()

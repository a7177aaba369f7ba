"""The command line end to end on a local repository: every verb, ``--json`` output with
the value types' field names, and the exit codes (0 done, 1 error, 2 usage, 3 conflict)."""

from __future__ import annotations

import os
from pathlib import Path

from .runner import Cli, clean_env

COMMIT_FIELDS = {"id", "parents", "message", "metadata", "author", "committed_at"}
OBJECT_FIELDS = {
    "path",
    "size_bytes",
    "checksum",
    "content_type",
    "metadata",
    "modified_time",
    "physical_address",
}
CHANGE_FIELDS = {"type", "path", "path_type", "size_bytes"}


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_upload_list_read_and_history_as_json(cli: Cli, tmp_path: Path) -> None:
    local = write(tmp_path / "a.csv", "id\n1\n")
    made = cli("--json", "fs", "upload", str(local), "main:data/", "-m", "Add a").json()
    assert set(made["commit"]) == COMMIT_FIELDS
    assert made["commit"]["message"] == "Add a"
    assert set(made["object"]) == OBJECT_FIELDS

    listing = cli("fs", "ls", "main:", "--json").json()
    assert listing == [{"path": "data/"}]
    deep = cli("fs", "ls", "main:", "-r", "--json").json()
    assert [item["path"] for item in deep] == ["data/a.csv"]
    assert set(deep[0]) == OBJECT_FIELDS

    assert cli.raw("fs", "cat", "main:data/a.csv") == b"id\n1\n"
    info = cli("fs", "stat", "main:data/a.csv", "--json").json()
    assert info["size_bytes"] == 5
    assert info["content_type"] == "text/csv"

    log = cli("log", "main", "--json").json()
    assert [c["message"] for c in log] == ["Add a", "Repository created"]
    assert set(log[0]) == COMMIT_FIELDS
    assert cli("log", "main", "--amount", "1", "--json").json()[0]["id"] == log[0]["id"]
    assert [c["message"] for c in cli("log", "main", "--path", "data/", "--json").json()] == [
        "Add a"
    ]

    changes = cli("diff", "main~1", "main", "--json").json()
    assert changes == [
        {"type": "added", "path": "data/a.csv", "path_type": "object", "size_bytes": 5}
    ]
    assert set(changes[0]) == CHANGE_FIELDS
    assert cli("diff", "main~1", "main", "--prefix", "other/", "--json").json() == []

    table = cli("log", "main").stdout
    assert "Add a" in table
    assert log[0]["id"][:12] in table


def test_each_writing_command_makes_one_commit(cli: Cli, tmp_path: Path) -> None:
    def commits() -> int:
        return len(cli("log", "main", "--json").json())

    write(tmp_path / "x.txt", "x")
    cli("fs", "upload", str(tmp_path / "x.txt"), "main:x.txt")
    assert commits() == 2
    again = cli("fs", "upload", str(tmp_path / "x.txt"), "main:x.txt")
    assert "nothing changed" in again.stdout
    assert commits() == 2
    cli("fs", "cp", "main:x.txt", "main:copies/")
    assert commits() == 3
    assert cli.raw("fs", "cat", "main:copies/x.txt") == b"x"
    cli("fs", "upload", "-", "main:stdin.txt", stdin=b"from stdin")
    assert cli.raw("fs", "cat", "main:stdin.txt") == b"from stdin"
    assert commits() == 4
    removed = cli("fs", "rm", "main:copies", "-r", "--json").json()
    assert removed["deleted"] == ["copies/x.txt"]
    assert removed["commit"]["message"].startswith("Delete main:copies")
    cli("fs", "rm", "main:stdin.txt", "-m", "Drop stdin")
    log = cli("log", "main", "--json").json()
    assert len(log) == 6
    assert log[0]["message"] == "Drop stdin"


def test_download_single_object(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "in" / "big.bin", os.urandom(3 * 1024 * 1024))
    cli("fs", "upload", str(tmp_path / "in" / "big.bin"), "main:big.bin")
    out = tmp_path / "out"
    out.mkdir()
    cli("fs", "download", "main:big.bin", str(out))
    assert (out / "big.bin").read_bytes() == (tmp_path / "in" / "big.bin").read_bytes()
    cli("fs", "download", "main:big.bin", str(out / "renamed.bin"))
    assert (out / "renamed.bin").stat().st_size == 3 * 1024 * 1024
    assert not list(out.glob("*.sapwood-partial"))


def test_download_makes_the_folders_leading_to_the_target(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", b"alpha")
    cli("fs", "upload", str(tmp_path / "in" / "a.txt"), "main:data/a.txt")
    cli("fs", "download", "main:data/a.txt", str(tmp_path / "new" / "deep" / "a.txt"))
    assert (tmp_path / "new" / "deep" / "a.txt").read_bytes() == b"alpha"
    # A target ending in / is a folder, made if missing, that keeps the object's name.
    cli("fs", "download", "main:data/a.txt", str(tmp_path / "other") + "/")
    assert (tmp_path / "other" / "a.txt").read_bytes() == b"alpha"


def test_gc_and_expire_accept_zero_as_now(cli: Cli) -> None:
    assert cli("gc", "--older-than", "0", "--dry-run", "--json").json()["dry_run"] is True
    cli("expire", "--older-than", "0")
    assert cli("gc", "--older-than", "3600", ok=False).returncode == 2


def test_folder_round_trip_and_delete_sync(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "source"
    write(source / "a.txt", "a")
    write(source / "nested" / "deeper" / "b.bin", os.urandom(20_000))
    write(source / "empty", b"")
    os.mkfifo(source / "pipe")
    first = cli("fs", "upload", str(source), "main:dataset", "-r", "--json")
    assert one_error_line(first.stderr) == (
        f"sapwood: warning: skipped 1 path(s) under {source}: pipe (FIFO)"
    )
    up = first.json()
    assert up["summary"]["transferred_objects"] == 3
    assert up["summary"]["skipped"] == ["pipe (FIFO)"]
    assert up["commit"] is not None
    listed = [o["path"] for o in cli("fs", "ls", "main:dataset/", "-r", "--json").json()]
    assert listed == ["dataset/a.txt", "dataset/empty", "dataset/nested/deeper/b.bin"]

    again = cli("fs", "upload", str(source), "main:dataset", "-r", "--json").json()
    assert again["commit"] is None
    assert again["summary"]["unchanged_objects"] == 3

    back = tmp_path / "back"
    cli("fs", "download", "main:dataset/", str(back), "-r")
    for name in ["a.txt", "empty", "nested/deeper/b.bin"]:
        assert (back / name).read_bytes() == (source / name).read_bytes()

    (source / "a.txt").unlink()
    kept = cli("fs", "upload", str(source), "main:dataset", "-r", "--json").json()
    assert kept["commit"] is None, "without --delete nothing is removed"
    synced = cli("fs", "upload", str(source), "main:dataset", "-r", "--delete", "--json").json()
    assert synced["summary"]["deleted_objects"] == 1
    listed = [o["path"] for o in cli("fs", "ls", "main:dataset/", "-r", "--json").json()]
    assert listed == ["dataset/empty", "dataset/nested/deeper/b.bin"]


def test_branches_tags_merge_revert_cherry_pick(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "f.txt", "one")
    cli("fs", "upload", str(tmp_path / "f.txt"), "main:f.txt")
    created = cli("branch", "create", "dev", "--json").json()
    assert created["id"] == "dev"
    assert set(created["commit"]) == COMMIT_FIELDS
    write(tmp_path / "g.txt", "two")
    cli("fs", "upload", str(tmp_path / "g.txt"), "dev:g.txt", "-m", "Add g")
    names = [b["id"] for b in cli("branch", "list", "--json").json()]
    assert names == ["dev", "main"]

    merged = cli("merge", "dev", "main", "-m", "Bring dev", "--json").json()
    assert merged["message"] == "Bring dev"
    assert len(merged["parents"]) == 2
    up_to_date = cli("merge", "dev", "main")
    assert "already contains" in up_to_date.stdout

    cli("tag", "create", "v1", "main")
    tags = cli("tag", "list", "--json").json()
    assert [t["id"] for t in tags] == ["v1"]
    assert tags[0]["commit"]["id"] == merged["id"]
    assert cli.raw("fs", "cat", "v1:g.txt") == b"two"

    add_g = cli("log", "dev", "--json").json()[0]["id"]
    reverted = cli("revert", "main", add_g, "--json").json()
    assert reverted["message"] == 'Revert "Add g"'
    assert cli("fs", "stat", "main:g.txt", ok=False).returncode == 1
    picked = cli("cherry-pick", "main", add_g, "--json").json()
    assert picked["message"] == "Add g"
    assert cli.raw("fs", "cat", "main:g.txt") == b"two"
    again = cli("revert", "main", "main", "-m", "Drop g again", "--json").json()
    assert again["message"] == "Drop g again"
    repicked = cli("cherry-pick", "main", add_g, "-m", "Take g back", "--json").json()
    assert repicked["message"] == "Take g back"

    cli("branch", "reset", "dev", "main~5")
    assert cli("fs", "stat", "dev:g.txt", ok=False).returncode == 1
    cli("branch", "delete", "dev")
    cli("tag", "delete", "v1")
    assert cli("tag", "list", "--json").json() == []
    assert [b["id"] for b in cli("branch", "list", "--json").json()] == ["main"]


def test_exit_codes_and_one_line_errors(cli: Cli, tmp_path: Path) -> None:
    unknown_ref = cli("log", "nosuchbranch", ok=False)
    assert unknown_ref.returncode == 1
    assert "RefNotFoundError" in one_error_line(unknown_ref.stderr)

    missing = cli("fs", "cat", "main:missing.txt", ok=False)
    assert missing.returncode == 1
    assert "ObjectNotFoundError" in one_error_line(missing.stderr)
    assert cli("fs", "rm", "main:missing.txt", ok=False).returncode == 1

    assert cli("nosuchcommand", ok=False).returncode == 2
    assert cli("branch", "create", ok=False).returncode == 2
    no_colon = cli("fs", "cat", "main", ok=False)
    assert no_colon.returncode == 2
    assert "REF:PATH" in no_colon.stderr
    for arguments in [
        ("cat", "main:"),
        ("stat", "main:"),
        ("cat", "main:data/"),
        ("cp", "main:data/", "main:other/"),
    ]:
        named_folder = cli("fs", *arguments, ok=False)
        assert named_folder.returncode == 2
        assert "names a folder, not an object" in named_folder.stderr
    folder_rm = cli("fs", "rm", "main:data/", ok=False)
    assert folder_rm.returncode == 2
    assert "add -r" in folder_rm.stderr
    assert cli("gc", "--older-than", "soon", ok=False).returncode == 2
    assert cli("fs", "upload", str(tmp_path), "main:x", ok=False).returncode == 2
    assert cli("log", "main", repo=False, ok=False).returncode == 2

    write(tmp_path / "c.txt", "base")
    cli("fs", "upload", str(tmp_path / "c.txt"), "main:c.txt")
    cli("branch", "create", "other")
    write(tmp_path / "c.txt", "main side")
    cli("fs", "upload", str(tmp_path / "c.txt"), "main:c.txt")
    write(tmp_path / "c.txt", "other side")
    cli("fs", "upload", str(tmp_path / "c.txt"), "other:c.txt")
    conflict = cli("merge", "other", "main", ok=False)
    assert conflict.returncode == 3
    assert "c.txt" in one_error_line(conflict.stderr)
    settled = cli("merge", "other", "main", "--strategy", "source-wins", "--json").json()
    assert len(settled["parents"]) == 2
    assert cli.raw("fs", "cat", "main:c.txt") == b"other side"

    debug = cli("--debug", "log", "nosuchbranch", ok=False)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_init_refuses_an_existing_repository(cli: Cli) -> None:
    again = cli("init", ok=False)
    assert again.returncode == 1
    assert "RepositoryExistsError" in one_error_line(again.stderr)


def test_repository_from_environment_and_profile(cli: Cli, tmp_path: Path) -> None:
    env_run = Cli(cli.repo, {**cli.env, "SAPWOOD_REPO": cli.repo}, tmp_path)
    assert env_run("log", "main", "--json", repo=False).json()[0]["message"] == (
        "Repository created"
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.lab]\nrepository = "{cli.repo}"\n', encoding="utf-8")
    profiled = Cli(cli.repo, {**cli.env, "SAPWOOD_CONFIG": str(config)}, tmp_path)
    assert (
        profiled("--profile", "lab", "branch", "list", "--json", repo=False).json()[0]["id"]
        == "main"
    )
    missing = profiled("--profile", "nope", "branch", "list", repo=False, ok=False)
    assert missing.returncode == 2
    assert "profiles.nope" in missing.stderr


def test_maintenance_doctor_plugins_and_verbose_logs(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "f.txt", "1")
    cli("fs", "upload", str(tmp_path / "f.txt"), "main:f.txt")
    expired = cli("expire", "--older-than", "2000-01-01", "--json").json()
    assert expired == {"expired": []}
    summary = cli("gc", "--dry-run", "--older-than", "1h", "--json").json()
    assert summary["dry_run"] is True
    assert "blobs_deleted" in summary
    doctor = cli("doctor", "--json").json()
    assert doctor["exists"] is True
    assert doctor["refs_move_safely"] is True
    empty = tmp_path / "no-repository-yet"
    before = cli("--repo", str(empty), "doctor", "--json", repo=False).json()
    assert (before["exists"], before["ref_mode"], before["format_version"]) == (
        False,
        "cas",
        None,
    )
    assert before["capabilities"] == doctor["capabilities"]
    assert not empty.exists()  # looking changed nothing
    assert doctor["capabilities"]["conditional_create"] is True
    assert "refs move safely" in cli("doctor").stdout
    plugins = cli("plugins", "--json", repo=False).json()
    assert any(p["dist"] == "sapwood-local" for p in plugins)

    logged = cli("--verbose", "fs", "upload", str(tmp_path / "f.txt"), "main:g.txt")
    assert "sapwood.engine.commits" in logged.stderr
    assert "committed" in logged.stderr
    quiet = cli("fs", "upload", str(tmp_path / "f.txt"), "main:h.txt")
    assert quiet.stderr == ""


def test_import_a_local_folder(cli: Cli, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw / "one.txt", "1")
    write(raw / "sub" / "two.txt", "2")
    status = cli("import", raw.as_uri(), "main:imported/", "--json").json()
    assert status["completed"] is True
    assert status["ingested_objects"] == 2
    assert cli.raw("fs", "cat", "main:imported/sub/two.txt") == b"2"


def test_help_lists_every_command(tmp_path: Path) -> None:
    runner = Cli("unused", clean_env(tmp_path), tmp_path)
    text = runner("--help", repo=False).stdout
    for command in [
        "init",
        "branch",
        "tag",
        "log",
        "diff",
        "merge",
        "revert",
        "cherry-pick",
        "fs",
        "import",
        "gc",
        "expire",
        "plugins",
        "doctor",
    ]:
        assert command in text


def test_fsck_reports_a_damaged_blob_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "big.bin", "x" * 4096)
    cli("fs", "upload", str(tmp_path / "big.bin"), "main:big.bin")
    healthy = cli("fsck", "--json").json()
    assert healthy["problems"] == []
    assert healthy["objects_checked"] > 0
    assert "nothing missing or damaged" in cli("fsck").stdout

    (blob,) = (path for path in (tmp_path / "repo" / "blobs").rglob("*") if path.is_file())
    blob.write_bytes(b"y" * blob.stat().st_size)
    damaged = cli("fsck", "--json", ok=False)
    assert damaged.returncode == 1
    assert damaged.stderr.splitlines() == [
        "sapwood: error: fsck found 1 problem(s): objects missing or damaged"
    ]
    (problem,) = damaged.json()["problems"]
    assert problem["object_type"] == "blob"
    assert problem["refs"] == ["branch main"]
    table = cli("fsck", ok=False)
    assert table.returncode == 1
    assert "branch main" in table.stdout

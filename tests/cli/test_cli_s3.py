"""The command line end to end on S3 (moto's server on 127.0.0.1): a folder round trip,
history, errors and what ``doctor`` reports."""

from __future__ import annotations

import os
from pathlib import Path

from sapwood_s3.testing import MotoServer

from .runner import Cli


def test_folder_round_trip_on_s3(moto_cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "small.txt").write_text("small")
    (source / "sub" / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    (source / "empty").write_bytes(b"")
    up = moto_cli("fs", "upload", str(source), "main:data/", "-r", "--json").json()
    assert up["summary"]["transferred_objects"] == 3
    back = tmp_path / "back"
    moto_cli("fs", "download", "main:data/", str(back), "-r")
    for name in ["small.txt", "sub/big.bin", "empty"]:
        assert (back / name).read_bytes() == (source / name).read_bytes()

    (source / "small.txt").unlink()
    synced = moto_cli("fs", "upload", str(source), "main:data/", "-r", "--delete", "--json")
    assert synced.json()["summary"]["deleted_objects"] == 1
    messages = [c["message"] for c in moto_cli("log", "main", "--json").json()]
    assert len(messages) == 3
    changes = moto_cli("diff", "main~1", "main", "--json").json()
    assert changes == [
        {"type": "removed", "path": "data/small.txt", "path_type": "object", "size_bytes": 5}
    ]


def test_errors_and_doctor_on_s3(moto_cli: Cli, tmp_path: Path) -> None:
    assert moto_cli("fs", "cat", "main:nothing", ok=False).returncode == 1
    assert moto_cli("log", "ghost", ok=False).returncode == 1
    (tmp_path / "x").write_text("base")
    moto_cli("fs", "upload", str(tmp_path / "x"), "main:x")
    moto_cli("branch", "create", "side")
    (tmp_path / "x").write_text("main")
    moto_cli("fs", "upload", str(tmp_path / "x"), "main:x")
    (tmp_path / "x").write_text("side")
    moto_cli("fs", "upload", str(tmp_path / "x"), "side:x")
    assert moto_cli("merge", "side", "main", ok=False).returncode == 3
    doctor = moto_cli("doctor", "--json").json()
    assert doctor["exists"] is True
    assert doctor["capabilities"]["conditional_create"] is True
    assert doctor["capabilities"]["byte_ranges"] is True
    assert doctor["refs_move_safely"] is True
    # Before `sapwood init`: what the backend supports, and the ref mode init would use.
    fresh = moto_cli.repo.replace("/repo", "/not-yet", 1)
    assert fresh != moto_cli.repo
    before = moto_cli("--repo", fresh, "doctor", "--json", repo=False).json()
    assert before["exists"] is False
    assert before["capabilities"] == doctor["capabilities"]
    assert (before["ref_mode"], before["format_version"]) == ("cas", None)


def test_a_profile_names_the_repository_and_its_credentials(
    moto_cli: Cli, moto_server: MotoServer, s3_bucket: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[profiles.lab]\n"
        f'match = ["s3://{s3_bucket}"]\n'
        f'repository = "s3://{s3_bucket}/from-profile"\n'
        f'endpoint_url = "{moto_server.endpoint_url}"\n'
        f'region = "{moto_server.region}"\n'
        'access_key_id = "testing"\n'
        'secret_access_key = "testing"\n',
        encoding="utf-8",
    )
    env = {
        k: v
        for k, v in moto_cli.env.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    profiled = Cli("unused", {**env, "SAPWOOD_CONFIG": str(config)}, tmp_path)
    profiled("--profile", "lab", "init", repo=False)
    (tmp_path / "p.txt").write_text("profile")
    profiled("--profile", "lab", "fs", "upload", str(tmp_path / "p.txt"), "main:p.txt", repo=False)
    keys = [
        item["Key"] for item in moto_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]
    ]
    assert any(key.startswith("from-profile/") for key in keys)
    assert profiled("--profile", "lab", "fs", "cat", "main:p.txt", repo=False).stdout == "profile"

"""What a new user types first: input that looks like a URL but is not one is refused
(never a local folder of that name), while ``file:data/repo`` is a relative folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sapwood
import sapwood.aio


@pytest.mark.parametrize("text", ["s3:my-bucket", "gs:bucket/path", "az:/container", "memory:x"])
def test_a_url_without_slashes_is_a_config_error(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sapwood.ConfigError, match="looks like a URL but is not one") as raised:
        sapwood.repository(text)
    scheme, _, rest = text.partition(":")
    assert f"'{scheme}://{rest.lstrip('/')}'" in str(raised.value)
    assert f"'./{text}'" in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # no folder named after the input


async def test_async_open_refuses_it_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sapwood.ConfigError, match="looks like a URL"):
        await sapwood.aio.AsyncRepository.open_or_create("s3:my-bucket")
    assert os.listdir(tmp_path) == []


def test_file_colon_relative_path_is_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with sapwood.repository("file:data/repo") as repo:
        repo.branch("main").upload(b"x", "x.txt")
        repo.branch("main").commit_changes("x")
    assert (tmp_path / "data" / "repo" / "config.json").exists()
    with sapwood.Repository.open(tmp_path / "data" / "repo") as again:
        assert again.branch("main").download("x.txt") == b"x"
    # a folder whose name merely contains a colon, written as a path, is still a folder
    with sapwood.repository(Path("./odd:name")) as odd:
        assert odd.default_branch == "main"
    assert (tmp_path / "odd:name" / "config.json").exists()


@pytest.mark.parametrize(
    ("module", "missing", "extra"),
    [
        ("sapwood.zarr", "zarr", "zarr"),
        ("sapwood.xarray", "xarray", "xarray"),
        ("sapwood.fsspec", "fsspec", "fsspec"),
    ],
)
def test_an_integration_without_its_extra_names_the_extra(
    module: str, missing: str, extra: str
) -> None:
    script = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "import sapwood\n"
        f"try:\n    import {module}\n"
        "except sapwood.PluginError as error:\n    print(error)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert f"pip install 'sapwood[{extra}]'" in ran.stdout, ran.stderr

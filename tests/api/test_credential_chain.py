"""The credential chain, link by link and in order: argument, init(), SAPWOOD_* and the
backend's own variables, a profile in the config file, the backend's default chain.

Each link is shown on memory and local stores through ``choose_credentials`` (what
``open_storage`` consults), then end to end on S3 against a moto server that checks every
request's signature.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import sapwood
from sapwood import StaticCredentials
from sapwood.credential_chain import choose_credentials, config_file_path, load_config_file
from sapwood_s3.testing import CheckingMotoServer, start_checking_moto_server

ARGUMENT = StaticCredentials(access_key_id="from-argument", secret_access_key="a")
INIT = StaticCredentials(access_key_id="from-init", secret_access_key="i")

PROFILES = """
default_profile = "fallback"

[profiles.fallback]
access_key_id = "from-default-profile"
secret_access_key = "d"

[profiles.data]
match = ["memory://data", "s3://data-*"]
access_key_id = "from-data-profile"
secret_access_key = "p"
region = "eu-west-1"
endpoint_url = "http://127.0.0.1:9"

[profiles.team]
match = ["memory://data/team"]
bearer_token = "from-team-profile"

[profiles.public]
match = ["memory://public"]
anonymous = true
"""


@pytest.fixture
def profiles(clean_chain: Path) -> Path:
    clean_chain.write_text(PROFILES)
    return clean_chain


def key_of(url: str) -> str | None:
    chosen = choose_credentials(url).credentials
    if isinstance(chosen, StaticCredentials):
        return chosen.access_key_id or chosen.bearer_token
    return None if chosen is None else type(chosen).__name__


def test_each_link_answers_in_order(profiles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "memory://data/sets"
    assert choose_credentials(url, ARGUMENT).credentials is ARGUMENT
    assert choose_credentials(url, ARGUMENT).source == "argument"
    assert key_of(url) == "from-data-profile"
    assert "profile 'data'" in choose_credentials(url).source
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "aws-key")
    assert key_of("s3://data-lake/x") is None  # the S3 backend reads AWS_* itself
    assert "AWS_ACCESS_KEY_ID" in choose_credentials("s3://data-lake/x").source
    assert key_of(url) == "from-data-profile"  # AWS_* mean nothing to the memory backend
    monkeypatch.setenv("SAPWOOD_ACCESS_KEY_ID", "sapwood-key")
    monkeypatch.setenv("SAPWOOD_SECRET_ACCESS_KEY", "s")
    assert key_of(url) == "FromEnvCredentials"
    assert key_of("s3://data-lake/x") == "FromEnvCredentials"
    sapwood.init(INIT)
    assert key_of(url) == "from-init"
    assert choose_credentials(url).source == "sapwood.init()"
    assert choose_credentials(url, ARGUMENT).credentials is ARGUMENT


def test_the_default_chain_answers_last(clean_chain: Path) -> None:
    choice = choose_credentials("s3://bucket/data")
    assert choice.credentials is None
    assert choice.source == "the backend's default chain"


def test_the_most_specific_pattern_wins(profiles: Path) -> None:
    assert key_of("memory://data/team/x") == "from-team-profile"
    assert key_of("memory://data/teams") == "from-data-profile"  # a prefix, not a string start
    assert key_of("s3://data-raw/2024") == "from-data-profile"  # a glob
    assert key_of("memory://public/x") == "AnonymousCredentials"
    assert key_of("memory://elsewhere") == "from-default-profile"


def test_a_profile_fills_in_store_settings_whoever_signs(profiles: Path) -> None:
    chosen = choose_credentials("s3://data-raw/x", ARGUMENT)
    assert chosen.store.region == "eu-west-1"
    assert chosen.store.endpoint_url == "http://127.0.0.1:9"
    own = choose_credentials(sapwood.ObjectStoreConfig.from_url("s3://data-raw/x", region="us-1"))
    assert own.store.region == "us-1"


def test_a_profile_is_chosen_by_name(profiles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPWOOD_PROFILE", "team")
    assert key_of("memory://anything") == "from-team-profile"
    sapwood.init(profile="public")
    assert key_of("memory://anything") == "AnonymousCredentials"
    sapwood.init(profile="missing")
    with pytest.raises(sapwood.ConfigError, match=r"missing.*profiles: data, fallback"):
        choose_credentials("memory://anything")


def test_init_takes_credentials_per_url_pattern(clean_chain: Path) -> None:
    sapwood.init({"memory://a": INIT, "memory://b/*": ARGUMENT})
    assert key_of("memory://a/x") == "from-init"
    assert key_of("memory://b/x") == "from-argument"
    assert key_of("memory://c") is None
    sapwood.init()
    assert key_of("memory://a/x") is None


def test_the_config_file_moves_with_sapwood_config_and_init(
    clean_chain: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_file_path() == clean_chain
    other = tmp_path / "other.toml"
    other.write_text('[profiles.p]\nmatch = ["memory://x"]\naccess_key_id = "k"\n')
    sapwood.init(config_file=other)
    assert key_of("memory://x") == "k"
    monkeypatch.delenv("SAPWOOD_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    sapwood.init()
    assert config_file_path() == tmp_path / "xdg" / "sapwood" / "config.toml"
    assert key_of("memory://x") is None


def test_a_bad_config_file_names_itself_and_the_field(clean_chain: Path) -> None:
    clean_chain.write_text('[profiles.p]\nmatch = ["memory://x"]\nacess_key_id = "typo"\n')
    with pytest.raises(sapwood.ConfigError, match=r"sapwood-config.toml.*acess_key_id"):
        load_config_file()
    clean_chain.write_text("[profiles.p\n")
    with pytest.raises(sapwood.ConfigError, match="not valid TOML"):
        choose_credentials("memory://x")
    clean_chain.write_text('[profiles.p]\nmatch = ["no-scheme"]\n')
    with pytest.raises(sapwood.ConfigError, match="not a URL pattern"):
        choose_credentials("memory://x")
    clean_chain.write_text('default_profile = "nope"\n')
    with pytest.raises(sapwood.ConfigError, match="default_profile"):
        choose_credentials("memory://x")


def test_profiles_never_show_secrets(profiles: Path) -> None:
    settings = load_config_file()
    assert "from-data-profile" in repr(settings.profiles["data"])
    assert "'p'" not in repr(settings.profiles["data"])
    choice = choose_credentials("memory://data/x")
    assert "from-data-profile" not in repr(choice)


def test_local_and_memory_repositories_open_through_the_chain(
    profiles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAPWOOD_ACCESS_KEY_ID", "only-half")  # a broken env link...
    with sapwood.repository(tmp_path / "repo") as local:
        local.branch("main").upload(b"x", "x")  # ...is never asked by backends without auth
        local.branch("main").commit_changes("x")
    name = f"chain-{uuid.uuid4().hex[:8]}"
    with sapwood.repository(f"memory://{name}") as memory:
        assert memory.branch("main").get_commit().message == "Repository created"


# -- end to end on S3, against a moto server that checks signatures ---------------------


@pytest.fixture(scope="module")
def checking() -> Iterator[CheckingMotoServer]:
    server = start_checking_moto_server()
    yield server
    server.server.stop()


@pytest.fixture
def bucket(checking: CheckingMotoServer) -> str:
    name = f"chain-{uuid.uuid4().hex[:12]}"
    checking.admin_client().create_bucket(Bucket=name)
    return name


def write_profile(
    path: Path, bucket: str, server: CheckingMotoServer, key: StaticCredentials
) -> None:
    path.write_text(
        f"""
[profiles.moto]
match = ["s3://{bucket}"]
access_key_id = "{key.access_key_id}"
secret_access_key = "{key.secret_access_key}"
region = "{server.server.region}"
endpoint_url = "{server.server.endpoint_url}"
"""
    )


def works(url: str, credentials: StaticCredentials | None = None) -> bool:
    try:
        with sapwood.repository(url, store_credentials=credentials) as repository:
            repository.branch("main").get_commit()
    except (sapwood.StorageError, sapwood.CredentialsError):
        return False
    return True


def test_on_s3_each_link_signs_and_earlier_links_win(
    clean_chain: Path,
    checking: CheckingMotoServer,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _, good = checking.new_user()
    bad = StaticCredentials(access_key_id="AKIAUNKNOWN000000000", secret_access_key="wrong")
    write_profile(clean_chain, bucket, checking, good)
    url = f"s3://{bucket}/repo"
    assert works(url)  # link 4: the profile signs (and supplies the endpoint)
    aws_files = tmp_path / "aws-credentials"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(bad.access_key_id))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(bad.secret_access_key))
    assert not works(url)  # link 3b: the backend's own variables beat the profile
    monkeypatch.setenv("SAPWOOD_ACCESS_KEY_ID", str(good.access_key_id))
    monkeypatch.setenv("SAPWOOD_SECRET_ACCESS_KEY", str(good.secret_access_key))
    assert works(url)  # link 3a: SAPWOOD_* beat AWS_*
    sapwood.init(bad)
    assert not works(url)  # link 2: init() beats the environment
    assert works(url, good)  # link 1: the argument beats everything
    sapwood.init()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    for name in ("SAPWOOD_ACCESS_KEY_ID", "SAPWOOD_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    clean_chain.write_text(
        f'[profiles.endpoint]\nmatch = ["s3://{bucket}"]\n'
        f'endpoint_url = "{checking.server.endpoint_url}"\n'
        f'region = "{checking.server.region}"\n'
    )
    aws_files.write_text(
        f"[default]\naws_access_key_id = {good.access_key_id}\n"
        f"aws_secret_access_key = {good.secret_access_key}\n"
    )
    assert works(url)  # link 5: boto3's default chain reads the shared credentials file
    aws_files.write_text("")
    assert not works(url)  # and with nothing anywhere, the request is refused

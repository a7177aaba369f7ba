"""A sapwood repository kept in an Azurite container, through the public sync API."""

from __future__ import annotations

import threading

import pytest

import sapwood
from sapwood.credentials import StaticCredentials
from sapwood_azure.storage import AzureStorage
from sapwood_azure.testing import Azurite


@pytest.fixture
def repo_url(azurite: Azurite, container_name: str, store: AzureStorage) -> str:
    """``az://`` URL of a folder in the test's fresh container (made by ``store``)."""
    return f"az://{container_name}/repo?endpoint_url={azurite.url}"


def test_commit_branch_merge_on_azure(repo_url: str, dev_credentials: StaticCredentials) -> None:
    with sapwood.repository(repo_url, store_credentials=dev_credentials) as repo:
        main = repo.branch("main")
        main.upload(b"first", "data/a.txt")
        first = main.commit_changes("one")
        dev = repo.branch("dev").create("main")
        dev.upload(b"second", "data/a.txt")
        dev.upload(b"new", "data/b.txt")
        dev.commit_changes("two")
        changed = sorted(change.path for change in repo.ref("main").diff("dev"))
        assert changed == ["data/a.txt", "data/b.txt"]
        dev.merge_into(main)
        assert main.download("data/a.txt") == b"second"
        assert repo.ref(first.id).download("data/a.txt") == b"first"
    with sapwood.repository(repo_url, store_credentials=dev_credentials) as reopened:
        messages = [commit.message for commit in reopened.branch("main").log()]
        assert messages[1:3] == ["two", "one"]


def test_concurrent_committers_lose_no_commit(
    repo_url: str, dev_credentials: StaticCredentials
) -> None:
    with sapwood.repository(repo_url, store_credentials=dev_credentials):
        pass  # created once, before the writers race
    writers, rounds = 3, 3
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with sapwood.repository(repo_url, store_credentials=dev_credentials) as repo:
                for round_ in range(rounds):
                    with repo.branch("main").transaction(f"w{number}-{round_}") as tx:
                        tx.upload(f"{number}-{round_}".encode(), f"w{number}/{round_}.txt")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    with sapwood.repository(repo_url, store_credentials=dev_credentials) as repo:
        main = repo.branch("main")
        messages = {commit.message for commit in main.log()}
        expected = {f"w{n}-{r}" for n in range(writers) for r in range(rounds)}
        assert expected <= messages
        for n in range(writers):
            for r in range(rounds):
                assert main.download(f"w{n}/{r}.txt") == f"{n}-{r}".encode()

"""Calls a derived sync method must refuse under ``mypy --strict``: its parameters are the
async twin's, checked as strictly as a hand-written signature would be.

Never run, only type-checked (by ``tests/api/test_twins.py``), which expects one error on
each line marked ``# error``."""

from __future__ import annotations

from sapwood import Repository


def misuse(repo: Repository) -> None:
    main = repo.branch("main")
    main.upload(b"data")  # error
    main.upload(b"data", 42)  # error
    main.commit_changes("message", unknown=True)  # error
    main.log(max_amount="many")  # error
    repo.branch(42)  # error
    main.head().upload(b"data", "a.txt")  # error
    Repository.open("memory://demo", unknown=1)  # error

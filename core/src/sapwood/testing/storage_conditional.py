"""Conformance: create-only writes, compare-and-swap updates, and races between them."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest

from sapwood.errors import AlreadyExistsError, NotFoundError, PreconditionFailedError
from sapwood.storage import ObjectMeta, Storage, Update
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import assert_refused

__all__ = ["ConditionalWriteTests"]


class ConditionalWriteTests(ConformanceSuite):
    """``put(mode="create")`` and ``put(mode=Update(etag))``.

    ``RACERS`` writers race for one key; exactly one may win. A backend that declares no
    conditional create or update must refuse such writes with a StorageError.
    """

    RACERS: ClassVar[int] = 16

    async def test_create_writes_a_new_key(self, store: Storage) -> None:
        if not store.capabilities.conditional_create:
            await assert_refused(store.put("new", b"x", mode="create"), "conditional create")
            return
        meta = await store.put("new", b"first", mode="create")
        assert meta.etag
        assert await store.get("new") == b"first"

    async def test_create_over_an_existing_key_fails(self, store: Storage) -> None:
        original = await store.put("taken", b"original")
        if not store.capabilities.conditional_create:
            await assert_refused(store.put("taken", b"x", mode="create"), "conditional create")
            assert await store.get("taken") == b"original"
            return
        with pytest.raises(AlreadyExistsError) as caught:
            await store.put("taken", b"intruder", mode="create")
        assert isinstance(caught.value, PreconditionFailedError)
        assert isinstance(caught.value, FileExistsError)
        assert await store.get("taken") == b"original"
        assert (await store.head("taken")).etag == original.etag

    async def test_create_after_delete_succeeds(self, store: Storage) -> None:
        if not store.capabilities.conditional_create:
            await assert_refused(store.put("again", b"1", mode="create"), "conditional create")
            return
        await store.put("again", b"1", mode="create")
        await store.delete("again")
        await store.put("again", b"2", mode="create")
        assert await store.get("again") == b"2"

    async def test_update_with_the_current_etag_succeeds(self, store: Storage) -> None:
        first = await store.put("ref", b"v1")
        assert first.etag is not None
        if not store.capabilities.conditional_update:
            await assert_refused(
                store.put("ref", b"v2", mode=Update(first.etag)), "conditional update"
            )
            assert await store.get("ref") == b"v1"
            return
        second = await store.put("ref", b"v2", mode=Update(first.etag))
        assert second.etag
        assert second.etag != first.etag
        assert await store.get("ref") == b"v2"
        assert (await store.head("ref")).etag == second.etag
        assert second.etag is not None
        third = await store.put("ref", b"v3", mode=Update(second.etag))
        assert await store.get("ref") == b"v3"
        assert third.etag not in (first.etag, second.etag)

    async def test_update_keeps_content_type_and_metadata_given(self, store: Storage) -> None:
        first = await store.put("ref", b"v1")
        assert first.etag is not None
        if not store.capabilities.conditional_update:
            await assert_refused(store.put("ref", b"v2", mode=Update(first.etag)), "CAS")
            return
        await store.put(
            "ref", b"v2", mode=Update(first.etag), content_type="text/plain", metadata={"k": "v"}
        )
        meta = await store.head("ref")
        assert (meta.content_type, meta.metadata) == ("text/plain", {"k": "v"})

    async def test_update_with_a_stale_etag_fails(self, store: Storage) -> None:
        first = await store.put("ref", b"v1")
        await store.put("ref", b"v2 by someone else")
        assert first.etag is not None
        if not store.capabilities.conditional_update:
            await assert_refused(
                store.put("ref", b"v3", mode=Update(first.etag)), "conditional update"
            )
            return
        with pytest.raises(PreconditionFailedError):
            await store.put("ref", b"v3", mode=Update(first.etag))
        assert await store.get("ref") == b"v2 by someone else"

    async def test_update_with_a_made_up_etag_fails(self, store: Storage) -> None:
        await store.put("ref", b"v1")
        if not store.capabilities.conditional_update:
            await assert_refused(store.put("ref", b"v2", mode=Update('"made-up"')), "CAS")
            return
        with pytest.raises(PreconditionFailedError):
            await store.put("ref", b"v2", mode=Update('"not-an-etag-of-this-object"'))
        assert await store.get("ref") == b"v1"

    async def test_update_of_a_missing_key_fails(self, store: Storage) -> None:
        existing = await store.put("elsewhere", b"x")
        assert existing.etag is not None
        if not store.capabilities.conditional_update:
            await assert_refused(store.put("missing", b"v", mode=Update(existing.etag)), "CAS")
            return
        with pytest.raises((NotFoundError, PreconditionFailedError)):
            await store.put("missing", b"v", mode=Update(existing.etag))
        with pytest.raises(NotFoundError):
            await store.head("missing")

    async def test_update_of_a_deleted_key_fails(self, store: Storage) -> None:
        first = await store.put("gone", b"v1")
        assert first.etag is not None
        await store.delete("gone")
        if not store.capabilities.conditional_update:
            await assert_refused(store.put("gone", b"v2", mode=Update(first.etag)), "CAS")
            return
        with pytest.raises((NotFoundError, PreconditionFailedError)):
            await store.put("gone", b"v2", mode=Update(first.etag))
        with pytest.raises(NotFoundError):
            await store.head("gone")

    async def test_racing_creates_leave_exactly_one_winner(self, store: Storage) -> None:
        if not store.capabilities.conditional_create:
            await assert_refused(store.put("contested", b"x", mode="create"), "create")
            return
        payloads = [f"writer {i}".encode() for i in range(self.RACERS)]
        results = await asyncio.gather(
            *(store.put("contested", p, mode="create") for p in payloads),
            return_exceptions=True,
        )
        winners = [i for i, r in enumerate(results) if isinstance(r, ObjectMeta)]
        losers = [r for r in results if not isinstance(r, ObjectMeta)]
        assert len(winners) == 1, f"{len(winners)} creates of one key succeeded: {results}"
        unexpected = [r for r in losers if not isinstance(r, AlreadyExistsError)]
        assert unexpected == [], f"losers must get AlreadyExistsError, got {unexpected}"
        assert await store.get("contested") == payloads[winners[0]]

    async def test_racing_compare_and_swaps_leave_exactly_one_winner(self, store: Storage) -> None:
        base = await store.put("counter", b"0")
        assert base.etag is not None
        if not store.capabilities.conditional_update:
            await assert_refused(store.put("counter", b"1", mode=Update(base.etag)), "CAS")
            return
        payloads = [f"swap {i}".encode() for i in range(self.RACERS)]
        results = await asyncio.gather(
            *(store.put("counter", p, mode=Update(base.etag)) for p in payloads),
            return_exceptions=True,
        )
        winners = [i for i, r in enumerate(results) if isinstance(r, ObjectMeta)]
        losers = [r for r in results if not isinstance(r, ObjectMeta)]
        assert len(winners) == 1, f"{len(winners)} swaps from one etag succeeded: {results}"
        unexpected = [r for r in losers if not isinstance(r, PreconditionFailedError)]
        assert unexpected == [], f"losers must get PreconditionFailedError, got {unexpected}"
        data, meta = await store.get_with_meta("counter")
        assert data == payloads[winners[0]]
        winner = results[winners[0]]
        assert isinstance(winner, ObjectMeta)
        assert meta.etag == winner.etag

    async def test_increments_by_compare_and_swap_lose_no_update(self, store: Storage) -> None:
        base = await store.put("count", b"0")
        if not store.capabilities.conditional_update:
            assert base.etag is not None
            await assert_refused(store.put("count", b"1", mode=Update(base.etag)), "CAS")
            return
        workers, rounds = 4, 5

        async def increment() -> None:
            done = 0
            while done < rounds:
                data, meta = await store.get_with_meta("count")
                assert meta.etag is not None
                try:
                    await store.put("count", b"%d" % (int(data) + 1), mode=Update(meta.etag))
                except PreconditionFailedError:
                    continue
                done += 1

        await asyncio.gather(*(increment() for _ in range(workers)))
        assert await store.get("count") == b"%d" % (workers * rounds)

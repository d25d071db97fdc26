"""Smoke test of the Python bindings (handy for scripting a home node): two nodes on 127.0.0.1
with mDNS off, an item and a loan travelling between them, events, and typed errors.
Run with scripts/bindings/test-python.sh (it generates the module next to the library)."""

import asyncio
import datetime
import threading

import pytest

import partage_ffi as p


def ms(n):
    """A duration in milliseconds (the bindings take datetime.timedelta)."""
    return datetime.timedelta(milliseconds=n)


LOOPBACK = p.NetworkConfig(listen_addresses=["/ip4/127.0.0.1/tcp/0"])


async def eventually(what, check, timeout=15.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def titles(node):
    return [i.title for i in await node.list_items(p.ItemFilter())]


class Recorder:
    """An event listener that keeps what it receives."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def on_event(self, event):
        with self.lock:
            self.events.append(event)

    def has(self, kind):
        with self.lock:
            return any(isinstance(e, kind) for e in self.events)

    def first(self):
        with self.lock:
            return self.events[0]


async def networked_pair(tmp_path):
    """Alice founds a neighbourhood and listens on 127.0.0.1; Bob joins with a ticket carrying
    her address (his network is not started)."""
    alice = await p.Node.open(str(tmp_path / "alice"))
    bob = await p.Node.open(str(tmp_path / "bob"))
    await alice.create_identity("Alice")
    await bob.create_identity("Bob")
    hood = (await alice.create_neighbourhood("Rue des Lilas")).id
    await alice.start_network(LOOPBACK)
    ad = await alice.advertisement(ms(5000))
    assert ad.addresses and all(a.startswith("/ip4/127.0.0.1/tcp/") for a in ad.addresses)
    await bob.join(await alice.invite(hood, 7, 1, ad.addresses))
    return alice, bob, hood


def test_two_networked_nodes_share_an_item_and_run_a_loan(tmp_path):
    async def scenario():
        alice, bob, hood = await networked_pair(tmp_path)

        recorder = Recorder()
        subscription = bob.subscribe(recorder)
        drill = await alice.add_item(hood, p.ItemDraft(title="Perceuse", category=p.Category.TOOLS))
        await bob.start_network(LOOPBACK)

        async def arrived():
            return await titles(bob) == ["Perceuse"]

        await eventually("the item on bob's side", arrived)
        await eventually("the event", lambda: asyncio.sleep(0, recorder.has(p.NodeEvent.ITEM_ADDED)))
        assert isinstance(recorder.first(), p.NodeEvent.SNAPSHOT)
        assert recorder.has(p.NodeEvent.NETWORK)
        subscription.cancel()
        assert not subscription.is_active()

        today = datetime.datetime.now(datetime.timezone.utc).date()
        loan = await bob.request_loan(drill.id, today, today + datetime.timedelta(days=2), "merci")
        # Days are datetime.date, instants aware datetime.datetime (UTC), durations timedelta.
        assert loan.until == today + datetime.timedelta(days=2)
        assert loan.requested_at.tzinfo is not None
        assert loan.requested_at <= datetime.datetime.now(datetime.timezone.utc)

        async def state(node, wanted):
            return (await node.loan(loan.id)).state == wanted if await node.loans(p.LoanFilter(mine=True)) else False

        await eventually("the request on alice's side", lambda: state(alice, p.LoanState.REQUESTED))
        await alice.accept_loan(loan.id, "ok")
        await alice.hand_over(loan.id)
        await eventually("the hand-over on bob's side", lambda: state(bob, p.LoanState.HANDED_OVER))
        await bob.mark_returned(loan.id)
        await eventually("the return on alice's side", lambda: state(alice, p.LoanState.RETURNED))
        assert (await alice.confirm_return(loan.id, "")).state == p.LoanState.CLOSED

        await alice.shutdown()
        await bob.shutdown()

    asyncio.run(scenario())


def test_bad_input_is_a_typed_error_with_a_message(tmp_path):
    async def scenario():
        node = await p.Node.open(str(tmp_path / "n"))
        await node.create_identity("Carole")
        hood = (await node.create_neighbourhood("Quartier")).id
        with pytest.raises(p.PartageError.InvalidInput) as empty:
            await node.add_item(hood, p.ItemDraft(title="  "))
        assert str(empty.value) == "title is empty"
        with pytest.raises(p.PartageError.BadTicket) as ticket:
            await node.join("hello")
        assert str(ticket.value) == 'this is not a Partage ticket (it should start with "partage2")'
        assert await node.list_items(p.ItemFilter()) == []

    asyncio.run(scenario())


def test_error_kinds_and_event_effects_come_from_rust():
    names = [p.error_kind_name(kind) for kind in p.ErrorKind]
    assert len(names) == len(set(names)) == 23
    assert p.error_kind_name(p.ErrorKind.BAD_TICKET) == "bad_ticket"
    joined = p.NodeEvent.NEIGHBOURHOOD_JOINED(neighbourhood_id="n", name="Rue")
    assert joined.effects() == p.EventEffects(items=False, loans=False, neighbourhoods=True, peers=False)
    assert p.NodeEvent.OVERFLOW(missed=1).effects() == p.EventEffects(
        items=False, loans=False, neighbourhoods=False, peers=False
    )


def test_a_catalogue_goes_in_all_or_nothing_and_pages_through_search(tmp_path):
    async def scenario():
        node = await p.Node.open(str(tmp_path / "n"))
        await node.create_identity("Outilthèque")
        hood = (await node.create_neighbourhood("Quartier")).id
        drafts = [p.ItemDraft(title=f"Outil {i}", category=p.Category.TOOLS) for i in range(60)]
        drafts[7] = p.ItemDraft(title="  ")
        with pytest.raises(p.PartageError.InvalidInput) as refused:
            await node.add_items(hood, drafts)
        assert "item 8: title is empty" in str(refused.value)
        assert await node.list_items(p.ItemFilter()) == []
        drafts[7] = p.ItemDraft(title="Outil 7")
        added = await node.add_items(hood, drafts)
        assert len(added) == 60
        first = await node.search_page("outil", p.ItemFilter(), 25, 0)
        rest = await node.search_page("outil", p.ItemFilter(), 100, 25)
        assert (first.total, len(first.items), len(rest.items)) == (60, 25, 35)
        whole = await node.search("outil", p.ItemFilter())
        assert [i.id for i in first.items + rest.items] == [i.id for i in whole]

    asyncio.run(scenario())


def test_encrypted_and_data_only_exports(tmp_path):
    async def scenario():
        node = await p.Node.open(str(tmp_path / "n"))
        await node.create_identity("Dora")
        hood = (await node.create_neighbourhood("Quartier")).id
        await node.add_item(hood, p.ItemDraft(title="Scie sauteuse"))
        backup = str(tmp_path / "backup.partage")
        summary = await node.export_to_file(backup, "trois petits chats")
        assert summary.items == 1
        assert open(backup, "rb").read().startswith(b"partage-encrypted\n")
        assert (tmp_path / "backup.partage").stat().st_mode & 0o777 == 0o600

        fresh = await p.Node.open(str(tmp_path / "fresh"))
        with pytest.raises(p.PartageError.InvalidInput) as missing:
            await fresh.import_from_file(backup)
        assert str(missing.value) == "this export is encrypted: give its passphrase"
        with pytest.raises(p.PartageError.CorruptExport) as wrong:
            await fresh.import_from_file(backup, "trois petits chiens")
        assert str(wrong.value) == "wrong passphrase, or the file was damaged"
        assert await fresh.identity() is None
        assert (await fresh.import_from_file(backup, "trois petits chats")).items == 1
        assert await titles(fresh) == ["Scie sauteuse"]

        mine = str(tmp_path / "mine.json")
        data = await node.export_data_only(mine)
        assert (data.neighbourhoods, data.items, data.loans) == (1, 1, 0)
        assert "Scie sauteuse" in open(mine).read() and "_secret" not in open(mine).read()
        other = await p.Node.open(str(tmp_path / "other"))
        with pytest.raises(p.PartageError.CorruptExport) as refused:
            await other.import_from_file(mine)
        assert "not a backup" in str(refused.value)

    asyncio.run(scenario())


def test_a_tablet_links_to_alices_identity_by_code(tmp_path):
    async def scenario():
        alice = await p.Node.open(str(tmp_path / "alice"))
        tablet = await p.Node.open(str(tmp_path / "tablet"))
        await alice.create_identity("Alice")
        hood = (await alice.create_neighbourhood("Rue des Lilas")).id
        await alice.add_item(hood, p.ItemDraft(title="Perceuse", category=p.Category.TOOLS))
        await alice.start_network(LOOPBACK)
        code = await alice.offer_device_link(False)
        assert code.startswith("partagelink1")

        summary = await tablet.link_to_identity(code, ms(30_000))
        assert summary.neighbourhoods == 1
        me, linked = await alice.identity(), await tablet.identity()
        assert linked.member_id == me.member_id and linked.device_id != me.device_id
        assert await titles(tablet) == ["Perceuse"]
        devices = await tablet.devices()
        assert len(devices) == 2 and devices[0].is_this_device

        # The tablet holds no member key; the phone revokes it.
        with pytest.raises(p.PartageError.NotAllowed):
            await tablet.revoke_device(me.device_id)
        await alice.revoke_device(linked.device_id)
        assert any(d.device_id == linked.device_id and d.revoked for d in await alice.devices())
        # A used code links nothing more.
        other = await p.Node.open(str(tmp_path / "other"))
        with pytest.raises(p.PartageError.NotAllowed):
            await other.link_to_identity(code, ms(30_000))
        assert await other.identity() is None
        await alice.shutdown()

    asyncio.run(scenario())


def test_erasing_reaches_a_networked_neighbour(tmp_path):
    async def scenario():
        alice, bob, hood = await networked_pair(tmp_path)
        await bob.add_item(hood, p.ItemDraft(title="Scie de Bob", category=p.Category.TOOLS))
        await bob.start_network(LOOPBACK)

        async def has_saw():
            return await titles(alice) == ["Scie de Bob"]

        await eventually("Bob's item on Alice's side", has_saw)
        await bob.erase(hood)
        assert await bob.has_left(hood)
        assert await bob.neighbourhoods() == []

        async def saw_gone():
            return await titles(alice) == []

        await eventually("Bob's item erased on Alice's side", saw_gone)
        assert all(m.name != "Bob" for m in await alice.members(hood))
        await alice.shutdown()
        await bob.shutdown()

    asyncio.run(scenario())


def png(width, height):
    """A PNG (red left half, blue right half) written by hand: no imaging library needed."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(b"\xc8\x00\x00" if x < width // 2 else b"\x00\x00\xc8" for x in range(width))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Progress:
    def __init__(self):
        self.reports = []

    def on_progress(self, progress):
        self.reports.append(progress)


def test_a_photo_added_on_one_node_is_read_back_on_another(tmp_path):
    async def scenario():
        alice, bob, hood = await networked_pair(tmp_path)
        drill = await alice.add_item(hood, p.ItemDraft(title="Perceuse", category=p.Category.TOOLS))
        photo = await alice.add_photo(drill.id, png(300, 200))
        assert (await alice.item(drill.id)).photos == [photo]
        original = await alice.photo(photo, None)
        assert original[:2] == b"\xff\xd8" and b"Exif" not in original
        await bob.start_network(LOOPBACK)

        async def arrived():
            return await titles(bob) == ["Perceuse"]

        async def thumbnail_arrived():
            return await bob.thumbnail(photo) is not None

        await eventually("the item on bob's side", arrived)
        assert (await bob.item(drill.id)).photos == [photo]
        await eventually("the thumbnail on bob's side", thumbnail_arrived)
        progress = Progress()
        assert await bob.photo(photo, progress) == original
        assert progress.reports and progress.reports[-1].received_bytes == len(original)
        with pytest.raises(p.PartageError.InvalidInput):
            await bob.thumbnail("not a photo")
        await alice.shutdown()
        await bob.shutdown()

    asyncio.run(scenario())

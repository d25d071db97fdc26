"""Background sync and cancellation from Python (asyncio): two or three nodes on
127.0.0.1 with mDNS off. Run with scripts/bindings/test-python.sh."""

import asyncio
import datetime
import socket
import time

import pytest

import partage_ffi as p


def ms(n):
    """A duration in milliseconds (the bindings take datetime.timedelta)."""
    return datetime.timedelta(milliseconds=n)


LOOPBACK = p.NetworkConfig(listen_addresses=["/ip4/127.0.0.1/tcp/0"])
# Cancelled calls must leave the network idle within 1 s (the bound; a call that is not
# aborted runs on for the 10 s of the tarpit dial). The abort is immediate: measured at 11-28 ms on
# a loaded 2-core machine (printed with pytest -s).
IDLE_DEADLINE = 1.0


class Tarpit:
    """A TCP port on 127.0.0.1 that never answers (the kernel completes the handshake, nothing is
    read or written): a libp2p dial to it hangs until libp2p's 10 s connection timeout."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.address = f"/ip4/127.0.0.1/tcp/{self.sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc):
        self.sock.close()


async def status_until(node, what, ok, timeout=15.0):
    """Polls the network status until `ok(status)`; returns how long it took."""
    start = time.monotonic()
    while True:
        status = node.network_status()
        if ok(status):
            return time.monotonic() - start
        assert time.monotonic() - start < timeout, f"{what}: still {status} after {timeout} s"
        await asyncio.sleep(0.01)


async def pair(tmp_path, tarpit=None):
    """Alice founds a neighbourhood; Bob joins by ticket and connects (and verifies her)."""
    alice = await p.Node.open(str(tmp_path / "alice"))
    bob = await p.Node.open(str(tmp_path / "bob"))
    await alice.create_identity("Alice")
    await bob.create_identity("Bob")
    hood = (await alice.create_neighbourhood("Rue des Lilas")).id
    await alice.start_network(LOOPBACK)
    ad = await alice.advertisement(ms(5000))
    await bob.join(await alice.invite(hood, 7, 1, ad.addresses))
    peers = [tarpit.address] if tarpit else []
    await bob.start_network(p.NetworkConfig(listen_addresses=LOOPBACK.listen_addresses, peer_addresses=peers))
    await status_until(bob, "bob verified alice", lambda s: any(x.connected and x.member_id for x in bob.peers()))
    # On one machine, no home node: the peer is reached directly.
    alice_seen = next(x for x in bob.peers() if x.connected and x.member_id)
    assert alice_seen.path == p.ConnectionPath.DIRECT and not alice_seen.home_node
    return alice, bob, hood


async def titles(node):
    return sorted(i.title for i in await node.list_items(p.ItemFilter()))


def test_background_sync_while_paused_resumes_syncs_and_pauses_again(tmp_path):
    async def scenario():
        alice, bob, hood = await pair(tmp_path)
        await bob.pause_network()
        await status_until(bob, "paused", lambda s: s.paused and s.connected_peers == 0)
        with pytest.raises(p.PartageError.Paused):
            await bob.sync_now(ms(1000))
        await alice.add_item(hood, p.ItemDraft(title="Scie sauteuse"))
        report = await bob.sync_in_background(ms(20000))
        assert report.network_before == p.NetworkState.PAUSED
        assert report.peers_synced == 1 and report.docs_received >= 1 and not report.timed_out, report
        assert await titles(bob) == ["Scie sauteuse"]
        assert bob.is_network_paused()
        await status_until(bob, "idle again", lambda s: s.paused and s.connected_peers == 0 and s.background_syncs == 0)
        await alice.shutdown()
        await bob.shutdown()

    asyncio.run(scenario())


def test_cancelling_a_long_sync_now_leaves_the_network_idle(tmp_path):
    async def scenario():
        with Tarpit() as tarpit:
            alice, bob, hood = await pair(tmp_path, tarpit)
            call = asyncio.create_task(bob.sync_now(ms(60000)))
            await status_until(bob, "sync_now in flight", lambda s: s.calls_in_flight == 1)
            await asyncio.sleep(0.3)
            assert not call.done()
            cancelled = time.monotonic()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await status_until(
                bob, "idle after the cancel", lambda s: s.calls_in_flight == 0 and s.syncing_peers == 0, IDLE_DEADLINE
            )
            print(f"sync_now cancelled: idle after {time.monotonic() - cancelled:.3f} s")
            # The node works on: a change of Alice's still arrives.
            await alice.add_item(hood, p.ItemDraft(title="Perceuse"))
            deadline = time.monotonic() + 15
            while await titles(bob) != ["Perceuse"]:
                assert time.monotonic() < deadline, "no item after the cancel"
                await asyncio.sleep(0.02)
            await alice.shutdown()
            await bob.shutdown()

    asyncio.run(scenario())


def test_cancelling_a_background_sync_pauses_the_network_again(tmp_path):
    async def scenario():
        with Tarpit() as tarpit:
            alice, bob, _ = await pair(tmp_path, tarpit)
            await bob.pause_network()
            await status_until(bob, "paused", lambda s: s.paused and s.connected_peers == 0)
            call = asyncio.create_task(bob.sync_in_background(ms(60000)))
            await status_until(
                bob, "resumed for the sync", lambda s: s.background_syncs == 1 and not s.paused and s.connected_peers >= 1
            )
            await asyncio.sleep(0.3)
            assert not call.done()
            cancelled = time.monotonic()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await status_until(
                bob,
                "paused and idle after the cancel",
                lambda s: s.paused and s.connected_peers == 0 and s.calls_in_flight == 0 and s.background_syncs == 0,
                IDLE_DEADLINE,
            )
            print(f"background sync cancelled: paused and idle after {time.monotonic() - cancelled:.3f} s")
            await alice.shutdown()
            await bob.shutdown()

    asyncio.run(scenario())

"""The log hook from Python: a logger implemented in Python receives Partage's records (fed from
Rust's `tracing`). Run with scripts/bindings/test-python.sh."""

import asyncio
import datetime
import threading
import time

import pytest

import partage_ffi as p


def ms(n):
    """A duration in milliseconds (the bindings take datetime.timedelta)."""
    return datetime.timedelta(milliseconds=n)


LOOPBACK = p.NetworkConfig(listen_addresses=["/ip4/127.0.0.1/tcp/0"])


class CollectingLogger:
    """A logger implemented in Python: keeps what it receives (called on Partage's log thread)."""

    def __init__(self):
        self.records = []
        self.lock = threading.Lock()

    def log(self, level, target, message):
        with self.lock:
            self.records.append((level, target, message))

    def has(self, check):
        with self.lock:
            return any(check(*r) for r in self.records)


def test_log_records_arrive_in_python(tmp_path):
    async def scenario():
        logger = CollectingLogger()
        p.install_logger(logger, p.LogLevel.DEBUG)
        with pytest.raises(p.PartageError.InvalidInput):
            p.install_logger(CollectingLogger(), p.LogLevel.INFO)
        alice = await p.Node.open(str(tmp_path / "alice"))
        bob = await p.Node.open(str(tmp_path / "bob"))
        await alice.create_identity("Alice")
        await bob.create_identity("Bob")
        hood = (await alice.create_neighbourhood("Rue des Lilas")).id
        await alice.start_network(LOOPBACK)
        ticket = await alice.invite(hood, 7, 1, (await alice.advertisement(ms(5000))).addresses)
        await bob.join(ticket)
        await bob.start_network(LOOPBACK)
        deadline = time.monotonic() + 15
        while not (
            logger.has(lambda lvl, t, m: t == "partage_ffi::network" and m == "network started")
            and logger.has(lambda lvl, t, m: t == "partage_net" and lvl == p.LogLevel.DEBUG)
        ):
            assert time.monotonic() < deadline, logger.records[:20]
            await asyncio.sleep(0.01)
        # No piece of the ticket (it carries the invite secret) in any record.
        body = ticket.removeprefix("partage2")
        pieces = [body[i : i + 16] for i in range(0, len(body) - 15, 16)]
        assert len(pieces) > 4, ticket
        assert not logger.has(lambda lvl, t, m: any(x in m for x in pieces)), "a ticket was logged"
        stats = p.log_stats()
        assert stats.installed and stats.delivered > 0 and stats.logger_errors == 0, stats
        p.set_log_level(p.LogLevel.WARN)
        await alice.shutdown()
        await bob.shutdown()

    asyncio.run(scenario())

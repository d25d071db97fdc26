"""`PartageError.kind` in Python: the Rust core's ErrorKind, read from real failures and from every
variant (the same taxonomy as Kotlin's `e.kind` and Swift's `error.kind`)."""

import asyncio

import pytest

import partage as p


def test_real_failures_carry_their_kind_and_message(tmp_path):
    async def scenario():
        node = await p.Node.open(str(tmp_path / "n"))
        with pytest.raises(p.PartageError) as no_identity:
            await node.create_neighbourhood("Trop tôt")
        assert no_identity.value.kind == p.ErrorKind.NO_IDENTITY
        assert isinstance(no_identity.value, p.PartageError.NoIdentity)

        await node.create_identity("Alice")
        hood = (await node.create_neighbourhood("Rue")).id
        with pytest.raises(p.PartageError) as empty:
            await node.add_item(hood, p.ItemDraft(title="  "))
        assert empty.value.kind == p.ErrorKind.INVALID_INPUT
        assert empty.value.kind.code == "invalid_input"
        assert str(empty.value) == "title is empty"

        with pytest.raises(p.PartageError) as ticket:
            await node.join("hello")
        assert ticket.value.kind == p.ErrorKind.BAD_TICKET
        assert ticket.value.kind.code == "bad_ticket"

    asyncio.run(scenario())


def test_every_variant_reads_as_the_kind_of_the_same_name():
    seen = set()
    for kind in p.ErrorKind:
        variant = "".join(word.capitalize() for word in kind.name.split("_"))
        error = getattr(p.PartageError, variant)("m")
        assert error.kind == kind, variant
        assert error.kind.code == p.error_kind_name(kind)
        seen.add(error.kind)
    assert len(seen) == 23

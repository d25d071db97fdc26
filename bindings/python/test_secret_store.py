"""A `SecretStore` implemented in Python (standing in for the Android Keystore / iOS Keychain, as
the Kotlin and Swift tests do): the member and device secrets go to the store, never to a file of
the data directory, and the node reopens with them. Run with scripts/bindings/test-python.sh."""

import asyncio
import threading

import pytest

import partage_ffi as p


class MemorySecretStore(p.SecretStore):
    """Secrets in a dict. Called by Rust on a background thread, hence the lock."""

    def __init__(self):
        self.secrets = {}
        self.calls = []
        self.lock = threading.Lock()

    def load(self, name):
        with self.lock:
            self.calls.append(("load", name))
            return self.secrets.get(name)

    def save(self, name, secret):
        with self.lock:
            self.calls.append(("save", name))
            self.secrets[name] = bytes(secret)

    def delete(self, name):
        with self.lock:
            self.calls.append(("delete", name))
            self.secrets.pop(name, None)


class FailingSecretStore(p.SecretStore):
    """A store that cannot save (a locked keystore): with the typed error, or any exception."""

    def __init__(self, error):
        self.error = error

    def load(self, name):
        return None

    def save(self, name, secret):
        raise self.error

    def delete(self, name):
        raise self.error


def files_containing(directory, secret):
    """Paths of the files under `directory` that hold `secret`, raw or as hex text (either case)."""
    needles = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    return [
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]


def test_secrets_go_to_the_python_store_not_to_the_data_directory_and_survive_reopening(tmp_path):
    data_dir = tmp_path / "node"
    store = MemorySecretStore()

    async def scenario():
        node = await p.Node.open_with_secret_store(str(data_dir), store)
        me = await node.create_identity("Alice")
        hood = (await node.create_neighbourhood("Rue des Lilas")).id
        await node.add_item(hood, p.ItemDraft(title="Perceuse"))
        await node.set_name("Alice B")
        assert set(store.secrets) == {f"partage.device.{me.device_id}", f"partage.member.{me.member_id}"}
        assert all(len(secret) == 32 for secret in store.secrets.values())
        # The search does find keys where they are: a plain export holds them.
        export = tmp_path / "backup.partage"
        await node.export_to_file(str(export), None)
        assert all(files_containing(tmp_path, s) == ["backup.partage"] for s in store.secrets.values())
        await node.shutdown()
        del node
        export.unlink()

        assert any(data_dir.rglob("*")), "the data directory holds the store's files"
        for name, secret in store.secrets.items():
            assert files_containing(data_dir, secret) == [], f"a file of the data directory holds {name}"

        # Reopened with the same store: the same identity, and it still signs.
        store.calls.clear()
        node = await p.Node.open_with_secret_store(str(data_dir), store)
        identity = await node.identity()
        assert (identity.name, identity.device_id, identity.member_id) == ("Alice B", me.device_id, me.member_id)
        assert ("load", f"partage.device.{me.device_id}") in store.calls
        hood = (await node.neighbourhoods())[0].id
        assert (await node.add_item(hood, p.ItemDraft(title="Scie"))).title == "Scie"
        assert sorted(i.title for i in await node.list_items(p.ItemFilter())) == ["Perceuse", "Scie"]
        await node.shutdown()
        del node

        # Without the store, or with another device's store that lacks the keys: refused.
        with pytest.raises(p.PartageError.Storage) as without_store:
            await p.Node.open(str(data_dir))
        assert "secret store" in str(without_store.value)
        with pytest.raises(p.PartageError.Storage) as elsewhere:
            await p.Node.open_with_secret_store(str(data_dir), MemorySecretStore())
        assert "missing from the secret store" in str(elsewhere.value)

    asyncio.run(scenario())


def test_erasing_the_installation_deletes_its_keys_from_the_store_and_its_files(tmp_path):
    data_dir = tmp_path / "node"
    store = MemorySecretStore()

    async def scenario():
        node = await p.Node.open_with_secret_store(str(data_dir), store)
        me = await node.create_identity("Alice")
        await node.create_neighbourhood("Rue")
        with pytest.raises(p.PartageError.Storage) as still_open:
            await p.erase_installation(str(data_dir), store)
        assert "close that node first" in str(still_open.value)
        assert len(store.secrets) == 2
        await node.shutdown()
        del node

        # A store that cannot delete: the call fails and the files stay.
        with pytest.raises(p.PartageError.Storage) as failing:
            await p.erase_installation(str(data_dir), FailingSecretStore(RuntimeError("keychain locked")))
        assert "keychain locked" in str(failing.value)
        assert any(data_dir.rglob("*"))

        await p.erase_installation(str(data_dir), store)
        assert store.secrets == {}
        assert ("delete", f"partage.device.{me.device_id}") in store.calls
        assert not data_dir.exists()

    asyncio.run(scenario())


def test_keys_already_in_the_data_directory_move_into_the_store(tmp_path):
    data_dir = tmp_path / "node"

    async def scenario():
        node = await p.Node.open(str(data_dir))
        me = await node.create_identity("Bob")
        await node.create_neighbourhood("Cour")
        await node.shutdown()
        del node

        store = MemorySecretStore()
        node = await p.Node.open_with_secret_store(str(data_dir), store)
        assert set(store.secrets) == {f"partage.device.{me.device_id}", f"partage.member.{me.member_id}"}
        await node.shutdown()
        del node
        for name, secret in store.secrets.items():
            assert files_containing(data_dir, secret) == [], f"a file of the data directory still holds {name}"

        node = await p.Node.open_with_secret_store(str(data_dir), store)
        assert (await node.identity()).name == "Bob"
        await node.shutdown()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "error, reason",
    [
        (p.SecretStoreError.Failed(reason="keystore locked"), "keystore locked"),
        (RuntimeError("boom"), "boom"),
    ],
    ids=["typed error", "any exception"],
)
def test_a_store_that_cannot_save_fails_the_call_and_creates_no_identity(tmp_path, error, reason):
    data_dir = tmp_path / "node"

    async def scenario():
        node = await p.Node.open_with_secret_store(str(data_dir), FailingSecretStore(error))
        with pytest.raises(p.PartageError.Storage) as failed:
            await node.create_identity("Carol")
        assert "could not save a key" in str(failed.value)
        assert reason in str(failed.value)
        assert await node.identity() is None
        await node.shutdown()

    asyncio.run(scenario())

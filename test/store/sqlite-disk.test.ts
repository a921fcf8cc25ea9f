/**
 * @module test/store/sqlite-disk
 * The SQLite store on a disk that fills up or is read-only: a real tmpfs (test/helpers/mount.ts),
 * filled to ENOSPC and remounted read-only. Appends on a full disk fail as `unavailable` and write
 * nothing; `ping` reports the failure (with a real write as its probe) until the store can write
 * again; a read-only file or directory is refused at open with the path and the cause.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { MessageStore } from "../../src/store/port.ts";
import { openSqliteStore, type SqliteStoreOptions } from "../../src/store/sqlite.ts";
import { mountTmpfs, tmpfsAvailable, type TmpfsMount } from "../helpers/mount.ts";
import { expectStoreError, ids, offsets, roomMessage, roomMessages } from "./contract.ts";

const canMount = tmpfsAvailable("the SQLite disk-full and read-only tests");

let mount: TmpfsMount | undefined;
let open: MessageStore | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
  mount?.unmount();
  mount = undefined;
});

/** A store on a fresh tmpfs of `bytes`. */
function storeOnTmpfs(bytes: number, options: SqliteStoreOptions = {}) {
  mount = mountTmpfs(bytes);
  const path = join(mount.dir, "hubbub.db");
  open = openSqliteStore(path, options);
  return { store: open, path, mount };
}

describe.skipIf(!canMount)("SQLite store on a full disk", () => {
  // Entries written behind (the default) and flushed with every append: both commit paths fail.
  for (const [label, options] of [["entries written behind", {}], ["entries flushed at every append", { flushEntries: 1 }]] as const) {
    test(`an append fails as unavailable and writes nothing; ping rejects until space is freed (${label})`, async () => {
      const { store, path, mount } = storeOnTmpfs(4 * 1024 * 1024, options);
      const before = roomMessages("a", 20);
      await store.append(before);
      expect(await store.ping()).toBe(true);

      mount.fill();
      const failed = await expectStoreError(store.append([roomMessage("lost", "a", { cmid: "c-lost" })]), "unavailable");
      expect(failed.message).toContain("database or disk is full");
      const pinged = await expectStoreError(store.ping(), "unavailable");
      expect(pinged.message).toBe("message store cannot write: database or disk is full (SQLITE_FULL)");
      // Still full: the probe is a real write, so it keeps failing.
      await expectStoreError(store.ping(), "unavailable");
      // Reads still work.
      expect(ids((await store.read("room:a", { limit: 100 })).messages)).toEqual(before.map((m) => m.id));

      mount.free();
      expect(await store.ping()).toBe(true);
      const [next] = await store.append([roomMessage("after", "a", { cmid: "c-after" })]);
      expect(next!.offsets).toEqual([21]); // the failed append took no offset
      expect(await store.findByClientId("alice", "c-lost", 0)).toBeUndefined();
      await store.close();

      const reopened = (open = openSqliteStore(path));
      const { messages, head } = await reopened.read("room:a", { limit: 100 });
      expect(head).toBe(21);
      expect(ids(messages)).toEqual([...before.map((m) => m.id), "after"]);
      expect(offsets(messages)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    });
  }

  test("a successful append clears a remembered failure", async () => {
    const { store, mount } = storeOnTmpfs(4 * 1024 * 1024);
    await store.append([roomMessage("m1", "a")]);
    mount.fill();
    await expectStoreError(store.append([roomMessage("m2", "a")]), "unavailable");
    mount.free();
    await store.append([roomMessage("m3", "a")]);
    mount.fill(); // a full disk alone, with no failed write, does not make ping fail
    expect(await store.ping()).toBe(true);
  });

  test("ping writes nothing while no write has failed", async () => {
    const { store } = storeOnTmpfs(1024 * 1024);
    expect(await store.ping()).toBe(true);
    const db = (store as ReturnType<typeof openSqliteStore>).database;
    expect(db.query("SELECT value FROM meta WHERE key = 'write_probe'").get()).toBeNull();
  });
});

describe.skipIf(!canMount)("SQLite store on a read-only file system", () => {
  test("an existing data file is refused at open, naming the file and the cause", async () => {
    const { store, path, mount } = storeOnTmpfs(1024 * 1024);
    await store.append([roomMessage("m1", "a")]);
    await store.close();
    open = undefined;
    mount.remount("ro");
    const error = (() => {
      try {
        openSqliteStore(path);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe("StoreError");
    expect(error?.message).toBe(`cannot write ${path}: read-only file system`);
    mount.remount("rw");
    open = openSqliteStore(path);
    expect((await open.streamInfo("room:a")).head).toBe(1);
  });

  test("a new data file in a read-only directory is refused, naming the file, the directory and the cause", () => {
    mount = mountTmpfs(1024 * 1024);
    mount.remount("ro");
    const path = join(mount.dir, "hubbub.db");
    expect(() => openSqliteStore(path)).toThrow(`cannot write ${path}: read-only file system (directory ${mount.dir})`);
    const deeper = join(mount.dir, "data", "hubbub.db");
    expect(() => openSqliteStore(deeper)).toThrow(`cannot write ${deeper}: read-only file system (creating directory ${join(mount.dir, "data")})`);
  });
});

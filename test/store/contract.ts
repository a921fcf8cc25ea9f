/**
 * @module test/store/contract
 * The message store contract: every invariant of `src/store/port.ts`, checked through the public
 * interface only, so any engine (memory, SQLite, PostgreSQL…) can run it:
 *
 * ```ts
 * describeMessageStoreContract("sqlite :memory:", async () => openSqliteStore(":memory:"));
 * ```
 *
 * `open` must return a fresh, empty store each time; the suite closes it after each test. The
 * cases live in `contract/*.ts`, one file per concern.
 */

import { afterEach, beforeEach, describe } from "bun:test";
import type { MessageStore } from "../../src/store/port.ts";
import { describeAppend } from "./contract/append.ts";
import { describeConversation } from "./contract/conversation.ts";
import { describeMessages, describeClientIds, describeCursors, describeCountAfter } from "./contract/messages.ts";
import { describeRead, describeStreams } from "./contract/read.ts";
import { describeLifecycle, describeRetention, describeRevocations } from "./contract/retention.ts";

export * from "./contract/helpers.ts";

/** Registers the whole contract suite for one engine. */
export function describeMessageStoreContract(name: string, open: () => Promise<MessageStore>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });
    const get = () => store;

    describeAppend(get);
    describeRead(get);
    describeConversation(get);
    describeStreams(get);
    describeMessages(get);
    describeClientIds(get);
    describeCursors(get);
    describeCountAfter(get);
    describeRetention(get);
    describeRevocations(get);
    describeLifecycle(get);
  });
}

/**
 * @module test/store/contract/helpers
 * Builders and assertions shared by the message store contract suite and engine-specific tests.
 */

import { expect } from "bun:test";
import { StoreError, type MessageStore, type NewMessage, type StoredMessage } from "../../../src/store/port.ts";

/** A fixed base time so tests do not depend on the clock, ms. */
export const T0 = 1_700_000_000_000;

/** A Uint8Array of the given byte values. */
export const bytes = (...values: number[]) => new Uint8Array(values);

/** A room message for `room:<room>`; the payload is `[n]`-ish bytes derived from the id. */
export function roomMessage(id: string, room: string, opts: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    conversation: { kind: "room", room },
    from: "alice",
    time: T0,
    payload: new TextEncoder().encode(`payload of ${id}`),
    streams: [`room:${room}`],
    ...opts,
  };
}

/** A direct message `from → to`, appended to the sender's then the recipient's inbox. */
export function directMessage(id: string, from: string, to: string, opts: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    conversation: { kind: "direct", to },
    from,
    time: T0,
    payload: bytes(1, 2, 3),
    streams: [`inbox:${from}`, `inbox:${to}`],
    ...opts,
  };
}

/** `n` room messages `<prefix>1..n` in `room`, one second apart from T0. */
export function roomMessages(room: string, n: number, prefix = `${room}-`): NewMessage[] {
  return Array.from({ length: n }, (_, i) => roomMessage(`${prefix}${i + 1}`, room, { time: T0 + i * 1000 }));
}

/** Resolves to the StoreError `promise` rejects with, failing unless it has `code`. */
export async function expectStoreError(promise: Promise<unknown>, code: StoreError["code"]): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }
  throw new Error(`expected StoreError(${code}), but the call resolved`);
}

/** The ids of `messages`, in order. */
export const ids = (messages: StoredMessage[]) => messages.map((m) => m.id);
/** The offsets of `messages`, in order. */
export const offsets = (messages: StoredMessage[]) => messages.map((m) => m.offset);

/** The store under test, read lazily because each test opens a fresh one. */
export type StoreRef = () => MessageStore;

/**
 * The bus contract: every Bus engine (memory now, Redis later) must pass it. `link` returns
 * `count` buses connected to each other (as separate nodes would be).
 */
import { describe, expect, test } from "bun:test";
import type { Bus, BusEvent } from "../../src/engines/bus.ts";
import { eventually } from "../helpers/frozen-clock.ts";

export function describeBusContract(name: string, link: (count: number) => Promise<Bus[]>): void {
  describe(`Bus contract: ${name}`, () => {
    const frame = (n: number) => new Uint8Array([n]);

    test("events reach every other node in publish order, never the publisher", async () => {
      const [a, b, c] = await link(3);
      const got = new Map<Bus, BusEvent[]>([[a!, []], [b!, []], [c!, []]]);
      for (const bus of [a!, b!, c!]) bus.onEvent((e) => got.get(bus)!.push(e));
      for (let i = 0; i < 50; i++) a!.publish({ origin: "a", key: "r:x", frame: frame(i) });
      b!.publish({ origin: "b", key: "u:bob", frame: frame(99) });
      await eventually(() => got.get(b!)!.length >= 50 && got.get(c!)!.length >= 51, "b and c to get every event", 2000);
      // Sentinel: c publishes once it has everything a and b sent. An echo of a's or b's own
      // events, had the bus sent one, would reach them before this.
      c!.publish({ origin: "c", key: "*", frame: frame(200) });
      const last = (bus: Bus) => got.get(bus)!.at(-1)?.frame[0] === 200;
      await eventually(() => last(a!) && last(b!), "the sentinel", 2000);
      expect(got.get(a!)!.map((e) => e.frame[0])).toEqual([99, 200]);
      expect(got.get(b!)!.map((e) => e.frame[0])).toEqual([...Array.from({ length: 50 }, (_, i) => i), 200]);
      expect(got.get(c!)!.filter((e) => e.origin === "a").map((e) => e.frame[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(got.get(c!)!.find((e) => e.origin === "b")).toMatchObject({ key: "u:bob" });
      for (const bus of [a!, b!, c!]) await bus.close();
    });

    test("a closed bus no longer receives", async () => {
      const [a, b, c] = await link(3);
      const got: BusEvent[] = [];
      const open: BusEvent[] = [];
      b!.onEvent((e) => got.push(e));
      c!.onEvent((e) => open.push(e));
      await b!.close();
      a!.publish({ origin: "a", key: "*", frame: frame(1) });
      // Sentinel: a later event from the same publisher reaches c, which is still open. Each event
      // goes to every subscriber at once, so b, had it still been one, would have had event 1 by then.
      a!.publish({ origin: "a", key: "*", frame: frame(2) });
      await eventually(() => open.length >= 2, "the sentinel", 2000);
      expect(open.map((e) => e.frame[0])).toEqual([1, 2]);
      expect(got).toEqual([]);
      await a!.close();
      await c!.close();
    });
  });
}

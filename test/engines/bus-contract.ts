/**
 * The bus contract: every Bus engine (memory now, Redis later) must pass it. `link` returns
 * `count` buses connected to each other (as separate nodes would be).
 */
import { describe, expect, test } from "bun:test";
import type { Bus, BusEvent } from "../../src/engines/bus.ts";

export function describeBusContract(name: string, link: (count: number) => Promise<Bus[]>): void {
  describe(`Bus contract: ${name}`, () => {
    const frame = (n: number) => new Uint8Array([n]);

    test("events reach every other node in publish order, never the publisher", async () => {
      const [a, b, c] = await link(3);
      const got = new Map<Bus, BusEvent[]>([[a!, []], [b!, []], [c!, []]]);
      for (const bus of [a!, b!, c!]) bus.onEvent((e) => got.get(bus)!.push(e));
      for (let i = 0; i < 50; i++) a!.publish({ origin: "a", key: "r:x", frame: frame(i) });
      b!.publish({ origin: "b", key: "u:bob", frame: frame(99) });
      const deadline = Date.now() + 2000;
      while ((got.get(b!)!.length < 50 || got.get(c!)!.length < 51) && Date.now() < deadline) await Bun.sleep(5);
      expect(got.get(a!)!.map((e) => e.frame[0])).toEqual([99]);
      expect(got.get(b!)!.map((e) => e.frame[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(got.get(c!)!.filter((e) => e.origin === "a").map((e) => e.frame[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(got.get(c!)!.find((e) => e.origin === "b")).toMatchObject({ key: "u:bob" });
      for (const bus of [a!, b!, c!]) await bus.close();
    });

    test("a closed bus no longer receives", async () => {
      const [a, b] = await link(2);
      const got: BusEvent[] = [];
      b!.onEvent((e) => got.push(e));
      await b!.close();
      a!.publish({ origin: "a", key: "*", frame: frame(1) });
      await Bun.sleep(20);
      expect(got).toEqual([]);
      await a!.close();
    });
  });
}

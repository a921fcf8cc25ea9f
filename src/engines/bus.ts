/**
 * @module engines/bus
 * The bus port: carries fan-out events between nodes. Local delivery never goes through the bus
 * (a node publishes to its own sockets with Bun's native topics); the bus only crosses nodes, and a
 * node ignores events it published itself. Engines: in-process memory (`bus-memory.ts`, which links
 * nodes in one process); Redis pub/sub later. Every engine passes `test/engines/bus-contract.ts`.
 */

/**
 * An event for other nodes. `key` is a fan-out key (`r:<room>`, `u:<user>` or `*`); `frame` is the
 * msgpack encoding of one server frame, delivered as-is to local subscribers of that key.
 */
export interface BusEvent {
  /** Id of the node that published the event. */
  origin: string;
  key: string;
  frame: Uint8Array;
}

/** Invariants: events from one publisher arrive in the order published; a node never receives its own events. */
export interface Bus {
  /** Sends an event to every other node. */
  publish(event: BusEvent): void;
  /** Registers the handler for events from other nodes (one handler per bus instance). */
  onEvent(handler: (event: BusEvent) => void): void;
  close(): Promise<void>;
}

/**
 * @module engines/bus-memory
 * In-process bus: nodes attached to the same {@link MemoryBusHub} see each other's events
 * synchronously, in publish order. The single-process default is a hub with one node.
 */
import type { Bus, BusEvent } from "./bus.ts";

/** Links the buses of nodes that run in the same process. */
export class MemoryBusHub {
  readonly members = new Set<MemoryBus>();

  /** A bus attached to this hub. */
  connect(): MemoryBus {
    const bus = new MemoryBus(this);
    this.members.add(bus);
    return bus;
  }
}

export class MemoryBus implements Bus {
  private handler: ((event: BusEvent) => void) | undefined;

  constructor(private readonly hub: MemoryBusHub) {}

  publish(event: BusEvent): void {
    if (this.hub.members.size < 2) return;
    for (const member of this.hub.members) {
      if (member !== this) member.handler?.(event);
    }
  }

  onEvent(handler: (event: BusEvent) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.hub.members.delete(this);
  }
}

/** Turns MESSAGE frame arrays from a REPLY result (history, recovery) into frame objects. */
import { fromWire, type MessageFrame } from "../../proto/index.ts";

export function fromWireMessages(items: unknown[]): MessageFrame[] {
  return items.map((item) => fromWire(item, "server") as MessageFrame);
}

import { MemoryBusHub } from "../../src/engines/bus-memory.ts";
import { MemoryPresence } from "../../src/engines/presence-memory.ts";
import { describeBusContract } from "./bus-contract.ts";
import { describePresenceContract } from "./presence-contract.ts";

describePresenceContract("memory", async () => new MemoryPresence());
describeBusContract("memory", async (count) => {
  const hub = new MemoryBusHub();
  return Array.from({ length: count }, () => hub.connect());
});

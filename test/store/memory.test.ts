/**
 * @module test/store/memory
 * The in-memory engine against the message store contract.
 */

import { MemoryStore } from "../../src/store/memory.ts";
import { describeMessageStoreContract } from "./contract.ts";

describeMessageStoreContract("memory", async () => new MemoryStore());

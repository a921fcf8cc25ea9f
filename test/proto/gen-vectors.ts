/**
 * Regenerates the golden vectors (proto/vectors/*.json) and the examples block of PROTOCOL.md from
 * the samples and the current codec. Run `bun test/proto/gen-vectors.ts` after a deliberate wire
 * change only: the vector tests exist to catch accidental ones.
 */
import { BEGIN, END, PROTOCOL_MD, VECTOR_DIR, buildVectors, renderExamples } from "./vectors-build.ts";

const { frames, batches, values } = buildVectors();
/** One vector per line, so that a wire change shows up as a readable diff. */
const write = (name: string, data: unknown[]) => Bun.write(new URL(name, VECTOR_DIR), `[\n${data.map((v) => JSON.stringify(v)).join(",\n")}\n]\n`);
await write("frames.json", frames);
await write("batches.json", batches);
await write("values.json", values);

const doc = await Bun.file(PROTOCOL_MD).text();
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
if (start < 0 || end < start) throw new Error("PROTOCOL.md has no vectors block");
await Bun.write(PROTOCOL_MD, doc.slice(0, start) + renderExamples(frames, batches) + doc.slice(end + END.length));
console.log(`wrote ${frames.length} frame, ${batches.length} batch and ${values.length} value vectors; updated PROTOCOL.md`);

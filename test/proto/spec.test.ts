/** PROTOCOL.md agrees with the code: the frame table, the reply and close code tables, the limits. */
import { describe, expect, test } from "bun:test";
import { DEFAULT_LIMITS, DisconnectCode, FRAME_SPECS, PAYLOAD_MAX_DEPTH, ReplyCode, shouldReconnect, STRS_MAX, type FieldSpec } from "../../proto/index.ts";

const doc = await Bun.file(new URL("../../PROTOCOL.md", import.meta.url)).text();

function kind(field: FieldSpec): string {
  return field.kind === "str" || field.kind === "text" || field.kind === "strs" ? `${field.kind}(${field.max})` : field.kind;
}

describe("the frame table in PROTOCOL.md §3 is FRAME_SPECS", () => {
  for (const spec of FRAME_SPECS) {
    test(`${spec.type} ${spec.name}`, () => {
      const fields = spec.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${kind(f)}`).join(", ") || "—";
      expect(doc).toContain(`| ${spec.type} | ${spec.name.toUpperCase()} | ${spec.direction} | ${fields} |`);
    });
  }

  test("and lists no other frame", () => {
    const rows = [...doc.matchAll(/^\| (\d+) \| ([A-Z_]+) \| (both|client|server) \|/gm)].map((m) => Number(m[1]));
    expect(rows.sort((a, b) => a - b)).toEqual(FRAME_SPECS.map((s) => s.type).sort((a, b) => a - b));
  });
});

describe("error tables in PROTOCOL.md §5 are proto/errors.ts", () => {
  for (const [name, code] of Object.entries(ReplyCode)) {
    test(`reply ${code} ${name}`, () => expect(doc).toContain(`| ${code} | \`${name}\` |`));
  }
  for (const [name, code] of Object.entries(DisconnectCode)) {
    test(`close ${code} ${name}`, () => expect(doc).toContain(`| ${code} | \`${name}\` |`));
  }

  test("no code is documented that the code lacks", () => {
    const documented = [...doc.matchAll(/^\| (\d{3,4}) \| `(\w+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const known = [...Object.entries(ReplyCode), ...Object.entries(DisconnectCode)].map(([n, c]) => `${c} ${n}`).sort();
    expect(documented).toEqual(known);
  });

  test("close code ranges", () => {
    for (const code of Object.values(DisconnectCode)) expect(shouldReconnect(code)).toBe(code < 4500);
    for (const code of [1000, 1001, 1006, 1009, 1011]) expect(shouldReconnect(code)).toBe(true);
  });
});

test("limits in PROTOCOL.md §9 are the defaults", () => {
  expect(DEFAULT_LIMITS).toEqual({ maxStrLength: 1 << 20, maxBinLength: 1 << 20, maxArrayLength: 10_000, maxMapLength: 10_000, maxDepth: 32, maxFramesPerMessage: 128 });
  for (const row of ["| string length | 1 MiB |", "| byte string length | 1 MiB |", "| array length | 10 000 |", "| map size | 10 000 entries |", "| nesting depth | 32 |", `| payload depth | ${PAYLOAD_MAX_DEPTH} |`, "| frames per message | 128 |", `| STATUS \`users\` | ${STRS_MAX} |`]) {
    expect(doc).toContain(row);
  }
});

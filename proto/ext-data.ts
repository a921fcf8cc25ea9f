/**
 * @module ext-data
 * msgpack extension values other than timestamps.
 */

/**
 * An msgpack extension value of a type other than the timestamp (-1): what the reader returns for
 * one, and what the writer encodes as one. Same shape as `@msgpack/msgpack`'s `ExtData`, whose
 * instances the writer accepts too. `type` is −128..127; `data` is never a function here.
 */
export class ExtData {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/**
 * `value` as an extension value if it is an {@link ExtData}, or an instance of a class named
 * `ExtData` with a numeric `type` and `Uint8Array` `data` (`@msgpack/msgpack`'s, recognised without
 * importing it); otherwise undefined.
 */
export function asExtData(value: object): ExtData | undefined {
  if (value instanceof ExtData) return value;
  const candidate = value as { type?: unknown; data?: unknown };
  if (value.constructor?.name === "ExtData" && typeof candidate.type === "number" && candidate.data instanceof Uint8Array) {
    return candidate as ExtData;
  }
  return undefined;
}

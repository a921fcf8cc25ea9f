/**
 * @module limits
 * Bounds applied while decoding untrusted input, shared by the msgpack reader and the JSON codec.
 */

/**
 * Bounds applied while decoding untrusted input. All lengths are element or byte counts and every
 * one is checked against the declared length *before* anything is allocated for it.
 */
export interface DecodeLimits {
  /** Longest string, in bytes (msgpack) or UTF-16 code units (JSON); map keys included — default 1 MiB. */
  maxStrLength: number;
  /** Longest byte string (msgpack `bin`/`ext`, JSON `{"$bin"}` after decoding) — default 1 MiB. */
  maxBinLength: number;
  /** Longest array — default 10,000. */
  maxArrayLength: number;
  /** Largest map — default 10,000 entries. */
  maxMapLength: number;
  /** Deepest nesting of arrays/maps inside a frame (the frame array itself is depth 1) — default 32. */
  maxDepth: number;
  /** Most frames in one WebSocket message — default 128. */
  maxFramesPerMessage: number;
}

/** The limits used when a codec is created without `limits`. Frozen. */
export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxStrLength: 1 << 20,
  maxBinLength: 1 << 20,
  maxArrayLength: 10_000,
  maxMapLength: 10_000,
  maxDepth: 32,
  maxFramesPerMessage: 128,
});

/** Map keys that are rejected anywhere in a decoded value (prototype pollution). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** `DEFAULT_LIMITS` overridden by the given fields. */
export function mergeLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/**
 * @module auth/room-pattern
 * Room-name patterns of the token's `rooms` claim: `*` matches any run of characters (including
 * none), every other character matches itself. No other syntax: `?`, `[`, `\` are literal.
 *
 * Matching never backtracks: the pattern is cut at its stars into literal segments, the first must
 * be a prefix of the name, the last a suffix, and each one between is taken at its leftmost
 * occurrence after the previous one (`indexOf`). Taking the leftmost occurrence is always safe —
 * whatever a later segment could match after a later occurrence it can also match after the
 * leftmost one, since the star between them absorbs the difference — so one left-to-right pass
 * decides. The cost is at most (name length × longest segment) character comparisons, whatever the
 * number of stars; in practice a few native substring searches. (The old translation to a regular
 * expression took seconds to minutes on `*a*a*a*a*a*a*a*a*b` against a 60-character name.)
 *
 * Limits: a pattern has at most {@link MAX_ROOM_PATTERN_LENGTH} characters and
 * {@link MAX_ROOM_PATTERN_WILDCARDS} stars. Token verification refuses a token whose `rooms` claim
 * breaks them ({@link roomPatternProblem}); {@link roomMatches} treats such a pattern as matching
 * nothing, for claims that reach a policy by some other route.
 */

/** Most characters in one `rooms` pattern (room names are at most 200; this leaves room for stars). */
export const MAX_ROOM_PATTERN_LENGTH = 256;

/** Most `*` wildcards in one `rooms` pattern. */
export const MAX_ROOM_PATTERN_WILDCARDS = 16;

function countStars(pattern: string): number {
  let stars = 0;
  for (let i = pattern.indexOf("*"); i >= 0; i = pattern.indexOf("*", i + 1)) stars++;
  return stars;
}

/**
 * Why `pattern` is not an acceptable `rooms` pattern (too long, too many wildcards), as a message
 * for the token's owner; undefined when it is fine.
 */
export function roomPatternProblem(pattern: string): string | undefined {
  const shown = JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern);
  if (pattern.length > MAX_ROOM_PATTERN_LENGTH) {
    return `pattern ${shown} has ${pattern.length} characters; at most ${MAX_ROOM_PATTERN_LENGTH} are allowed`;
  }
  const stars = countStars(pattern);
  if (stars > MAX_ROOM_PATTERN_WILDCARDS) {
    return `pattern ${shown} has ${stars} '*' wildcards; at most ${MAX_ROOM_PATTERN_WILDCARDS} are allowed`;
  }
  return undefined;
}

/**
 * True when `room` matches the `rooms` claim pattern `pattern` (`*` = any run of characters,
 * everything else literal). A pattern over the limits matches nothing. Never backtracks: at most
 * (room length × longest literal segment) comparisons.
 */
export function roomMatches(pattern: string, room: string): boolean {
  const firstStar = pattern.indexOf("*");
  if (firstStar < 0) return pattern === room;
  if (pattern.length > MAX_ROOM_PATTERN_LENGTH) return false;
  const segments = pattern.split("*");
  if (segments.length - 1 > MAX_ROOM_PATTERN_WILDCARDS) return false;
  // Every literal character must appear in the name: the segments need this many characters.
  if (pattern.length - (segments.length - 1) > room.length) return false;
  const head = segments[0]!;
  const tail = segments[segments.length - 1]!;
  if (!room.startsWith(head) || !room.endsWith(tail)) return false;
  // The middle segments go, leftmost first, between the head and the tail (which cannot overlap:
  // the length check above leaves room for both).
  let from = head.length;
  const end = room.length - tail.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    if (segment.length === 0) continue;
    const at = room.indexOf(segment, from);
    if (at < 0 || at + segment.length > end) return false;
    from = at + segment.length;
  }
  return true;
}

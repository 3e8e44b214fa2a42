// How many connections a test's listeners accepted close together: for asserting a scanner's
// concurrency or rate from the listening side.

/** The most of `times` (ascending, in ms) that fall within any window of `windowMs`. */
export function mostWithin(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

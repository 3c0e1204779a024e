/**
 * Bounded concurrency in one place (architecture.md §7): `limit(fn)` runs fn when fewer than
 * `n` earlier calls are still running.
 */

/** A concurrency limiter: call it with an async function; it queues beyond `n` in flight. */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/** Creates a limiter allowing `n` tasks in flight (n >= 1). */
export function createLimit(n: number): Limit {
  let active = 0;
  const queue: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so `active` never exceeds n.
  const next = (): void => {
    const waiter = queue.shift();
    if (waiter === undefined) active--;
    else waiter();
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      next();
    }
  };
}

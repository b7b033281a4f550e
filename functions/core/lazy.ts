/** A memoized async value: built on the first call, shared by every later one. */
export interface Lazy<T> {
  (): Promise<T>;
  /** Forgets the value (the next call builds again) and returns what was cached, if anything. */
  reset(): Promise<T> | null;
}

/**
 * Memoizes an async builder. A failed build (bad config, a client that could not start, a model that would
 * not load) is not cached: that call fails, and the next one tries again.
 */
export function lazy<T>(build: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | null = null;
  const get = (): Promise<T> => {
    if (!pending) {
      const attempt = build();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = null;
      });
    }
    return pending;
  };
  return Object.assign(get, {
    reset() {
      const current = pending;
      pending = null;
      return current;
    },
  });
}

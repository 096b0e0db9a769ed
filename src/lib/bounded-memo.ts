/**
 * Memoizes a pure function of a string key, forgetting everything once `limit` entries are held
 * (cheap and bounded; the hot keys come back at once).
 */
export function boundedMemo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as T;
    const value = compute(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
    return value;
  };
}

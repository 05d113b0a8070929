/**
 * The reference for the explain context's packed bounded tables (closeTimes, recentKeys,
 * hostHops): a Map in insertion order, bounded as context.ts's remember() bounds its maps.
 */
export function rememberInMap<V>(map: Map<string, V>, limit: number, key: string, value: V): void {
  if (!map.delete(key) && map.size >= limit) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

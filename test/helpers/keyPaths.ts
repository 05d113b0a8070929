/**
 * Every key of a value, nested, as paths in the order the object holds them (arrays' items
 * included; a Uint8Array counts as a leaf): two values with equal key paths have the same fields
 * in the same order, which a packed connection built again must keep (the tracker's field order).
 */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const paths: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    const path = `${prefix}.${key}`;
    paths.push(path, ...keyPaths(item, path));
  }
  return paths;
}

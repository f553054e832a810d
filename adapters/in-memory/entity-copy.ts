/**
 * A shallow copy with the same prototype. In-memory repositories hand out and keep copies, as a
 * database would, so a change is seen by others only once it is saved.
 */
export function copyEntity<T extends object>(entity: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(entity) as object) as T, entity);
}

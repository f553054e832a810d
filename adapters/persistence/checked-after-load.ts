import { restoring } from '../../domain/shared/errors.ts';

/**
 * An entity MikroORM loaded, checked: MikroORM runs no constructor, so the rules asserted right
 * before it was written are asserted again now, and a row that breaks one is refused in the
 * record's name (CorruptRecordError).
 */
export function checkedAfterLoad<T extends { assertInvariants(): void }>(aggregate: string, recordId: string, entity: T): T {
  return restoring(aggregate, recordId, () => {
    entity.assertInvariants();
    return entity;
  });
}

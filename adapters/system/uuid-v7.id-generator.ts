import { v7 as uuidv7 } from 'uuid';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';

/** UUIDv7: time-ordered, so new rows land at the right edge of their primary-key index. */
export class UuidV7IdGenerator implements IdGenerator {
  next(): string {
    return uuidv7();
  }
}

import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';

/** Random bytes drawn from the OS in blocks: one system call per 256 ids instead of one per id. */
const POOL_SIZE = 16 * 256;

/**
 * UUIDv7: time-ordered, so new rows land at the right edge of their primary-key index. Ids made
 * in the same millisecond stay in order: as uuid's own v7, the 31-bit counter starts at a random
 * value each millisecond and counts up within it (a wrap moves on to the next millisecond).
 */
export class UuidV7IdGenerator implements IdGenerator {
  private readonly pool = new Uint8Array(POOL_SIZE);
  private offset = POOL_SIZE;
  private msecs = -Infinity;
  private seq = 0;

  next(): string {
    if (this.offset === POOL_SIZE) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const random = this.pool.subarray(this.offset, (this.offset += 16));
    const now = Date.now();
    if (now > this.msecs) {
      this.msecs = now;
      this.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    } else {
      this.seq = (this.seq + 1) | 0;
      if (this.seq === 0) this.msecs++;
    }
    return uuidv7({ random, msecs: this.msecs, seq: this.seq });
  }
}

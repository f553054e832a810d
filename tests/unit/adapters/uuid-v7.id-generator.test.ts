import { describe, expect, it } from 'vitest';
import { UuidV7IdGenerator } from '../../../adapters/system/uuid-v7.id-generator.ts';

describe('UuidV7IdGenerator', () => {
  it('makes unique version-7 ids that sort in the order they were made, across many pool refills in one millisecond', () => {
    const ids = new UuidV7IdGenerator();
    const made = Array.from({ length: 20_000 }, () => ids.next());
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    for (const id of made.slice(0, 300)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('starts from fresh randomness in each generator, so two processes do not collide', () => {
    const first = new UuidV7IdGenerator();
    const second = new UuidV7IdGenerator();
    const a = new Set(Array.from({ length: 1000 }, () => first.next()));
    expect(Array.from({ length: 1000 }, () => second.next()).some((id) => a.has(id))).toBe(false);
  });
});

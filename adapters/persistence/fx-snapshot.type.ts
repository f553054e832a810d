import { JsonType, type Platform } from '@mikro-orm/core';
import type { FxSnapshot } from '../../domain/shared/fx-rate.value-object.ts';

interface StoredFxSnapshot {
  rateMicros: number;
  source: string;
  quotedAt: string;
  baseAmountMinor: number;
}

/** Keeps an FX snapshot as jsonb, with its quote time as an ISO string. */
export class FxSnapshotType extends JsonType {
  override convertToDatabaseValue(value: unknown, platform: Platform): string | null {
    const fx = value as FxSnapshot | null;
    if (!fx) return null;
    const stored: StoredFxSnapshot = { ...fx, quotedAt: fx.quotedAt.toISOString() };
    return super.convertToDatabaseValue(stored, platform);
  }

  override convertToJSValue(value: unknown, platform: Platform): FxSnapshot | null {
    const stored = super.convertToJSValue(value as string, platform) as StoredFxSnapshot | null;
    return stored ? { ...stored, quotedAt: new Date(stored.quotedAt) } : null;
  }
}

import type { Database } from '../../adapters/persistence/database.ts';
import { SqlSandboxStore } from '../../adapters/persistence/sql.sandbox-store.ts';
import { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import { SandboxEvents } from '../../adapters/sandbox/sandbox.events.ts';
import { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { InMemorySandboxStore, type SandboxStore } from '../../adapters/sandbox/sandbox.store.ts';
import { SystemClock } from '../../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import { expect } from 'vitest';
import type { makeTestApp } from './test-app.ts';

export const SANDBOX_TEST_SECRET = 'whsec_sandbox_test_secret_of_32_characters';

/**
 * A sandbox provider on its own, as the container builds it: in memory, or in a database's sandbox
 * tables (each call on the same database sees the same objects, as two processes do). Its events
 * are stored and, once `events.connect` is given a delivery, sent.
 */
export function aSandbox(options: { database?: Database; clock?: Clock } = {}) {
  const store: SandboxStore = options.database ? new SqlSandboxStore(options.database.orm) : new InMemorySandboxStore();
  const ids = new UuidV7IdGenerator();
  const systemClock = options.clock ?? new SystemClock();
  const clock = new SandboxClock(systemClock, store);
  const events = new SandboxEvents({ store, ids, clock, systemClock, secret: SANDBOX_TEST_SECRET });
  const provider = new SandboxProvider({ store, events, ids, clock, publicUrl: 'http://localhost:4000' });
  return { provider, clock, events, store };
}

/** Where a test checkout returns to: on the redirect allow-list. */
export const CHECKOUT_URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };

/** Opens a checkout at `path`, pays it on the sandbox's page and verifies it, as the dashboard does; answers the session id. */
export async function payThroughSandbox(testApp: ReturnType<typeof makeTestApp>, token: string, path: '/api/billing/checkout' | '/api/balance/deposit', body: Record<string, unknown>): Promise<string> {
  const started = await testApp.request(path, { token, body: { ...body, ...CHECKOUT_URLS } });
  expect(started.status, started.text).toBe(200);
  const pay = await testApp.app.request(`${new URL(started.json().url).pathname}/pay`, { method: 'POST' });
  const sessionId = new URL(pay.headers.get('location')!).searchParams.get('session_id')!;
  await testApp.request(`${path === '/api/balance/deposit' ? '/api/balance/verify' : '/api/billing/verify-session'}?session_id=${sessionId}`, { token });
  await testApp.applyEvents();
  return sessionId;
}

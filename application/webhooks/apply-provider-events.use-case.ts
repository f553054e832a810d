import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import type { PreparedSync } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import { LeaseLostError, type ClaimedSubject, type ProviderEventInbox } from './provider-event-inbox.port.ts';
import type { EventSubject, EventSubjectKind, InboxStatus } from './provider-event.ts';

/** Subjects one worker run takes at most. */
export const MAX_SUBJECTS_PER_CLAIM = 32;
/** Subjects one worker applies at once: each holds a pooled connection only while it applies. */
export const MAX_SUBJECTS_IN_FLIGHT = 8;
/** How long a claim holds its subjects without renewal; renewed every third of it while they are worked on. */
export const LEASE_MS = 15_000;
/**
 * Attempts before an event that keeps failing is dead: about 22 hours of backoff in all, so a
 * provider's incident of hours is waited out (providers themselves retry for days).
 */
export const MAX_ATTEMPTS = 24;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 2 * 60 * 60 * 1000;
const MAX_ERROR_LENGTH = 1_000;

/** The wait before the next attempt, after `attempts` of them: doubling from a second, at most two hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/** Reads one kind of subject from its provider and says how to apply it (see PreparedSync). */
export type SubjectSync = (provider: PaymentGatewayName, subject: EventSubject) => Promise<PreparedSync>;

/** What became of one event in a run: for metrics. */
export interface SettledEvent {
  readonly provider: PaymentGatewayName;
  readonly type: string;
  readonly status: InboxStatus;
  /** From receipt to being applied, ignored or refused; null while it waits for another attempt. */
  readonly lagMs: number | null;
}

/**
 * The workers' step: claims the subjects whose events are due, reads each subject's state from its
 * provider once for all its pending events, and applies it in a unit of work that also settles the
 * events, so an event is applied exactly once however many workers and processes run this. A
 * subject's events are applied together, oldest first, and no other worker takes that subject
 * meanwhile. A failure leaves the events pending for a later attempt (with backoff), then dead; a
 * state that cannot be trusted for what the event names settles it as failed, applying nothing.
 */
export class ApplyProviderEvents {
  private readonly deps: Readonly<{
    inbox: ProviderEventInbox;
    uow: UnitOfWork;
    clock: Clock;
    syncs: Readonly<Record<EventSubjectKind, SubjectSync>>;
    /** This worker's name on its leases: unique per process. */
    owner: string;
  }>;

  constructor(deps: ApplyProviderEvents['deps']) {
    this.deps = deps;
  }

  /** One run: returns what it settled (empty when nothing was due). */
  async execute(): Promise<SettledEvent[]> {
    const { inbox, clock, owner } = this.deps;
    const claimed = await inbox.claim({ owner, now: clock.now(), leaseMs: LEASE_MS, limit: MAX_SUBJECTS_PER_CLAIM, maxAttempts: MAX_ATTEMPTS });
    if (claimed.length === 0) return [];
    const inFlight = new Set(claimed.flatMap((group) => group.events.map((event) => event.id)));
    const renewal = setInterval(() => {
      void inbox.renew(owner, [...inFlight], new Date(clock.now().getTime() + LEASE_MS)).catch(() => undefined);
    }, LEASE_MS / 3);
    renewal.unref();
    const settled: SettledEvent[] = [];
    try {
      const queue = [...claimed];
      await Promise.all(
        Array.from({ length: Math.min(MAX_SUBJECTS_IN_FLIGHT, queue.length) }, async () => {
          for (let group = queue.shift(); group; group = queue.shift()) {
            settled.push(...(await this.applyGroup(group)));
            for (const event of group.events) inFlight.delete(event.id);
          }
        }),
      );
    } finally {
      clearInterval(renewal);
    }
    return settled;
  }

  private async applyGroup(group: ClaimedSubject): Promise<SettledEvent[]> {
    const { inbox, uow, clock, syncs, owner } = this.deps;
    const ids = group.events.map((event) => event.id);
    try {
      const prepared = await syncs[group.subject.kind](group.provider, group.subject);
      const outcome = await uow.transactional(async () => {
        const result = typeof prepared === 'function' ? await prepared() : prepared;
        await inbox.settle(owner, ids, result, clock.now());
        return result;
      });
      return settledAs(group, outcome.status, clock.now());
    } catch (error) {
      try {
        return await this.afterFailure(group, error);
      } catch {
        // The database itself failed: the lease runs out and a later run takes the events again.
        return [];
      }
    }
  }

  private async afterFailure(group: ClaimedSubject, error: unknown): Promise<SettledEvent[]> {
    const { inbox, uow, clock, owner } = this.deps;
    const ids = group.events.map((event) => event.id);
    const now = clock.now();
    if (error instanceof LeaseLostError) return [];
    if (error instanceof UntrustedProviderStateError) {
      // Nothing was applied, and trying again would not change that.
      await uow.transactional(() => inbox.settle(owner, ids, { status: 'failed', note: error.message }, now));
      return settledAs(group, 'failed', now);
    }
    const attempts = Math.max(...group.events.map((event) => event.attempts));
    await inbox.release(owner, ids, { error: describe(error), now, retryAt: new Date(now.getTime() + retryDelayMs(attempts)), maxAttempts: MAX_ATTEMPTS });
    return attempts >= MAX_ATTEMPTS ? settledAs(group, 'dead', now) : settledAs(group, 'pending', null);
  }
}

function settledAs(group: ClaimedSubject, status: InboxStatus, now: Date | null): SettledEvent[] {
  return group.events.map((event) => ({ provider: event.provider, type: event.type, status, lagMs: now && now.getTime() - event.receivedAt.getTime() }));
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

import type { Clock } from '../shared/clock.port.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PlanChangeCompletion } from './plan-change-completion.service.ts';

/** Sessions younger than this are left alone: the user may still be on the provider's page. */
export const RECONCILE_AFTER_MS = 15 * 60 * 1000;
/** Providers expire hosted checkouts within a day (Stripe: 24 h); older open sessions are asked about too, up to a week. */
export const RECONCILE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_SESSIONS_PER_RUN = 200;

export interface ReconcileReport {
  readonly checked: number;
  readonly completed: number;
  readonly closed: number;
  readonly stillOpen: number;
  readonly failed: number;
}

/**
 * Asks the provider about checkouts still open past a threshold and applies what it says through
 * the same idempotent completion as verify and the webhook, so a lost webhook and a closed
 * browser tab still end with the plan upgraded or the wallet credited. Safe to run anywhere,
 * any number of times, at once.
 */
export class ReconcileCheckouts {
  private readonly sessions: CheckoutSessionRepository;
  private readonly completion: CheckoutCompletion;
  private readonly clock: Clock;
  private readonly planChanges: PlanChangeCompletion;

  constructor(deps: { readonly sessions: CheckoutSessionRepository; readonly completion: CheckoutCompletion; readonly clock: Clock; readonly planChanges: PlanChangeCompletion }) {
    this.sessions = deps.sessions;
    this.completion = deps.completion;
    this.clock = deps.clock;
    this.planChanges = deps.planChanges;
  }

  async execute(): Promise<ReconcileReport> {
    const now = this.clock.now().getTime();
    const open = await this.sessions.listOpen(new Date(now - RECONCILE_WINDOW_MS), new Date(now - RECONCILE_AFTER_MS), MAX_SESSIONS_PER_RUN);
    const report = { checked: open.length, completed: 0, closed: 0, stillOpen: 0, failed: 0 };
    for (const session of open) {
      try {
        // A plan change confirmed at the provider whose user never came back is completed from its subscription.
        const status = session.purpose === 'plan_change' ? await this.planChanges.settle(session) : await this.completion.settle(session);
        if (status === 'completed') report.completed++;
        else if (status === 'open') report.stillOpen++;
        else report.closed++;
      } catch {
        // A provider that cannot answer now is asked again on the next run.
        report.failed++;
      }
    }
    return report;
  }
}

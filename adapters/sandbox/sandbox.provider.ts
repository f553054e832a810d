import type { Clock } from '../../application/shared/clock.port.ts';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';

export const MAX_SANDBOX_CHECKOUTS = 10_000;

export type SandboxCheckoutStatus = 'open' | 'paid' | 'canceled' | 'expired';

export interface SandboxCheckout {
  readonly id: string;
  readonly region: string;
  readonly sessionId: string;
  readonly purpose: 'plan' | 'deposit';
  readonly description: string;
  readonly amount: Money;
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly customerId: string;
  readonly subscriptionId: string | null;
  readonly createdAt: Date;
  status: SandboxCheckoutStatus;
}

export interface SandboxPortal {
  readonly id: string;
  readonly customerId: string;
  readonly returnUrl: string;
}

/**
 * A stand-in payment provider living in this process, so the whole flow can be clicked through
 * with no account anywhere. It keeps its checkouts in memory, bounded, like a provider's own
 * store: they do not survive a restart and are not shared between processes, which is fine for
 * a local provider and the reason it is never used once real keys are configured.
 */
export class SandboxProvider {
  private readonly checkouts = new Map<string, SandboxCheckout>();
  private readonly portals = new Map<string, SandboxPortal>();
  private readonly publicUrl: string;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;

  constructor(options: { publicUrl: string; ids: IdGenerator; clock: Clock }) {
    this.publicUrl = options.publicUrl;
    this.ids = options.ids;
    this.clock = options.clock;
  }

  createCheckout(input: Omit<SandboxCheckout, 'id' | 'status' | 'createdAt' | 'successUrl'> & { successUrl: URL }): {
    checkout: SandboxCheckout;
    url: string;
  } {
    const id = `sbx_cs_${this.ids.next()}`;
    const success = new URL(input.successUrl.href);
    success.searchParams.set('session_id', id);
    const checkout: SandboxCheckout = { ...input, id, successUrl: success.href, status: 'open', createdAt: this.clock.now() };
    this.remember(this.checkouts, id, checkout);
    return { checkout, url: this.checkoutUrl(id) };
  }

  checkoutUrl(id: string): string {
    return `${this.publicUrl}/sandbox/checkout/${encodeURIComponent(id)}`;
  }

  find(id: string): SandboxCheckout | null {
    return this.checkouts.get(id) ?? null;
  }

  /** The user pressed Pay: returns where the browser goes next, or null if it cannot be paid. */
  pay(id: string): string | null {
    const checkout = this.checkouts.get(id);
    if (!checkout || (checkout.status !== 'open' && checkout.status !== 'paid')) return null;
    checkout.status = 'paid';
    return checkout.successUrl;
  }

  /** The user pressed Cancel: returns where the browser goes next, or null if it was paid. */
  cancel(id: string): string | null {
    const checkout = this.checkouts.get(id);
    if (!checkout || checkout.status === 'paid') return null;
    checkout.status = 'canceled';
    return checkout.cancelUrl;
  }

  createPortal(customerId: string, returnUrl: URL): string {
    const id = `sbx_bps_${this.ids.next()}`;
    this.remember(this.portals, id, { id, customerId, returnUrl: returnUrl.href });
    return `${this.publicUrl}/sandbox/portal/${encodeURIComponent(id)}`;
  }

  findPortal(id: string): SandboxPortal | null {
    return this.portals.get(id) ?? null;
  }

  private remember<T>(store: Map<string, T>, id: string, value: T): void {
    if (store.size >= MAX_SANDBOX_CHECKOUTS) store.delete(store.keys().next().value!);
    store.set(id, value);
  }
}

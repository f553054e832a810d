import type { Clock } from '../../application/shared/clock.port.ts';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';
import { periodEnd } from '../../domain/billing/plan-catalogue.ts';
import type { BillingInterval } from '../../domain/billing/plan.value-objects.ts';
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
  /** How often the subscription a paid plan checkout starts renews; null for a deposit. */
  readonly billingInterval: BillingInterval | null;
  readonly createdAt: Date;
  status: SandboxCheckoutStatus;
}

/** A subscription a paid plan checkout started: active until its period ends (renewals come with the sandbox's clock). */
export interface SandboxSubscription {
  readonly id: string;
  readonly customerId: string;
  readonly currentPeriodEnd: Date;
}

/** The payment that paid a checkout. */
export interface SandboxPayment {
  readonly id: string;
  readonly amount: Money;
}

/** A creator's payout account at the sandbox: verified on its onboarding page, restricted by a test. */
export interface SandboxPayoutAccount {
  readonly id: string;
  readonly creatorId: string;
  returnUrl: string;
  status: 'pending' | 'verified' | 'restricted';
  reason: string | null;
}

export interface SandboxTransfer {
  readonly id: string;
  readonly payoutId: string;
  readonly accountId: string;
  readonly amount: Money;
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
  private readonly payoutAccounts = new Map<string, SandboxPayoutAccount>();
  private readonly transfersByPayout = new Map<string, SandboxTransfer>();
  private readonly subscriptions = new Map<string, SandboxSubscription>();
  private readonly payments = new Map<string, SandboxPayment>();
  /** The reason the next transfer is refused with, set by tests of the refusal path. */
  refuseNextTransferWith: string | null = null;
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
    if (checkout.status === 'open') {
      checkout.status = 'paid';
      this.remember(this.payments, paymentIdOf(checkout), { id: paymentIdOf(checkout), amount: checkout.amount });
      if (checkout.subscriptionId && checkout.billingInterval) {
        const subscription = { id: checkout.subscriptionId, customerId: checkout.customerId, currentPeriodEnd: periodEnd(this.clock.now(), checkout.billingInterval) };
        this.remember(this.subscriptions, subscription.id, subscription);
      }
    }
    return checkout.successUrl;
  }

  subscription(id: string): SandboxSubscription | null {
    return this.subscriptions.get(id) ?? null;
  }

  payment(id: string): SandboxPayment | null {
    return this.payments.get(id) ?? null;
  }

  /** A transfer the sandbox made, by its id. */
  transferById(id: string): SandboxTransfer | null {
    return [...this.transfersByPayout.values()].find((transfer) => transfer.id === id) ?? null;
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

  /** Opens (or, for a known account, reopens) onboarding: the page at the returned URL completes it. */
  startOnboarding(creatorId: string, accountId: string | null, returnUrl: URL): { account: SandboxPayoutAccount; url: string } {
    let account = accountId ? this.payoutAccounts.get(accountId) : undefined;
    if (!account) {
      account = { id: accountId ?? `sbx_acct_${this.ids.next()}`, creatorId, returnUrl: returnUrl.href, status: 'pending', reason: null };
      this.remember(this.payoutAccounts, account.id, account);
    }
    account.returnUrl = returnUrl.href;
    return { account, url: this.onboardingUrl(account.id) };
  }

  onboardingUrl(accountId: string): string {
    return `${this.publicUrl}/sandbox/onboarding/${encodeURIComponent(accountId)}`;
  }

  /**
   * Where a payout account stands. The sandbox forgets accounts on restart; one it does not know
   * is treated as verified, so a creator onboarded before a restart can still be paid.
   */
  payoutAccount(accountId: string): SandboxPayoutAccount | null {
    return this.payoutAccounts.get(accountId) ?? null;
  }

  /** The creator finished onboarding: returns where the browser goes next, or null for an unknown account. */
  completeOnboarding(accountId: string): string | null {
    const account = this.payoutAccounts.get(accountId);
    if (!account) return null;
    if (account.status === 'pending') account.status = 'verified';
    return account.returnUrl;
  }

  /** A transfer completes at once; the same payout id gets the same transfer. */
  transfer(payoutId: string, accountId: string, amount: Money): SandboxTransfer | { refused: string } {
    const existing = this.transfersByPayout.get(payoutId);
    if (existing) return existing;
    const account = this.payoutAccounts.get(accountId);
    const refusal = this.refuseNextTransferWith ?? (account && account.status !== 'verified' ? `the account is ${account.status}` : null);
    this.refuseNextTransferWith = null;
    if (refusal) return { refused: refusal };
    const transfer = { id: `sbx_tr_${this.ids.next()}`, payoutId, accountId, amount };
    this.remember(this.transfersByPayout, payoutId, transfer);
    return transfer;
  }

  private remember<T>(store: Map<string, T>, id: string, value: T): void {
    if (store.size >= MAX_SANDBOX_CHECKOUTS) store.delete(store.keys().next().value!);
    store.set(id, value);
  }
}

/** The payment behind a paid checkout. */
export function paymentIdOf(checkout: Pick<SandboxCheckout, 'id'>): string {
  return `sbx_pay_${checkout.id}`;
}

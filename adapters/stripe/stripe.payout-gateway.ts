import Stripe from 'stripe';
import type {
  OnboardingRequest,
  PayoutGateway,
  ProviderAccountState,
  ProviderTransfer,
  ProviderTransferState,
  StartedOnboarding,
  TransferRequest,
} from '../../application/payouts/payout-gateway.port.ts';
import type { z } from 'zod';
import { invariant, PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { hintIn, parseAnswer } from '../shared/wire.ts';
import { stripeAccountWire, stripeTransferWire, type StripeAccountWire } from './stripe.wire.ts';

export interface StripePayoutGatewayOptions {
  readonly secretKey: string;
  /** Where the API is; only tests point it elsewhere (a local fake speaking Stripe's wire format). */
  readonly api?: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The SDK retries network failures and 409/429/5xx with the same idempotency key. */
const MAX_NETWORK_RETRIES = 2;
/** Enough of Stripe's list of overdue fields to tell the creator what to fix, not all of it. */
const MAX_REASON_FIELDS = 5;

/**
 * Disabled reasons that only mean "not finished yet" or "Stripe is still checking": the creator
 * has nothing to fix beyond completing onboarding, so the account is pending, not restricted.
 * `requirements.past_due` is one of them until details are submitted: a new Express account
 * carries it from the moment it is created.
 */
const STILL_CHECKING = new Set(['requirements.pending_verification', 'under_review']);

/**
 * Creator payouts through Stripe Connect Express, via the official SDK: Stripe hosts onboarding
 * and the bank payout; we only move money from the platform balance to the connected account.
 */
export class StripePayoutGateway implements PayoutGateway {
  readonly provider = 'stripe';
  readonly payoutCurrency = 'USD';
  private readonly stripe: Stripe;

  constructor(options: StripePayoutGatewayOptions) {
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: MAX_NETWORK_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      telemetry: false,
      ...(options.api ?? {}),
    });
  }

  /** Stripe collects the creator's details on its own page, so `request.profile` is not sent. */
  startOnboarding(request: OnboardingRequest): Promise<StartedOnboarding> {
    return this.call('start payout onboarding', async () => {
      const account =
        request.accountId === null
          ? await this.stripe.accounts.create(
              { type: 'express', capabilities: { transfers: { requested: true } }, metadata: { creator_id: request.creatorId } },
              // One connected account per creator, even when two starts race or the answer is lost.
              { idempotencyKey: `connect-account:${request.creatorId}` },
            )
          : await this.stripe.accounts.retrieve(request.accountId);
      const link = await this.stripe.accountLinks.create({
        account: account.id,
        refresh_url: request.refreshUrl.href,
        return_url: request.returnUrl.href,
        type: 'account_onboarding',
      });
      return { accountId: account.id, url: link.url, status: stripeAccountState(this.parse(stripeAccountWire, account)).status };
    });
  }

  retrieveAccount(accountId: string): Promise<ProviderAccountState> {
    return this.call('retrieve the payout account', async () => stripeAccountState(this.parse(stripeAccountWire, await this.stripe.accounts.retrieve(accountId))));
  }

  /** A whole reversal fails the payout; a partial one leaves it paid, with what was taken back. */
  retrieveTransfer(transferId: string, accountId: string): Promise<ProviderTransferState> {
    return this.call('retrieve the transfer', async () => {
      const transfer = this.parse(stripeTransferWire, await this.stripe.transfers.retrieve(transferId));
      const currency = transfer.currency.toUpperCase();
      const reversedWhole = transfer.reversed || transfer.amount_reversed >= transfer.amount;
      return {
        transferId: transfer.id,
        toAccount: transfer.destination === accountId,
        amount: { amountMinor: transfer.amount, currency },
        payoutId: hintIn(transfer.metadata ?? {}, 'payout_id'),
        outcome: reversedWhole ? 'failed' : 'paid',
        reversed: { amountMinor: reversedWhole ? 0 : transfer.amount_reversed, currency },
        reason: transfer.amount_reversed > 0 ? `Stripe reversed ${transfer.amount_reversed} of ${transfer.amount} ${currency} minor units of the transfer` : null,
      };
    });
  }

  /**
   * A transfer lands in the connected account's Stripe balance at once, so it is settled when
   * created; Stripe then pays the creator's bank on the account's own payout schedule.
   */
  async transfer(request: TransferRequest): Promise<ProviderTransfer> {
    invariant(request.amount.currency === this.payoutCurrency, `Stripe payouts are in USD, got ${request.amount.currency}`);
    const action = 'transfer the payout';
    try {
      const transfer = await this.stripe.transfers.create(
        {
          amount: request.amount.amountMinor,
          currency: 'usd',
          destination: request.accountId,
          transfer_group: `payout:${request.payoutId}`,
          metadata: { payout_id: request.payoutId },
        },
        { idempotencyKey: `payout:${request.payoutId}` },
      );
      return { transferId: transfer.id, settled: true };
    } catch (error) {
      // Only an answer refusing the request itself is final. An idempotency error is not (a
      // transfer may exist under this key), nor is a problem of the platform's own (its Stripe
      // balance is short, its key may not make transfers): those are fixed and sent again.
      if (
        (error instanceof Stripe.errors.StripeInvalidRequestError && error.code !== 'balance_insufficient') ||
        error instanceof Stripe.errors.StripeCardError
      ) {
        throw new PayoutRefusedError(this.provider, action, error.message);
      }
      throw providerError(this.provider, action, error);
    }
  }

  private parse<T>(schema: z.ZodType<T>, answer: unknown): T {
    return parseAnswer(schema, answer, (problem) => new ProviderError(this.provider, 'read its answer', `an unexpected shape at ${problem}`));
  }

  /** Every other SDK call goes through here, so no Stripe error type reaches the application. */
  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw providerError(this.provider, action, error);
    }
  }
}

/** Where a connected account stands in our terms: the same reading for a fetch and for an event. */
export function stripeAccountState(account: StripeAccountWire): ProviderAccountState {
  const requirements = account.requirements ?? {};
  const transfers = account.capabilities?.transfers ?? 'inactive';
  const detailsSubmitted = account.details_submitted === true;
  const disabledReason = requirements.disabled_reason ?? null;
  const errors = (requirements.errors ?? []).map((error) => error.reason).filter((reason): reason is string => Boolean(reason));

  const stillOnboarding = disabledReason === 'requirements.past_due' && !detailsSubmitted;
  if (disabledReason !== null && !stillOnboarding && !STILL_CHECKING.has(disabledReason)) {
    return { accountId: account.id, status: 'restricted', reason: restrictionReason(disabledReason, errors, requirements.past_due ?? []) };
  }
  if (disabledReason === null && account.payouts_enabled === true && transfers === 'active') {
    return { accountId: account.id, status: 'verified', reason: null };
  }
  if (detailsSubmitted && disabledReason === null && transfers === 'inactive') {
    return { accountId: account.id, status: 'restricted', reason: restrictionReason('transfers capability inactive', errors, []) };
  }
  return { accountId: account.id, status: 'pending', reason: null };
}

function restrictionReason(cause: string, errors: readonly string[], pastDue: readonly string[]): string {
  if (errors.length > 0) return `${cause}: ${errors.join('; ')}`;
  if (pastDue.length > 0) {
    const more = pastDue.length > MAX_REASON_FIELDS ? ` and ${pastDue.length - MAX_REASON_FIELDS} more` : '';
    return `${cause}: overdue ${pastDue.slice(0, MAX_REASON_FIELDS).join(', ')}${more}`;
  }
  return cause;
}

function providerError(provider: string, action: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  return new ProviderError(provider, action, error instanceof Error ? error.message : String(error));
}

import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import type { PayoutAccount } from '../../domain/payouts/payout-account.entity.ts';
import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import type { AccountPlanRepository } from '../billing/account-plan.repository.ts';
import { toBillingState, type BillingState } from '../billing/billing-state.view.ts';
import type { CheckoutSessionRepository } from '../billing/checkout-session.repository.ts';
import type { PlanChangeRepository } from '../billing/plan-change.repository.ts';
import type { PayoutGateways } from '../payouts/payout-gateway.port.ts';
import type { PayoutRepository } from '../payouts/payout.repository.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import type { DeveloperBalanceView, WalletQueries, WalletView } from '../wallet/wallet-queries.service.ts';
import type { InboxEvent, ProviderEventInbox, ProviderObject } from '../webhooks/provider-event-inbox.port.ts';

/** Each recent list of the look-up holds at most this many, newest first; the full histories page elsewhere. */
export const RECENT_ITEMS = 20;

export interface PayoutAccountView {
  readonly gateway: PaymentGatewayName;
  readonly providerAccountId: string | null;
  readonly onboardingStatus: PayoutAccount['onboardingStatus'];
  readonly restrictionReason: string | null;
  readonly frequency: PayoutAccount['frequency'];
  /** The currency payouts reach the bank in. */
  readonly currency: string;
  readonly updatedAt: Date;
}

/** Everything billing knows of one user, for an operator. */
export interface AccountLookup {
  readonly userId: string;
  /** Null when the user never opened a billing account (a creator paid by tool calls may not have). */
  readonly plan: BillingState | null;
  readonly providerCustomerId: string | null;
  readonly providerSubscriptionId: string | null;
  readonly pastDueSince: Date | null;
  readonly wallet: WalletView;
  readonly developerBalance: DeveloperBalanceView;
  readonly payoutAccount: PayoutAccountView | null;
  readonly planChanges: readonly PlanChange[];
  readonly webhookEvents: readonly InboxEvent[];
  readonly payouts: readonly Payout[];
}

/** `account(userId)` as the edge received it. */
export interface LookUpAccountRequest {
  readonly requester: Requester;
  readonly userId: unknown;
}

export interface LookUpAccountInput {
  readonly requester: Requester;
  readonly userId: string;
}

export function parseLookUpAccountInput(request: LookUpAccountRequest): LookUpAccountInput {
  return { requester: request.requester, userId: parseIdentifier(request.userId, 'user_id') };
}

/**
 * Admin `account(userId)`: the user's plan and gateway, wallet, developer balance, payout account,
 * and their recent plan changes, provider events and payouts. A user id nothing is known of (no
 * account, no payout account, no wallet or creator entry: most likely a typo) is NOT_FOUND, so an
 * operator is never shown an empty account as if it were real.
 */
export class LookUpAccount {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    sessions: CheckoutSessionRepository;
    inbox: ProviderEventInbox;
    payouts: PayoutRepository;
    payoutGateways: PayoutGateways;
    walletQueries: WalletQueries;
  }>;

  constructor(deps: LookUpAccount['deps']) {
    this.deps = deps;
  }

  async execute(request: LookUpAccountRequest): Promise<AccountLookup> {
    requireRole(request.requester, 'admin');
    const { userId } = parseLookUpAccountInput(request);
    const { accounts, planChanges, sessions, payouts, walletQueries } = this.deps;
    const [plan, payoutAccount, wallet, developerBalance, walletEntries, earnings] = await Promise.all([
      accounts.findByUserId(userId),
      payouts.findAccount(userId),
      walletQueries.wallet(userId),
      walletQueries.developerBalance(userId),
      walletQueries.walletTransactions(userId, { first: 1 }),
      walletQueries.earnings(userId, { first: 1 }),
    ]);
    if (!plan && !payoutAccount && walletEntries.items.length === 0 && earnings.items.length === 0) {
      throw new NotFoundError(`nothing is known of user ${userId}: no billing account, wallet, creator balance or payout account`);
    }
    const [changes, recentSessions, recentPayouts] = await Promise.all([
      planChanges.listForUser(userId, RECENT_ITEMS),
      plan ? sessions.listForUser(userId, RECENT_ITEMS) : [],
      payoutAccount ? payouts.list(userId, { first: RECENT_ITEMS }).then((page) => page.items.map((item) => item.node)) : [],
    ]);
    // Provider events name provider objects, not users: these are the objects of the user's we hold.
    const objects: ProviderObject[] = [];
    const add = (provider: PaymentGatewayName, ...ids: (string | null)[]) => ids.forEach((id) => id && objects.push({ provider, id }));
    if (plan) add(plan.paymentGateway, plan.providerSubscriptionId);
    for (const session of recentSessions) add(session.gateway, session.id, session.providerSessionId, session.providerPaymentId, session.providerSubscriptionId);
    if (payoutAccount) add(payoutAccount.gateway, payoutAccount.providerAccountId);
    for (const payout of recentPayouts) add(payout.gateway, payout.id, payout.providerTransferId);
    return {
      userId,
      plan: plan && toBillingState(plan),
      providerCustomerId: plan?.providerCustomerId ?? null,
      providerSubscriptionId: plan?.providerSubscriptionId ?? null,
      pastDueSince: plan?.pastDueSince ?? null,
      wallet,
      developerBalance,
      payoutAccount: payoutAccount && {
        gateway: payoutAccount.gateway,
        providerAccountId: payoutAccount.providerAccountId,
        onboardingStatus: payoutAccount.onboardingStatus,
        restrictionReason: payoutAccount.restrictionReason,
        frequency: payoutAccount.frequency,
        currency: this.deps.payoutGateways.for(payoutAccount.gateway).payoutCurrency,
        updatedAt: payoutAccount.updatedAt,
      },
      planChanges: changes,
      webhookEvents: await this.deps.inbox.listConcerning(objects, RECENT_ITEMS),
      payouts: recentPayouts,
    };
  }
}

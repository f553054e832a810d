import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';

/** This server's own billing page, by a signed link (OwnBillingPortal). */
export interface OwnPortalLinks {
  linkFor(userId: string, returnUrl: URL): Promise<string>;
}

export interface CreatePortalSessionDeps {
  readonly opener: AccountOpener;
  readonly gateways: PaymentGateways;
  readonly redirects: RedirectAllowList;
  readonly ownPortal: OwnPortalLinks;
}

/**
 * Opens the self-service billing page: the provider's where it hosts one (Stripe's Customer
 * Portal), else this server's own (Razorpay), by a short-lived signed link.
 */
export class CreatePortalSession {
  private readonly deps: CreatePortalSessionDeps;

  constructor(deps: CreatePortalSessionDeps) {
    this.deps = deps;
  }

  async execute(input: { userId: string; signals: SignupSignals; returnUrl: unknown }): Promise<{ url: string }> {
    const returnUrl = this.deps.redirects.check(input.returnUrl, 'return_url');
    const account = await this.deps.opener.open(input.userId, input.signals);
    const gateway = this.deps.gateways.for(account.paymentGateway);
    if (!gateway.hostsCustomerPortal) return { url: await this.deps.ownPortal.linkFor(account.userId, returnUrl) };
    if (!account.providerCustomerId) {
      throw new ConflictError('there is no billing customer for this account yet: subscribe to a plan first');
    }
    return gateway.createPortalSession({ customerId: account.providerCustomerId, returnUrl });
  }
}


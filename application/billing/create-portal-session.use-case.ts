import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import type { OwnPortalLinks } from './own-portal-links.service.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';

export interface CreatePortalSessionDeps {
  readonly opener: AccountOpener;
  readonly gateways: PaymentGateways;
  readonly redirects: RedirectAllowList;
  /** This server's own billing page, by a signed link. */
  readonly ownPortal: OwnPortalLinks;
}

/** `createPortalSession` (GraphQL) or `GET /api/billing/portal` as the edge received it. */
export interface CreatePortalSessionRequest {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly returnUrl: unknown;
}

export interface CreatePortalSessionInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly returnUrl: URL;
}

/** `redirects`: the deployment's allow-list the return URL must be on. */
export function parseCreatePortalSessionInput(request: CreatePortalSessionRequest, redirects: RedirectAllowList): CreatePortalSessionInput {
  return { userId: request.userId, signals: request.signals, returnUrl: redirects.check(request.returnUrl, 'return_url') };
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

  async execute(request: CreatePortalSessionRequest): Promise<{ url: string }> {
    const { userId, signals, returnUrl } = parseCreatePortalSessionInput(request, this.deps.redirects);
    const account = await this.deps.opener.open(userId, signals);
    const gateway = this.deps.gateways.for(account.paymentGateway);
    if (!gateway.hostsCustomerPortal) return { url: await this.deps.ownPortal.linkFor(account.userId, returnUrl) };
    if (!account.providerCustomerId) {
      throw new ConflictError('there is no billing customer for this account yet: subscribe to a plan first');
    }
    return gateway.createPortalSession({ customerId: account.providerCustomerId, returnUrl });
  }
}


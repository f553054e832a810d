import type { CancelSubscription } from './cancel-subscription.use-case.ts';
import type { OwnPortalLinks, OwnPortalVisit } from './own-portal-links.service.ts';

/** `POST /api/billing/portal/cancel` as the edge received it: the query's signed link and return URL. */
export interface CancelRenewalFromOwnPortalRequest {
  readonly link: unknown;
  readonly returnUrl: unknown;
}

export type CancelRenewalFromOwnPortalInput = OwnPortalVisit;

/** Parsing the link is verifying it, so this answers a promise. */
export function parseCancelRenewalFromOwnPortalInput(request: CancelRenewalFromOwnPortalRequest, portal: OwnPortalLinks): Promise<CancelRenewalFromOwnPortalInput> {
  return portal.open(request);
}

/** Stops renewal at the period's end, from this server's own billing page (ViewOwnPortal). */
export class CancelRenewalFromOwnPortal {
  private readonly deps: Readonly<{ portal: OwnPortalLinks; cancel: CancelSubscription }>;

  constructor(deps: CancelRenewalFromOwnPortal['deps']) {
    this.deps = deps;
  }

  async execute(request: CancelRenewalFromOwnPortalRequest): Promise<void> {
    const { userId } = await parseCancelRenewalFromOwnPortalInput(request, this.deps.portal);
    await this.deps.cancel.execute({ userId });
  }
}

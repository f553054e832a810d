import type { CancelSubscription } from './cancel-subscription.use-case.ts';
import type { OwnPortalLinks, OwnPortalRequest } from './own-portal-links.service.ts';

/** Stops renewal at the period's end, from this server's own billing page (ViewOwnPortal). */
export class CancelRenewalFromOwnPortal {
  private readonly deps: Readonly<{ portal: OwnPortalLinks; cancel: CancelSubscription }>;

  constructor(deps: CancelRenewalFromOwnPortal['deps']) {
    this.deps = deps;
  }

  /** `POST /api/billing/portal/cancel`. */
  async execute(request: OwnPortalRequest): Promise<void> {
    const { userId } = await this.deps.portal.open(request);
    await this.deps.cancel.execute({ userId });
  }
}

import type { OwnPortalLinks, OwnPortalRequest } from './own-portal-links.service.ts';
import type { StartPlanCheckout } from './start-plan-checkout.use-case.ts';

/** `POST /api/billing/portal/switch` as the edge received it: the query's link and return URL, and the form's plan. */
export interface SwitchPlanFromOwnPortalRequest extends OwnPortalRequest {
  /** The plan asked for, as received: StartPlanCheckout, which this hands it to, parses it. */
  readonly tier: unknown;
  readonly billingInterval: unknown;
}

/**
 * Starts the change to another plan from this server's own billing page (ViewOwnPortal), through
 * the plan change flow; answers the page confirming it, which returns to the app with `session_id`.
 */
export class SwitchPlanFromOwnPortal {
  private readonly deps: Readonly<{ portal: OwnPortalLinks; startPlanCheckout: StartPlanCheckout }>;

  constructor(deps: SwitchPlanFromOwnPortal['deps']) {
    this.deps = deps;
  }

  async execute(request: SwitchPlanFromOwnPortalRequest): Promise<{ readonly url: string }> {
    const { userId, returnUrl } = await this.deps.portal.open(request);
    return this.deps.startPlanCheckout.execute({
      userId,
      signals: {},
      tier: request.tier,
      billingInterval: request.billingInterval,
      successUrl: returnUrl.href,
      cancelUrl: returnUrl.href,
    });
  }
}

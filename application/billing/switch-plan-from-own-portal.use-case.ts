import type { OwnPortalLinks } from './own-portal-links.service.ts';
import type { StartPlanCheckout } from './start-plan-checkout.use-case.ts';

/** `POST /api/billing/portal/switch` as the edge received it: the query's signed link and return URL, the form's plan. */
export interface SwitchPlanFromOwnPortalRequest {
  readonly link: unknown;
  readonly returnUrl: unknown;
  readonly tier: unknown;
  readonly billingInterval: unknown;
}

export interface SwitchPlanFromOwnPortalInput {
  readonly userId: string;
  readonly returnUrl: URL;
  /** The plan asked for, as received: StartPlanCheckout, which this hands it to, parses it. */
  readonly tier: unknown;
  readonly billingInterval: unknown;
}

/** Parsing the link is verifying it, so this answers a promise. */
export async function parseSwitchPlanFromOwnPortalInput(request: SwitchPlanFromOwnPortalRequest, portal: OwnPortalLinks): Promise<SwitchPlanFromOwnPortalInput> {
  const { userId, returnUrl } = await portal.open(request);
  return { userId, returnUrl, tier: request.tier, billingInterval: request.billingInterval };
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
    const { userId, returnUrl, tier, billingInterval } = await parseSwitchPlanFromOwnPortalInput(request, this.deps.portal);
    return this.deps.startPlanCheckout.execute({
      userId,
      signals: {},
      tier,
      billingInterval,
      successUrl: returnUrl.href,
      cancelUrl: returnUrl.href,
    });
  }
}

import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { SignedLinks } from '../shared/signed-links.port.ts';

/** How long a portal link opens the page: long enough to look around, short enough to leak little. */
const PORTAL_LINK_MS = 60 * 60 * 1000;

/** A request from the page, as the edge received it: the query's signed link and return URL. */
export interface OwnPortalRequest {
  readonly link: unknown;
  readonly returnUrl: unknown;
}

/** Whom a portal link is for, and the return URL beside it, checked. */
export interface OwnPortalVisit {
  readonly userId: string;
  readonly returnUrl: URL;
}

/**
 * The links to this server's own billing page, for providers that host none (Razorpay): a browser
 * opens it with a short-lived signed link (no token), which `GET /api/billing/portal` hands out,
 * and every action on it (ViewOwnPortal, CancelRenewalFromOwnPortal, SwitchPlanFromOwnPortal)
 * checks the link again.
 */
export class OwnPortalLinks {
  private readonly deps: Readonly<{
    links: SignedLinks;
    redirects: RedirectAllowList;
    /** The page's address: `link` and `return_url` are added. */
    pageUrl: string;
  }>;

  constructor(deps: OwnPortalLinks['deps']) {
    this.deps = deps;
  }

  async linkFor(userId: string, returnUrl: URL): Promise<string> {
    const url = new URL(this.deps.pageUrl);
    url.searchParams.set('link', await this.deps.links.sign({ purpose: 'billing-portal', userId, ttlMs: PORTAL_LINK_MS }));
    url.searchParams.set('return_url', returnUrl.href);
    return url.href;
  }

  /** Every action's input parsed: the link is verified, then the return URL checked. */
  async open(request: OwnPortalRequest): Promise<OwnPortalVisit> {
    const { userId } = await this.deps.links.verify(typeof request.link === 'string' ? request.link : '', 'billing-portal');
    return { userId, returnUrl: this.deps.redirects.check(request.returnUrl, 'return_url') };
  }
}

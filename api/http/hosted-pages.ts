import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ForbiddenError } from '../../domain/shared/errors.ts';
import type { AppEnv } from './app-env.ts';

/**
 * A page this server serves to a browser (the sandbox's, the billing pages, `GET /`): uncached,
 * unframeable, with no referrer leaking its signed address to another site, and a Content-Security-Policy
 * that lets it run only its own inline scripts and styles (by hash) and the provider script it loads.
 */
export function hostedPage(c: Context<AppEnv>, html: string): Response {
  return c.html(html, 200, hostedPageHeaders(html));
}

/** The headers of a hosted page, its CSP read off the HTML itself so that it cannot fall behind the page. */
export function hostedPageHeaders(html: string): Record<string, string> {
  return { ...BROWSER_PAGE_HEADERS, 'cache-control': 'no-store', 'content-security-policy': contentSecurityPolicy(html) };
}

/**
 * For a page whose scripts are not ours to list (GraphiQL's bundle injects styles and workers): it
 * may not be framed, sniffed or send a referrer to another site, but its scripts are not restricted.
 */
export const BROWSER_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: under it a browser sends `Origin: null` with the page's own form posts, which
  // the actions could then not tell from another site's. No other origin gets a referrer.
  'referrer-policy': 'same-origin',
};

const ELEMENT = /<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>/gi;
const SOURCE = /\bsrc\s*=\s*"([^"]*)"/i;

/**
 * `default-src 'none'`, then what the page holds: the hash of each inline script and style, and
 * for a page that loads a provider's script (Razorpay Standard Checkout) that script's site, which
 * also serves the frames, images and calls it makes. Such a script styles what it adds, so that
 * page's styles are not restricted. No `form-action`: browsers apply it to the redirect after a
 * post too, and the pages' actions end on the caller's return URL or the provider's page.
 */
function contentSecurityPolicy(html: string): string {
  const hashes = { script: new Set<string>(), style: new Set<string>() };
  const providers = new Set<string>();
  for (const [, tag, attributes, body] of html.matchAll(ELEMENT)) {
    const kind = tag!.toLowerCase() as 'script' | 'style';
    const src = kind === 'script' ? SOURCE.exec(attributes!)?.[1] : undefined;
    if (src) for (const source of siteSources(attributeText(src))) providers.add(source);
    else hashes[kind].add(`'sha256-${createHash('sha256').update(body!).digest('base64')}'`);
  }
  const provider = [...providers].join(' ');
  const sources = (directive: string, values: string) => (values ? [`${directive} ${values}`] : []);
  return [
    "default-src 'none'",
    ...sources('script-src', [...hashes.script, provider].join(' ').trim()),
    ...(provider
      ? [`style-src 'unsafe-inline' ${provider}`, `img-src 'self' data: ${provider}`, `font-src ${provider}`, `connect-src ${provider}`, `frame-src ${provider}`]
      : [...sources('style-src', [...hashes.style].join(' ')), "img-src 'self' data:"]),
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** An attribute's value as written by escapeHtml (`&#38;`) or by hand (`&amp;`). */
const attributeText = (value: string) => value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replaceAll('&amp;', '&');

/** `https://checkout.razorpay.com/v1/checkout.js` → its origin and `https://*.razorpay.com`. */
function siteSources(src: string): string[] {
  if (!URL.canParse(src)) return [];
  const url = new URL(src);
  const labels = url.hostname.split('.');
  const isName = labels.length >= 2 && !/^[\d.]+$|^\[/.test(url.hostname);
  const port = url.port ? `:${url.port}` : '';
  return [url.origin, ...(isName ? [`${url.protocol}//*.${labels.slice(-2).join('.')}${port}`] : [])];
}

/**
 * A hosted page's actions (`…/pay`, `…/cancel`, the portal's) take a POST only from this server's
 * own pages. A browser names the page a request comes from: `Origin` (refused unless it is this
 * server's, PUBLIC_URL or the address the request was sent to) and `Sec-Fetch-Site` (refused when
 * `cross-site` or `same-site`: a sibling subdomain is another party's). A request with neither
 * header comes from no web page (curl, a script, a test) and is served, as the operating contract's
 * `curl -X POST <url>/pay` is.
 */
export function sameOriginPosts(publicOrigin: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    // `Origin: null` is what an opaque origin sends (a sandboxed frame); from this server's own page only when the browser says so.
    const own = origin === undefined || origin === publicOrigin || origin === new URL(c.req.url).origin || (origin === 'null' && site === 'same-origin');
    if (!own || site === 'cross-site' || site === 'same-site') {
      throw new ForbiddenError(`this page's actions are posted from its own page only; this request came from ${origin && !own ? origin : `a ${site} page`}`);
    }
    return next();
  };
}

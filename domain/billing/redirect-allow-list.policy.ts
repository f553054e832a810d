import { InvalidInputError } from '../shared/errors.ts';

export const MAX_REDIRECT_URL_LENGTH = 2_048;

/** The allow-list of the product pages, used when REDIRECT_ALLOWED_ORIGINS is not set. */
export const DEFAULT_ALLOWED_ORIGINS = [
  'https://app.aerostack.dev',
  'https://aerostack-admin.pages.dev',
  'https://*.aerostack-admin.pages.dev',
  'http://localhost:5173',
] as const;

interface ExactOrigin {
  readonly kind: 'exact';
  readonly origin: string;
}

/** `https://*.example.dev`: exactly one non-empty label in front of the host, same scheme and port. */
interface WildcardOrigin {
  readonly kind: 'wildcard';
  readonly protocol: string;
  readonly hostSuffix: string;
  readonly port: string;
}

type AllowedOrigin = ExactOrigin | WildcardOrigin;

/**
 * Where checkout and portal pages may send the user back to. Every URL is parsed with the WHATWG
 * URL parser (what browsers use), so what is checked is the origin the browser will really load:
 * no string prefix tests, which `https://app.aerostack.dev.evil.com` or userinfo tricks defeat.
 */
export class RedirectAllowList {
  private readonly allowed: readonly AllowedOrigin[];

  private constructor(allowed: readonly AllowedOrigin[]) {
    this.allowed = allowed;
  }

  /** Reads origin entries; none, or a malformed one, is a configuration error, named by `field`. */
  static of(entries: readonly string[], field = 'REDIRECT_ALLOWED_ORIGINS'): RedirectAllowList {
    if (entries.length === 0) throw new InvalidInputError(field, `${field} names no origin: list at least one, comma-separated (scheme://host[:port])`);
    return new RedirectAllowList(entries.map((entry) => parseEntry(entry.trim(), field)));
  }

  /** Returns the URL as parsed when it is allowed; otherwise a BAD_USER_INPUT naming `field`. */
  check(raw: unknown, field: string): URL {
    const url = parseRedirect(raw, field);
    if (!this.allowed.some((origin) => matches(origin, url))) {
      throw new InvalidInputError(field, `${field} must be on an allowed origin; ${url.origin} is not`);
    }
    return url;
  }

  /** Whether a browser's `Origin` header names an allowed origin (for CORS); anything unparsable is not. */
  allowsOrigin(origin: string): boolean {
    if (!URL.canParse(origin)) return false;
    const url = new URL(origin);
    return url.origin === origin && this.allowed.some((allowed) => matches(allowed, url));
  }
}

/** A redirect URL as written, before its origin is checked against the list. */
export function parseRedirect(raw: unknown, field: string): URL {
  if (typeof raw !== 'string' || raw.length === 0) throw new InvalidInputError(field, `${field} is required`);
  if (raw.length > MAX_REDIRECT_URL_LENGTH) {
    throw new InvalidInputError(field, `${field} must be at most ${MAX_REDIRECT_URL_LENGTH} characters`);
  }
  // The URL parser silently drops tabs, newlines and edge whitespace; a redirect containing them is
  // refused outright rather than checked in a form other than the one the caller sent.
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(raw)) {
    throw new InvalidInputError(field, `${field} must not contain spaces, control characters or backslashes`);
  }
  // What the browser would forgive (`https:host`, `%2E` in a host, an empty `:@`) is refused as
  // written: a redirect must say plainly where it goes.
  // Exactly two slashes: the parser skips any more and would read what follows as the host.
  const authority = /^https?:\/\/(?![/\\])([^/?#]*)/i.exec(raw)?.[1];
  if (authority === undefined) throw new InvalidInputError(field, `${field} must be an absolute http or https URL`);
  if (/[@%]|[^\x21-\x7e]/.test(authority)) {
    throw new InvalidInputError(field, `${field} must not contain user info, encoded or non-ASCII characters in its host`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError(field, `${field} must be an absolute URL`);
  }
  return url;
}

function parseEntry(entry: string, field: string): AllowedOrigin {
  const wildcard = /^(https?):\/\/\*\.([^/*]+)$/.exec(entry);
  if (wildcard) {
    const base = parseOrigin(`${wildcard[1]}://${wildcard[2]}`, entry, field);
    // `https://*.com` would allow every site under a top-level domain: a wildcard stands for one label under a name of two or more.
    if (!base.hostname.includes('.') || /^[\d.]+$/.test(base.hostname)) {
      throw new InvalidInputError(field, `${field}: "${entry}" must put its * under a domain of two labels or more (https://*.example.dev)`);
    }
    return { kind: 'wildcard', protocol: base.protocol, hostSuffix: `.${base.hostname}`, port: base.port };
  }
  return { kind: 'exact', origin: parseOrigin(entry, entry, field).origin };
}

function parseOrigin(candidate: string, entry: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new InvalidInputError(field, `${field}: "${entry}" is not an origin`);
  }
  const isBareOrigin = url.origin === candidate.replace(/\/$/, '') && !candidate.includes('*');
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !isBareOrigin) {
    throw new InvalidInputError(field, `${field}: "${entry}" must be scheme://host[:port], optionally https://*.host`);
  }
  return url;
}

function matches(allowed: AllowedOrigin, url: URL): boolean {
  if (allowed.kind === 'exact') return url.origin === allowed.origin;
  if (url.protocol !== allowed.protocol || url.port !== allowed.port) return false;
  if (!url.hostname.endsWith(allowed.hostSuffix)) return false;
  const label = url.hostname.slice(0, -allowed.hostSuffix.length);
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label);
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALLOWED_ORIGINS,
  MAX_REDIRECT_URL_LENGTH,
  RedirectAllowList,
} from '../../../domain/billing/redirect-allow-list.policy.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';

const allowList = RedirectAllowList.of(DEFAULT_ALLOWED_ORIGINS);

/** Runs `attempt`, which must throw, and returns what it threw. */
function refusalOf(attempt: () => unknown): unknown {
  let returned: unknown;
  try {
    returned = attempt();
  } catch (error) {
    return error;
  }
  throw new Error(`expected a refusal, but the call returned ${returned instanceof URL ? returned.href : String(returned)}`);
}

function expectRefused(raw: unknown, field = 'success_url'): void {
  const error = refusalOf(() => allowList.check(raw, field));
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
}

/** What the WHATWG parser makes of the allowed origins, written independently of the policy. */
function isAllowedOrigin(url: URL): boolean {
  return (
    url.origin === 'https://app.aerostack.dev' ||
    url.origin === 'https://aerostack-admin.pages.dev' ||
    url.origin === 'http://localhost:5173' ||
    /^https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.aerostack-admin\.pages\.dev$/.test(url.origin)
  );
}

/**
 * URLs whose parsed form (per the WHATWG parser, as `new URL` and browsers read them) is not an
 * allowed origin, carries credentials, or cannot be parsed at all; or that are not URLs. Each row
 * says what the parser really makes of it.
 */
const HOSTILE: readonly (readonly [why: string, raw: unknown])[] = [
  // user info: the browser goes to the host after the last @
  ['user info before evil.com, the real host', 'https://app.aerostack.dev@evil.com'],
  ['user info with a port-like password, host evil.com', 'https://app.aerostack.dev:443@evil.com/'],
  ['evil.com as user name on the allowed host', 'https://evil.com@app.aerostack.dev'],
  ['a user name and password on the allowed host', 'https://user:pass@app.aerostack.dev/'],
  ['localhost:5173 as user info, host evil.com', 'http://localhost:5173@evil.com/'],
  ['an empty user info ending in @ and no host (unparseable)', 'https://app.aerostack.dev@/'],
  // look-alike hosts and suffixes
  ['the allowed host as a subdomain of evil.com', 'https://app.aerostack.dev.evil.com'],
  ['a look-alike suffix with a port', 'https://app.aerostack.dev.evil.com:443/'],
  ['upper case of a look-alike suffix, lowered to app.aerostack.dev.evil.com', 'https://APP.AEROSTACK.DEV.EVIL.COM/'],
  ['a hyphen in place of the dot', 'https://app-aerostack.dev/'],
  ['the parent domain, not on the list', 'https://aerostack.dev/'],
  ['a prefix glued onto the wildcard base', 'https://evilaerostack-admin.pages.dev'],
  ['one letter glued onto the wildcard base', 'https://xaerostack-admin.pages.dev'],
  ['the wildcard base as a subdomain of evil.com', 'https://aerostack-admin.pages.dev.evil.com/'],
  ['a preview host as a subdomain of evil.com', 'https://pr-12.aerostack-admin.pages.dev.evil.com/'],
  ['the allowed URL only in the path of evil.com', 'https://evil.com/https://app.aerostack.dev'],
  ['the allowed URL only in the query of evil.com', 'https://evil.com/?next=https://app.aerostack.dev'],
  ['the allowed URL only in the fragment of evil.com', 'https://evil.com#https://app.aerostack.dev'],
  ['an ideographic full stop, which the parser maps to a dot: app.aerostack.dev.evil.com', 'https://app.aerostack.dev\u3002evil.com/'],
  // backslashes, which the WHATWG parser reads as slashes for http(s)
  ['a backslash that makes evil.com the host', 'https://evil.com\\@app.aerostack.dev'],
  ['a backslash after the allowed host, user info before evil.com', 'https://app.aerostack.dev\\@evil.com/'],
  ['backslashes in place of the slashes, host evil.com', 'https:\\\\evil.com'],
  ['a relative path the parser reads as //evil.com', '/\\evil.com'],
  // encoded characters: in a host they decode to something else, or make it unparseable
  ['an encoded dot that decodes to app.aerostack.dev.evil.com', 'https://app.aerostack.dev%2eevil.com'],
  ['an encoded slash inside user info, host app.aerostack.dev with user evil.com/', 'https://evil.com%2F@app.aerostack.dev'],
  ['an encoded @ inside the host (unparseable)', 'https://app.aerostack.dev%40evil.com/'],
  ['an encoded # inside user info', 'https://evil.com%23@app.aerostack.dev/'],
  ['an encoded CR LF in the host (unparseable)', 'https://app.aerostack.dev%0d%0a.evil.com/'],
  ['an encoded CR LF header injection in the host', 'https://app.aerostack.dev%0d%0aLocation:%20https://evil.com/'],
  ['an encoded NUL in the host (unparseable)', 'https://app.aerostack.dev%00.evil.com/'],
  ['an encoded ideographic full stop that decodes to app.aerostack.dev.evil.com', 'https://app.aerostack.dev%E3%80%82evil.com/'],
  // wrong scheme, or no scheme
  ['plain http to the https host', 'http://app.aerostack.dev/'],
  ['plain http in upper case', 'HTTP://APP.AEROSTACK.DEV/'],
  ['a javascript: URL', 'javascript:alert(1)'],
  ['a javascript: URL in mixed case', 'jAvAsCrIpT:alert(document.cookie)'],
  ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
  ['a vbscript: URL', 'vbscript:msgbox(1)'],
  ['an ftp URL on the allowed host', 'ftp://app.aerostack.dev/'],
  ['a file URL', 'file:///etc/passwd'],
  ['a websocket URL on the allowed port', 'ws://localhost:5173/'],
  ['a blob URL, whose origin the parser reports as https://app.aerostack.dev', 'blob:https://app.aerostack.dev/0b2c3d4e'],
  ['a scheme-relative URL', '//app.aerostack.dev'],
  ['a relative path', '/settings'],
  ['a bare host without a scheme', 'app.aerostack.dev/settings'],
  // wrong port
  ['a non-default https port', 'https://app.aerostack.dev:8443'],
  ['the wrong local port', 'http://localhost:5174'],
  ['localhost without the dev-server port', 'http://localhost'],
  ['localhost on port 80 written out', 'http://localhost:80/'],
  ['https to the local dev server', 'https://localhost:5173/'],
  ['a port out of range (unparseable)', 'https://app.aerostack.dev:65536/'],
  ['a port followed by a host (unparseable)', 'http://localhost:5173.evil.com/'],
  // the wildcard: exactly one non-empty DNS label, same scheme and port
  ['an empty wildcard label', 'https://.aerostack-admin.pages.dev'],
  ['two labels in front of the wildcard base', 'https://a.b.aerostack-admin.pages.dev'],
  ['a label starting with a hyphen', 'https://-x.aerostack-admin.pages.dev/'],
  ['a literal asterisk as the label', 'https://*.aerostack-admin.pages.dev/'],
  ['a label longer than 63 characters', `https://${'a'.repeat(64)}.aerostack-admin.pages.dev/`],
  ['plain http to a preview host', 'http://preview.aerostack-admin.pages.dev/'],
  ['a non-default port on a preview host', 'https://preview.aerostack-admin.pages.dev:8443/'],
  // trailing dots: the parser keeps them, and the browser treats the host as another origin
  ['a trailing dot on the allowed host', 'https://app.aerostack.dev./'],
  ['a trailing dot on the wildcard base', 'https://aerostack-admin.pages.dev./'],
  ['a trailing dot on a preview host', 'https://pr-12.aerostack-admin.pages.dev./'],
  ['a trailing dot on localhost', 'http://localhost.:5173/'],
  // IP literals, however they are spelled
  ['the loopback address on the dev-server port', 'http://127.0.0.1:5173/'],
  ['the loopback address in short form', 'http://127.1:5173/'],
  ['the loopback address as one hexadecimal number', 'http://0x7f000001:5173/'],
  ['the loopback address as one decimal number', 'http://2130706433:5173/'],
  ['the unspecified address', 'http://0.0.0.0:5173/'],
  ['an IPv6 loopback literal', 'http://[::1]:5173/'],
  ['an IPv4-mapped IPv6 loopback literal', 'http://[::ffff:127.0.0.1]:5173/'],
  ['a public IPv4 literal', 'https://93.184.216.34/'],
  ['localhost as a subdomain of evil.com', 'http://localhost.evil.com:5173/'],
  // IDN homographs: the parser turns them into punycode hosts that are not ours
  ['a Cyrillic а in "app"', 'https://\u0430pp.aerostack.dev/'],
  ['a Cyrillic а in "aerostack"', 'https://app.\u0430erostack.dev/'],
  ['a Cyrillic е in the wildcard base', 'https://pr-12.a\u0435rostack-admin.pages.dev/'],
  ['a punycode look-alike written out', 'https://xn--pp-7ka.aerostack.dev/'],
  // whitespace and control characters, which the parser would silently drop or encode
  ['a leading space', ' https://app.aerostack.dev/'],
  ['a trailing newline', 'https://app.aerostack.dev/\n'],
  ['a tab inside the host', 'https://app.aero\tstack.dev/'],
  ['a newline inside the host', 'https://app.aero\nstack.dev/'],
  ['a CR LF header injection in the path', 'https://app.aerostack.dev/\r\nSet-Cookie:x=1'],
  ['a space before an @', 'https://app.aerostack.dev @evil.com/'],
  ['a NUL between two URLs', 'https://evil.com\u0000https://app.aerostack.dev'],
  ['a DEL character', 'https://app.aerostack.dev/\u007f'],
  ['a C1 control character (NEL)', 'https://app.aerostack.dev/\u0085'],
  ['an ideographic space in the host (unparseable)', 'https://app.aerostack.dev\u3000/'],
  // not strings, empty, or too long
  ['null', null],
  ['undefined', undefined],
  ['a number', 42],
  ['an object', {}],
  ['an array holding an allowed URL', ['https://app.aerostack.dev/']],
  ['a boolean', true],
  ['the empty string', ''],
  ['an allowed URL one character over the limit', `https://app.aerostack.dev/${'a'.repeat(MAX_REDIRECT_URL_LENGTH - 'https://app.aerostack.dev/'.length + 1)}`],
  ['a very long URL', `https://app.aerostack.dev/${'a'.repeat(10_000)}`],
];

/**
 * URLs a browser would forgive into an allowed origin, refused because the policy takes a redirect
 * only as it is written: no scheme without slashes, no encoded host characters, no empty user info.
 */
const REFUSED_AS_WRITTEN: readonly (readonly [why: string, raw: string])[] = [
  ['an encoded dot in the host', 'https://app%2Eaerostack.dev'],
  ['an encoded letter in the host', 'https://%61pp.aerostack.dev/'],
  ['an empty user info', 'https://@app.aerostack.dev/'],
  ['an empty user name and password', 'https://:@app.aerostack.dev/'],
  ['a scheme with no slashes', 'https:app.aerostack.dev/'],
  ['a scheme with one slash', 'https:/app.aerostack.dev/'],
];

const ALLOWED: readonly (readonly [raw: string, href: string])[] = [
  ['https://app.aerostack.dev', 'https://app.aerostack.dev/'],
  ['https://app.aerostack.dev/settings/billing?success=true', 'https://app.aerostack.dev/settings/billing?success=true'],
  ['https://app.aerostack.dev/settings#billing', 'https://app.aerostack.dev/settings#billing'],
  ['https://app.aerostack.dev/?next=https://evil.com', 'https://app.aerostack.dev/?next=https://evil.com'],
  ['https://app.aerostack.dev?@evil.com', 'https://app.aerostack.dev/?@evil.com'],
  ['https://app.aerostack.dev:443/settings', 'https://app.aerostack.dev/settings'],
  ['https://APP.aerostack.dev/', 'https://app.aerostack.dev/'],
  ['HTTPS://APP.AEROSTACK.DEV/Settings', 'https://app.aerostack.dev/Settings'],
  ['https://aerostack-admin.pages.dev/billing', 'https://aerostack-admin.pages.dev/billing'],
  ['https://pr-12.aerostack-admin.pages.dev/x', 'https://pr-12.aerostack-admin.pages.dev/x'],
  ['https://PR-12.AEROSTACK-ADMIN.PAGES.DEV/x', 'https://pr-12.aerostack-admin.pages.dev/x'],
  ['https://3f2a1c.aerostack-admin.pages.dev/', 'https://3f2a1c.aerostack-admin.pages.dev/'],
  ['https://pr-12.aerostack-admin.pages.dev:443/', 'https://pr-12.aerostack-admin.pages.dev/'],
  [`https://${'a'.repeat(63)}.aerostack-admin.pages.dev/`, `https://${'a'.repeat(63)}.aerostack-admin.pages.dev/`],
  ['http://localhost:5173/cb?x=1', 'http://localhost:5173/cb?x=1'],
  ['http://LOCALHOST:5173/cb', 'http://localhost:5173/cb'],
];

describe('the default redirect allow-list', () => {
  it('has at least 40 hostile URLs to refuse', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it('knows what the parser makes of the hostile URLs it lists', () => {
    expect(new URL('https://evil.com@app.aerostack.dev').username).toBe('evil.com');
    expect(new URL('https://app.aerostack.dev@evil.com').hostname).toBe('evil.com');
    expect(new URL('https:\\\\evil.com').hostname).toBe('evil.com');
    expect(new URL('https://app.aerostack.dev%2eevil.com').hostname).toBe('app.aerostack.dev.evil.com');
    expect(new URL('blob:https://app.aerostack.dev/0b2c3d4e').origin).toBe('https://app.aerostack.dev');
    expect(new URL('http://0x7f000001:5173/').hostname).toBe('127.0.0.1');
    expect(new URL('https://app.\u0430erostack.dev/').hostname).toMatch(/^app\.xn--/);
    expect(new URL('https://app.aerostack.dev./').origin).toBe('https://app.aerostack.dev.');
  });

  it.each(HOSTILE)('refuses %s with BAD_USER_INPUT naming the field: %j', (_why, raw) => {
    expectRefused(raw);
  });

  it.each(REFUSED_AS_WRITTEN)('refuses %s as written, although a browser would forgive it: %j', (_why, raw) => {
    expectRefused(raw);
  });

  it.each(ALLOWED)('allows %s and returns it parsed as %s', (raw, href) => {
    const url = allowList.check(raw, 'return_url');

    expect(url).toBeInstanceOf(URL);
    expect(url.href).toBe(href);
  });

  it('names in the refusal whichever field the caller passes', () => {
    expectRefused('https://evil.com/', 'cancel_url');
    expectRefused('https://evil.com/', 'return_url');
  });

  it('allows a URL of exactly the maximum length and refuses one a character longer', () => {
    const base = 'https://app.aerostack.dev/';
    const atLimit = base + 'a'.repeat(MAX_REDIRECT_URL_LENGTH - base.length);

    expect(allowList.check(atLimit, 'success_url').href).toBe(atLimit);
    expectRefused(`${atLimit}a`);
  });

  // The parser skips any run of slashes after http(s):, so each of these is the same URL as the
  // two-slash form beside it, which is refused.
  it.each([
    ['https:///user:pass@app.aerostack.dev/', 'https://user:pass@app.aerostack.dev/'],
    ['https:////evil.com@app.aerostack.dev/', 'https://evil.com@app.aerostack.dev/'],
    ['https:///app%2Eaerostack.dev/', 'https://app%2Eaerostack.dev/'],
  ])('refuses %j as it refuses %j, however many slashes follow the scheme', (raw, twoSlashes) => {
    expect(new URL(raw).href).toBe(new URL(twoSlashes).href);
    expectRefused(twoSlashes);
    expectRefused(raw);
  });

  it('either refuses with InvalidInputError or returns a URL on an allowed origin, whatever the input', () => {
    const host = fc.constantFrom(
      'app.aerostack.dev',
      'APP.aerostack.dev',
      'aerostack-admin.pages.dev',
      'pr-12.aerostack-admin.pages.dev',
      'a.b.aerostack-admin.pages.dev',
      '.aerostack-admin.pages.dev',
      'localhost',
      'evil.com',
      'app.aerostack.dev.evil.com',
      '127.0.0.1',
      '[::1]',
      '\u0430pp.aerostack.dev',
    );
    const crafted = fc
      .tuple(
        fc.constantFrom('https:', 'http:', 'HTTPS:', 'ftp:', 'javascript:', 'blob:https:', ''),
        fc.constantFrom('//', '/', '', '\\\\', '///', '/\\'),
        fc.option(fc.constantFrom('user@', 'app.aerostack.dev@', 'evil.com@', ':@', 'evil.com%2F@'), { nil: '' }),
        host,
        fc.option(fc.constantFrom(':443', ':5173', ':8443', ':', ':80', '.'), { nil: '' }),
        fc.option(fc.constantFrom('@evil.com', '%2eevil.com', '\\@evil.com', '.evil.com', '#@evil.com'), { nil: '' }),
        fc.option(fc.webPath(), { nil: '' }),
      )
      .map((parts) => parts.join(''));
    const raw = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      crafted,
      fc.constantFrom(...ALLOWED.map(([url]) => url)).chain((url) => fc.string().map((tail) => url + tail)),
      fc.anything(),
    );

    fc.assert(
      fc.property(raw, (input) => {
        let url: URL;
        try {
          url = allowList.check(input, 'cancel_url');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cancel_url' });
          return;
        }
        expect(url).toBeInstanceOf(URL);
        expect(isAllowedOrigin(url)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('a configured redirect allow-list', () => {
  it.each([
    ['a host without a scheme', 'app.aerostack.dev'],
    ['an origin with a path', 'https://app.aerostack.dev/path'],
    ['a wildcard with no base host', 'https://*.'],
    ['a wildcard in the middle of the host', 'https://x.*.example.test'],
    ['two wildcards', 'https://*.*.example.dev'],
    ['a wildcard not followed by a dot', 'https://*example.test'],
    ['a scheme other than http and https', 'ftp://files.example'],
    ['an origin with user info', 'https://user@example.test'],
    ['an origin with a query', 'https://example.test?x=1'],
    ['an upper-case host, which is not how the origin is written', 'https://APP.aerostack.dev'],
    ['an empty string', ''],
  ])('refuses %s as an entry, naming REDIRECT_ALLOWED_ORIGINS: %j', (_why, entry) => {
    const error = refusalOf(() => RedirectAllowList.of([entry]));

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'REDIRECT_ALLOWED_ORIGINS' });
  });

  it('refuses a malformed entry even when the other entries are fine', () => {
    const error = refusalOf(() => RedirectAllowList.of(['https://app.aerostack.dev', 'app.aerostack.dev']));

    expect(error).toMatchObject({ field: 'REDIRECT_ALLOWED_ORIGINS' });
  });

  it('names the configuration field the caller passes for a malformed entry', () => {
    expect(refusalOf(() => RedirectAllowList.of(['https://*.'], 'RETURN_ORIGINS'))).toMatchObject({ field: 'RETURN_ORIGINS' });
  });

  it('accepts an entry with surrounding whitespace or a trailing slash', () => {
    const custom = RedirectAllowList.of(['  https://shop.example.test/  ']);

    expect(custom.check('https://shop.example.test/cart', 'success_url').origin).toBe('https://shop.example.test');
  });

  it('matches a wildcard entry with a port only on that port', () => {
    const custom = RedirectAllowList.of(['https://*.example.test:8443']);

    expect(custom.check('https://a.example.test:8443/x', 'success_url').href).toBe('https://a.example.test:8443/x');
    expectRefusedBy(custom, 'https://a.example.test/x');
    expectRefusedBy(custom, 'https://a.example.test:443/x');
    expectRefusedBy(custom, 'https://a.example.test:8444/x');
    expectRefusedBy(custom, 'http://a.example.test:8443/x');
    expectRefusedBy(custom, 'https://example.test:8443/x');
  });

  it('matches a wildcard entry on exactly one label in front of its base host', () => {
    const custom = RedirectAllowList.of(['https://*.example.test']);

    expect(custom.check('https://a.example.test/', 'success_url').hostname).toBe('a.example.test');
    expectRefusedBy(custom, 'https://example.test/');
    expectRefusedBy(custom, 'https://a.b.example.test/');
    expectRefusedBy(custom, 'https://aexample.test/');
  });

  it('refuses an empty list of origins', () => {
    expect(() => RedirectAllowList.of([])).toThrow();
  });
});

function expectRefusedBy(list: RedirectAllowList, raw: string): void {
  const error = refusalOf(() => list.check(raw, 'success_url'));
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error).toMatchObject({ field: 'success_url' });
}

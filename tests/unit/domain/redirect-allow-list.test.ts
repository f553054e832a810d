import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_ORIGINS, RedirectAllowList } from '../../../domain/billing/redirect-allow-list.policy.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';

const allowList = RedirectAllowList.of(DEFAULT_ALLOWED_ORIGINS);

const HOSTILE: readonly unknown[] = [
  // user info: the browser goes to the host after the @
  'https://app.aerostack.dev@evil.com/',
  'https://app.aerostack.dev:443@evil.com/',
  'https://evil.com@app.aerostack.dev/',
  'https://user:pass@app.aerostack.dev/settings',
  'https://:@app.aerostack.dev/',
  // look-alike hosts and suffixes
  'https://app.aerostack.dev.evil.com/',
  'https://app.aerostack.dev.',
  'https://app-aerostack.dev/',
  'https://appaerostack.dev/',
  'https://aerostack.dev/',
  'https://app.aerostack.dev.evil.com:443/',
  'https://evilaerostack-admin.pages.dev/',
  'https://xaerostack-admin.pages.dev/',
  'https://aerostack-admin.pages.dev.evil.com/',
  'https://preview.aerostack-admin.pages.dev.evil.com/',
  'https://evil.com/https://app.aerostack.dev',
  'https://evil.com/?next=https://app.aerostack.dev',
  'https://evil.com#https://app.aerostack.dev',
  // backslashes, which WHATWG parsers read as slashes
  'https://evil.com\\@app.aerostack.dev/',
  'https://app.aerostack.dev\\@evil.com/',
  'https:\\\\evil.com/',
  '/\\evil.com',
  // encoded characters
  'https://app.aerostack.dev%2eevil.com/',
  'https://app%2Eaerostack.dev/',
  'https://evil.com%2F@app.aerostack.dev/',
  'https://app.aerostack.dev%40evil.com/',
  'https://evil.com%23@app.aerostack.dev/',
  'https://app.aerostack.dev%0d%0aLocation:%20https://evil.com/',
  'https://app.aerostack.dev%00.evil.com/',
  // wrong scheme or no scheme
  'http://app.aerostack.dev/',
  'javascript:alert(document.cookie)',
  'data:text/html,<script>alert(1)</script>',
  'ftp://app.aerostack.dev/',
  'ws://localhost:5173/',
  '//app.aerostack.dev/settings',
  '/settings/billing',
  'app.aerostack.dev/settings',
  'https:app.aerostack.dev',
  // wrong port
  'https://app.aerostack.dev:8443/',
  'http://localhost:5174/',
  'http://localhost/',
  'https://localhost:5173/',
  'http://localhost:80/',
  // the wildcard: exactly one non-empty label
  'https://.aerostack-admin.pages.dev/',
  'https://a.b.aerostack-admin.pages.dev/',
  'https://-x.aerostack-admin.pages.dev/',
  'http://preview.aerostack-admin.pages.dev/',
  'https://preview.aerostack-admin.pages.dev:8443/',
  // other hosts that resolve nearby
  'http://127.0.0.1:5173/',
  'http://[::1]:5173/',
  'http://localhost.evil.com:5173/',
  'https://xn--pp-7ka.aerostack.dev/',
  'https://аpp.aerostack.dev/',
  // whitespace and control characters the parser would silently drop
  ' https://app.aerostack.dev/',
  'https://app.aerostack.dev/\n',
  'https://app.aero\tstack.dev/',
  'https://evil.com\u0000https://app.aerostack.dev',
  // not strings, empty, or too long
  null,
  undefined,
  42,
  {},
  ['https://app.aerostack.dev/'],
  '',
  `https://app.aerostack.dev/${'a'.repeat(2_048)}`,
];

const ALLOWED = [
  'https://app.aerostack.dev/settings/billing?success=true',
  'https://app.aerostack.dev',
  'https://APP.aerostack.dev/Settings',
  'https://app.aerostack.dev:443/settings',
  'https://app.aerostack.dev/settings#billing',
  'https://aerostack-admin.pages.dev/billing',
  'https://pr-12.aerostack-admin.pages.dev/billing',
  'https://3f2a1c.aerostack-admin.pages.dev/',
  'http://localhost:5173/cb?x=1',
];

describe('the redirect allow-list of the spec', () => {
  it(`has at least 40 hostile URLs to refuse (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(HOSTILE.map((url) => [url]))('refuses %j with BAD_USER_INPUT naming the field', (url) => {
    expect(() => allowList.check(url, 'success_url')).toThrow(InvalidInputError);
    try {
      allowList.check(url, 'success_url');
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'success_url' });
    }
  });

  it.each(ALLOWED)('allows %s', (url) => {
    expect(allowList.check(url, 'return_url').href).toBe(new URL(url).href);
  });

  it('never returns a URL whose origin is off the list, whatever the input', () => {
    const allowed = new Set(['https://app.aerostack.dev', 'https://aerostack-admin.pages.dev', 'http://localhost:5173']);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.webUrl().map((url) => url.replace('://', '://app.aerostack.dev@')),
          fc.constantFrom(...ALLOWED).chain((url) => fc.string().map((tail) => url + tail)),
        ),
        (raw) => {
          let url: URL;
          try {
            url = allowList.check(raw, 'cancel_url');
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInputError);
            return;
          }
          expect(allowed.has(url.origin) || /^https:\/\/[a-z0-9-]+\.aerostack-admin\.pages\.dev$/.test(url.origin)).toBe(true);
          expect(url.username + url.password).toBe('');
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it.each(['app.aerostack.dev', 'https://app.aerostack.dev/path', 'https://*.', 'ftp://files.example', 'https://*.*.example.dev'])(
    'refuses the configured entry %j, naming REDIRECT_ALLOWED_ORIGINS',
    (entry) => {
      expect(() => RedirectAllowList.of([entry])).toThrow(/REDIRECT_ALLOWED_ORIGINS/);
    },
  );

  it('matches a wildcard entry with a port only on that port', () => {
    const custom = RedirectAllowList.of(['https://*.example.test:8443']);

    expect(custom.check('https://a.example.test:8443/x', 'success_url').hostname).toBe('a.example.test');
    expect(() => custom.check('https://a.example.test/x', 'success_url')).toThrow(InvalidInputError);
  });
});

import { describe, expect, it } from 'vitest';
import { aUserId, FixedClock } from '../support/builders.ts';
import { makeTestApp, signToken, TEST_JWT_SECRET } from '../support/test-app.ts';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A token with `alg: none`: the classic forgery that a verifier must never accept. */
function unsignedToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub, iat: now, exp: now + 3600 })}.`;
}

const hostileTokens: [string, () => Promise<string>][] = [
  ['an alg:none token', async () => unsignedToken(aUserId())],
  ['an expired token', () => signToken({ sub: aUserId(), expiresIn: Math.floor(Date.now() / 1000) - 60 })],
  ['a token signed with another secret', () => signToken({ sub: aUserId(), secret: 'another-secret-that-is-also-long-enough!' })],
  ['an HS512 token (algorithm not pinned to HS256)', () => signToken({ sub: aUserId(), alg: 'HS512' })],
  ['a token without a subject', () => signToken({})],
  ['a token with an unknown role', () => signToken({ sub: aUserId(), role: 'superuser' })],
  ['a token with a subject longer than 255 characters', () => signToken({ sub: 'u'.repeat(256) })],
  ['a token whose payload was edited after signing', async () => {
    const [header, , signature] = (await signToken({ sub: 'victim' })).split('.');
    return `${header}.${base64url({ sub: 'attacker', exp: Math.floor(Date.now() / 1000) + 3600 })}.${signature}`;
  }],
  ['garbage', async () => 'not-a-jwt'],
];

describe('authentication', () => {
  it('answers 401 with a JSON error when the Authorization header is missing', async () => {
    const response = await makeTestApp().request('/api/billing');

    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ error: expect.stringContaining('Authorization'), code: 'UNAUTHENTICATED' });
  });

  it('answers UNAUTHENTICATED over GraphQL when the Authorization header is missing', async () => {
    const { errors } = await makeTestApp().graphql('{ billing { planTier } }');

    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([['a NUL', 'user\u0000x'], ['an unpaired surrogate', 'user\ud800x'], ['a line break', 'user\nx']])(
    'refuses a correctly signed token whose sub holds %s, as no user id can',
    async (_what, sub) => {
      const response = await makeTestApp().request('/api/billing', { token: await signToken({ sub }) });

      expect(response.status).toBe(401);
      expect(response.json().error).toMatch(/sub must be/);
    },
  );

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await makeTestApp().request('/api/billing', { headers: { authorization: `Basic ${btoa('a:b')}` } });

    expect(response.status).toBe(401);
  });

  it.each(hostileTokens)('refuses %s with 401 over REST and UNAUTHENTICATED over GraphQL', async (_name, makeToken) => {
    const { request, graphql } = makeTestApp();
    const token = await makeToken();

    const rest = await request('/api/billing', { token });
    const gql = await graphql('{ billing { planTier } }', { token });

    expect(rest.status).toBe(401);
    expect(rest.json().error).toMatch(/token/);
    expect(gql.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(gql.data).toBeNull();
  });

  it('accepts a token within the small clock tolerance after expiry', async () => {
    const { request } = makeTestApp();
    const token = await signToken({ sub: aUserId(), expiresIn: Math.floor(Date.now() / 1000) - 2 });

    expect((await request('/api/billing', { token })).status).toBe(200);
  });

  it('never writes a token to the log, accepted or refused', async () => {
    const { request, logs } = makeTestApp();
    const good = await signToken({ sub: aUserId() });
    const forged = await signToken({ sub: aUserId(), secret: 'another-secret-that-is-also-long-enough!' });

    await request('/api/billing', { token: good });
    await request('/api/billing', { token: forged });

    const logged = JSON.stringify(logs());
    expect(logs().length).toBeGreaterThan(0);
    expect(logged).not.toContain(good.split('.')[2]);
    expect(logged).not.toContain(forged.split('.')[2]);
  });

  describe('with JWT_ISSUER and JWT_AUDIENCE configured', () => {
    const env = { JWT_ISSUER: 'https://auth.example.test', JWT_AUDIENCE: 'billing' };

    it('accepts a token with the configured issuer and audience', async () => {
      const token = await signToken({ sub: aUserId(), issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });

      expect((await makeTestApp({ env }).request('/api/billing', { token })).status).toBe(200);
    });

    it.each([
      ['another issuer', { issuer: 'https://evil.example.test', audience: 'billing' }],
      ['another audience', { issuer: 'https://auth.example.test', audience: 'dashboard' }],
      ['no issuer or audience', {}],
    ])('refuses a token with %s', async (_name, claims) => {
      const token = await signToken({ sub: aUserId(), ...claims });
      const response = await makeTestApp({ env }).request('/api/billing', { token });

      expect(response.status).toBe(401);
      expect(response.json().error).toMatch(/claim "(iss|aud)"/);
    });
  });

  it('uses the configured secret, not the development one, once JWT_SECRET is set', async () => {
    const token = await signToken({ sub: aUserId(), secret: 'development-only-jwt-secret-do-not-use-in-production' });

    expect((await makeTestApp({ env: { JWT_SECRET: TEST_JWT_SECRET } }).request('/api/billing', { token })).status).toBe(401);
  });
});

describe('verified-token cache', () => {
  it('stops accepting a remembered token once the clock passes its expiry', async () => {
    const clock = new FixedClock(new Date());
    const { request } = makeTestApp({ clock });
    const token = await signToken({ sub: aUserId(), expiresIn: Math.floor(clock.now().getTime() / 1000) + 30 });

    const before = await request('/api/billing', { token });
    const again = await request('/api/billing', { token });
    clock.advance(40_000);
    const after = await request('/api/billing', { token });

    expect([before.status, again.status, after.status]).toEqual([200, 200, 401]);
    expect(after.json().error).toMatch(/expired/);
  });
});

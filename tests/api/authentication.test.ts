import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JWT_MAX_TTL_SECONDS } from '../../api/config.ts';
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

/** A correctly signed token with exactly these claims: any `sub`, any `iat` and `exp`, none added. */
function signClaims(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const TEN_YEARS_SECONDS = 10 * 365 * 86_400;

/** Answers of REST and GraphQL to one token. */
async function bothAnswers(token: string, env?: Record<string, string>) {
  const { request, graphql } = makeTestApp({ env });
  const rest = await request('/api/billing', { token });
  const gql = await graphql('{ billing { planTier } }', { token });
  return { rest: { status: rest.status, ...rest.json() }, gql: { code: gql.errors?.[0]?.extensions?.code, message: gql.errors?.[0]?.message, data: gql.data } };
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

  it.each([
    ['a number', 12345],
    ['an object', { id: 'user-1' }],
    ['an array', ['user-1']],
    ['true', true],
  ])('refuses a correctly signed token whose sub is %s with 401, not an internal error', async (_what, sub) => {
    const { rest, gql } = await bothAnswers(await signClaims({ sub, iat: nowSeconds(), exp: nowSeconds() + 3600 }));

    expect(rest).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', error: expect.stringMatching(/sub must be a string/) });
    expect(gql).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/sub must be a string/), data: null });
  });

  it.each([
    ['a leading space', ' alice'],
    ['a trailing space', 'alice '],
    ['a trailing tab', 'alice\t'],
    ['a right-to-left override (U+202E)', 'alice\u202etxt.exe'],
    ['a zero-width space (U+200B)', 'ali\u200bce'],
    ['a bidi isolate (U+2066)', '\u2066alice'],
    ['a byte order mark (U+FEFF)', '\ufeffalice'],
    ['a line separator (U+2028)', 'ali\u2028ce'],
    ['a C1 control (U+0085)', 'ali\u0085ce'],
  ])('refuses a correctly signed token whose sub has %s with 401', async (_what, sub) => {
    const { rest, gql } = await bothAnswers(await signToken({ sub }));

    expect(rest).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', error: expect.stringMatching(/sub must be a string of 1 to 255 characters without surrounding spaces/) });
    expect(gql).toMatchObject({ code: 'UNAUTHENTICATED', data: null });
  });

  it('holds a token\'s sub to the same rule as a user id an admin names: who can sign in can be adjusted, and no one else', async () => {
    const { request, graphql } = makeTestApp();
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const candidates: [string, boolean][] = [
      ['alice', true],
      ['user@example.com', true],
      ['Ω≈ç √∫', true],
      ['🙂', true],
      ['e\u0301', true],
      ['u'.repeat(255), true],
      ['u'.repeat(256), false],
      [' alice', false],
      ['alice\n', false],
      ['a\u202eb', false],
      ['\u200b', false],
      ['a\u0000b', false],
      ['a\ud800b', false],
    ];

    const verdicts = [];
    for (const [userId] of candidates) {
      const signIn = await request('/api/billing', { token: await signToken({ sub: userId }) });
      const adjusted = await graphql('mutation ($userId: String!) { adjustWallet(userId: $userId, amountCents: 100, reason: "goodwill") { balanceCents } }', {
        token: admin,
        variables: { userId },
      });
      verdicts.push([userId, signIn.status === 200, adjusted.errors === undefined]);
    }

    expect(verdicts).toEqual(candidates.map(([userId, valid]) => [userId, valid, valid]));
  });

  describe('token lifetime', () => {
    const env = { JWT_MAX_TTL_SECONDS: String(DEFAULT_JWT_MAX_TTL_SECONDS) };

    it.each([
      ['an exp of 1e308', () => signClaims({ sub: aUserId(), iat: nowSeconds(), exp: 1e308 }), /the most this service accepts is 86400 s/],
      ['an iat ten years ahead', () => signClaims({ sub: aUserId(), iat: nowSeconds() + TEN_YEARS_SECONDS, exp: nowSeconds() + TEN_YEARS_SECONDS + 3600 }), /claim "iat" is in the future/],
      ['an iat a minute ahead', () => signClaims({ sub: aUserId(), iat: nowSeconds() + 60, exp: nowSeconds() + 3600 }), /claim "iat" is in the future/],
      ['a lifetime one second over JWT_MAX_TTL_SECONDS', () => signClaims({ sub: aUserId(), iat: nowSeconds(), exp: nowSeconds() + DEFAULT_JWT_MAX_TTL_SECONDS + 1 }), /lives 86401 s from iat to exp/],
      ['no iat', () => signClaims({ sub: aUserId(), exp: nowSeconds() + 3600 }), /claim "iat" is missing/],
      ['an iat that is not a number', () => signClaims({ sub: aUserId(), iat: String(nowSeconds()), exp: nowSeconds() + 3600 }), /claim "iat" is not accepted/],
      ['an iat older than JWT_MAX_TTL_SECONDS', () => signClaims({ sub: aUserId(), iat: nowSeconds() - DEFAULT_JWT_MAX_TTL_SECONDS - 60, exp: nowSeconds() + 60 }), /token has expired/],
    ])('refuses a token with %s with 401 over REST and UNAUTHENTICATED over GraphQL', async (_what, makeToken, reason) => {
      const { rest, gql } = await bothAnswers(await makeToken(), env);

      expect(rest).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', error: expect.stringMatching(reason) });
      expect(gql).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(reason), data: null });
    });

    it('accepts a token that lives exactly JWT_MAX_TTL_SECONDS, and an iat within the clock tolerance ahead', async () => {
      const { request } = makeTestApp({ env });
      const longest = await signClaims({ sub: aUserId(), iat: nowSeconds(), exp: nowSeconds() + DEFAULT_JWT_MAX_TTL_SECONDS });
      const slightlyAhead = await signClaims({ sub: aUserId(), iat: nowSeconds() + 2, exp: nowSeconds() + 3600 });

      expect([(await request('/api/billing', { token: longest })).status, (await request('/api/billing', { token: slightlyAhead })).status]).toEqual([200, 200]);
    });

    it('takes the longest lifetime from JWT_MAX_TTL_SECONDS', async () => {
      const { request } = makeTestApp({ env: { JWT_MAX_TTL_SECONDS: '3600' } });
      const hour = await signToken({ sub: aUserId(), expiresIn: '1h' });
      const twoHours = await signToken({ sub: aUserId(), expiresIn: '2h' });

      const refused = await request('/api/billing', { token: twoHours });
      expect([(await request('/api/billing', { token: hour })).status, refused.status]).toEqual([200, 401]);
      expect(refused.json().error).toMatch(/lives 7200 s from iat to exp; the most this service accepts is 3600 s \(JWT_MAX_TTL_SECONDS\)/);
    });
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

import { describe, expect, it } from 'vitest';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { resolve } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const BILLING_QUERY = '{ billing { planTier paymentGateway status billingInterval currentPeriodEnd country } }';

describe('GET /api/billing and query billing', () => {
  it('answers the spec shape with razorpay for a user whose token says India', async () => {
    const { request } = makeTestApp();
    const response = await request('/api/billing', { token: await signToken({ sub: aUserId(), country: 'IN' }) });

    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ plan_tier: 'free', payment_gateway: 'razorpay', status: 'active' });
  });

  it('answers stripe for a user in the United States', async () => {
    const { request } = makeTestApp();
    const response = await request('/api/billing', { token: await signToken({ sub: aUserId(), country: 'US' }) });

    expect(response.json()).toEqual({ plan_tier: 'free', payment_gateway: 'stripe', status: 'active' });
  });

  it('agrees with the REST answer over GraphQL', async () => {
    const { request, graphql } = makeTestApp();
    const token = await signToken({ sub: aUserId(), country: 'IN' });

    const rest = (await request('/api/billing', { token })).json();
    const { data, errors } = await graphql(BILLING_QUERY, { token });

    expect(errors).toBeUndefined();
    expect(data.billing).toEqual({
      planTier: rest.plan_tier,
      paymentGateway: rest.payment_gateway,
      status: rest.status,
      billingInterval: null,
      currentPeriodEnd: null,
      country: 'IN',
    });
  });

  it('defaults to the United States and stripe when nothing tells the country', async () => {
    const { graphql } = makeTestApp();
    const { data } = await graphql(BILLING_QUERY, { token: await signToken({ sub: aUserId() }) });

    expect(data.billing).toMatchObject({ country: 'US', paymentGateway: 'stripe' });
  });

  it('ignores CF-IPCountry unless TRUST_CF_IPCOUNTRY=1, since any client can send it', async () => {
    const untrusting = makeTestApp();
    const trusting = makeTestApp({ env: { TRUST_CF_IPCOUNTRY: '1' } });
    const headers = { 'cf-ipcountry': 'IN' };

    const ignored = await untrusting.request('/api/billing', { token: await signToken({ sub: aUserId() }), headers });
    const trusted = await trusting.request('/api/billing', { token: await signToken({ sub: aUserId() }), headers });

    expect(ignored.json().payment_gateway).toBe('stripe');
    expect(trusted.json().payment_gateway).toBe('razorpay');
  });

  it("prefers the token's country claim over the CF-IPCountry header", async () => {
    const { request } = makeTestApp({ env: { TRUST_CF_IPCOUNTRY: '1' } });
    const response = await request('/api/billing', {
      token: await signToken({ sub: aUserId(), country: 'US' }),
      headers: { 'cf-ipcountry': 'IN' },
    });

    expect(response.json().payment_gateway).toBe('stripe');
  });

  it('keeps the gateway chosen at signup when a later token claims another country', async () => {
    const { request } = makeTestApp();
    const userId = aUserId();

    await request('/api/billing', { token: await signToken({ sub: userId, country: 'IN' }) });
    const later = await request('/api/billing', { token: await signToken({ sub: userId, country: 'US' }) });

    expect(later.json().payment_gateway).toBe('razorpay');
  });
});

describe('mutation registerAccount', () => {
  const REGISTER = 'mutation ($country: String) { registerAccount(country: $country) { paymentGateway country planTier status } }';

  it('opens an account on razorpay for India and stripe elsewhere', async () => {
    const { graphql } = makeTestApp();

    const india = await graphql(REGISTER, { token: await signToken({ sub: aUserId() }), variables: { country: 'in' } });
    const germany = await graphql(REGISTER, { token: await signToken({ sub: aUserId() }), variables: { country: 'DE' } });

    expect(india.data.registerAccount).toEqual({ paymentGateway: 'razorpay', country: 'IN', planTier: 'free', status: 'active' });
    expect(germany.data.registerAccount).toMatchObject({ paymentGateway: 'stripe', country: 'DE' });
  });

  it('returns the same account when called again with the same country', async () => {
    const { graphql } = makeTestApp();
    const token = await signToken({ sub: aUserId() });

    await graphql(REGISTER, { token, variables: { country: 'IN' } });
    const again = await graphql(REGISTER, { token, variables: { country: 'IN' } });

    expect(again.errors).toBeUndefined();
    expect(again.data.registerAccount.paymentGateway).toBe('razorpay');
  });

  it('refuses with CONFLICT to move a registered account to another country, and keeps the gateway', async () => {
    const { graphql } = makeTestApp();
    const token = await signToken({ sub: aUserId() });
    await graphql(REGISTER, { token, variables: { country: 'IN' } });

    const moved = await graphql(REGISTER, { token, variables: { country: 'US' } });
    const after = await graphql(BILLING_QUERY, { token });

    expect(moved.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(after.data.billing.paymentGateway).toBe('razorpay');
  });

  it.each(['India', 'I', 'XX', 'ZZ', '12', '', ' ', 'IND', 'I N'])(
    'refuses country %j with BAD_USER_INPUT naming the field, and writes nothing',
    async (country) => {
      const { graphql, container } = makeTestApp();
      const userId = aUserId();

      const result = await graphql(REGISTER, { token: await signToken({ sub: userId }), variables: { country } });

      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'country' });
      expect(await resolve(container, ACCOUNT_PLAN_REPOSITORY).findByUserId(userId)).toBeNull();
    },
  );
});

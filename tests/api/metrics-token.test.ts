import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../support/test-app.ts';

const METRICS_TOKEN = 'scraper-token-0123456789abcdef';

describe('GET /metrics with METRICS_TOKEN set', () => {
  const { request } = makeTestApp({ env: { METRICS_TOKEN } });

  it('answers the exposition to a scraper sending the token as a bearer token', async () => {
    const answer = await request('/metrics', { token: METRICS_TOKEN });

    expect(answer.status).toBe(200);
    expect(answer.text).toContain('# TYPE http_requests_total counter');
  });

  it.each([
    ['no Authorization header', undefined],
    ['another token', `Bearer ${METRICS_TOKEN}x`],
    ['a prefix of the token', `Bearer ${METRICS_TOKEN.slice(0, 16)}`],
    ['the token without the Bearer scheme', METRICS_TOKEN],
    ['an empty bearer token', 'Bearer '],
  ])('answers 401 JSON with a code, and no metric, to %s', async (_, authorization) => {
    const answer = await request('/metrics', { headers: authorization === undefined ? {} : { authorization } });

    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(answer.json()).toEqual({ error: expect.stringContaining('METRICS_TOKEN'), code: 'UNAUTHENTICATED' });
    expect(answer.text).not.toContain('http_requests_total');
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  const { request } = makeTestApp();

  it('is open to any caller', async () => {
    const answer = await request('/metrics');

    expect(answer.status).toBe(200);
    expect(answer.text).toContain('# TYPE http_requests_total counter');
  });
});

import { describe, expect, it } from 'vitest';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { HEALTH_CHECK } from '../../application/shared/health.port.ts';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const failingRepository = {
  findByUserId: () => Promise.reject(new Error('connection to 10.0.0.5 refused (secret detail)')),
  insertIfAbsent: () => Promise.reject(new Error('unreachable')),
};

describe('the HTTP edge', () => {
  it('answers /healthz with 200 while the store answers', async () => {
    const response = await makeTestApp().request('/healthz');

    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /healthz with 503 while the store does not answer', async () => {
    const { request } = makeTestApp({
      configure: (container) => {
        container.rebind(HEALTH_CHECK).toConstantValue({ check: () => Promise.reject(new Error('down')) });
      },
    });
    const response = await request('/healthz');

    expect(response.status).toBe(503);
    expect(response.json().status).toBe('unavailable');
  });

  it('answers an unknown route with 404 and a JSON error with a code', async () => {
    const response = await makeTestApp().request('/api/nothing-here');

    expect(response.status).toBe(404);
    expect(response.json().error).toContain('/api/nothing-here');
    expect(response.json().code).toBe('NOT_FOUND');
  });

  it('refuses a body over 1 MiB with 413 before reading it', async () => {
    const response = await makeTestApp().request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(1024 * 1024) }),
    });

    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ error: expect.stringMatching(/larger than/), code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a body whose declared length is over 1 MiB with 413, judged from the header alone', async () => {
    const response = await makeTestApp().request('/api/billing/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(1024 * 1024 + 1) },
      body: '{}',
    });

    expect(response.status).toBe(413);
    expect(response.json().error).toMatch(/larger than/);
  });

  it('echoes a well-formed X-Request-Id and makes one up otherwise', async () => {
    const { request } = makeTestApp();

    const given = await request('/healthz', { headers: { 'x-request-id': 'abc-123' } });
    const hostile = await request('/healthz', { headers: { 'x-request-id': 'a b c' } });

    expect(given.headers.get('x-request-id')).toBe('abc-123');
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves GraphiQL on GET /graphql with its assets from this server, not a CDN', async () => {
    const response = await makeTestApp().request('/graphql', { headers: { accept: 'text/html' } });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.text).toContain('<html');
    expect(response.text).not.toMatch(/https?:\/\/(unpkg\.com|cdn\.jsdelivr\.net|esm\.sh)/);
  });

  it('hides the detail of an unexpected failure behind a generic GraphQL error', async () => {
    const { graphql } = makeTestApp({
      configure: (container) => container.rebind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(failingRepository),
    });
    const { errors } = await graphql('{ billing { planTier } }', { token: await signToken({ sub: aUserId() }) });

    expect(errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(errors)).not.toContain('secret detail');
  });

  it('answers an unexpected REST failure with 500, a request id and no internal detail', async () => {
    const { request } = makeTestApp({
      configure: (container) => container.rebind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(failingRepository),
    });
    const response = await request('/api/billing', { token: await signToken({ sub: aUserId() }) });

    expect(response.status).toBe(500);
    expect(response.json()).toEqual({ error: 'internal error', code: 'INTERNAL_SERVER_ERROR', requestId: response.headers.get('x-request-id') });
  });
});

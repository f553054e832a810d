import { Hono } from 'hono';
import type { z } from 'zod';
import { StartDeposit } from '../../application/wallet/start-deposit.use-case.ts';
import { VerifyDeposit } from '../../application/wallet/verify-deposit.use-case.ts';
import type { AppEnv } from '../http/app-env.ts';
import { signupSignals } from '../http/request-auth.ts';
import { DepositRequest, DepositVerificationResponse, SessionQuery, UrlResponse } from './billing.schemas.ts';
import { readJsonObject } from './json-body.ts';
import { parseRequest } from './request-schema.ts';

/** The documented `/api/balance` routes: wallet deposits, shapes exactly as the spec's. */
export function balanceRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/deposit', async (c) => {
    const requester = await c.get('requester')();
    const body = parseRequest(DepositRequest, await readJsonObject(c.req.raw));
    const started = await c.get('use')(StartDeposit).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
      amountCents: body.amount_cents,
      successUrl: body.success_url,
      cancelUrl: body.cancel_url,
    });
    return c.json({ url: started.url } satisfies z.input<typeof UrlResponse>);
  });

  routes.get('/verify', async (c) => {
    const requester = await c.get('requester')();
    const query = parseRequest(SessionQuery, c.req.query());
    const verified = await c.get('use')(VerifyDeposit).execute({ userId: requester.userId, sessionId: query.session_id });
    return c.json({
      deposited: verified.deposited,
      amount_cents: verified.amountCents,
      ...(verified.deposited ? {} : { status: verified.status }),
    } satisfies z.input<typeof DepositVerificationResponse>);
  });

  return routes;
}

import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import {
  BillingStateResponse,
  CheckoutRequest,
  CheckoutResponse,
  DepositRequest,
  DepositVerificationResponse,
  PlanSwitchForm,
  PortalLinkQuery,
  RazorpayCallbackForm,
  RenewalLinkQuery,
  ReturnUrlQuery,
  SessionQuery,
  TierResponse,
  UrlResponse,
} from './billing.schemas.ts';
import { ErrorBody } from './request-schema.ts';
import {
  AccountResponse,
  AdvanceOptions,
  AmountOptions,
  CancelOptions,
  CheckoutObjectResponse,
  DisputeResponse,
  NextTransferResponse,
  NoOptions,
  NowResponse,
  PaymentResponse,
  ReasonOptions,
  RequiredReasonOptions,
  SandboxIdParams,
  SandboxStateResponse,
  SubscriptionResponse,
  TransferResponse,
  UserOptions,
} from './sandbox.schemas.ts';

/**
 * The OpenAPI 3.1 document of every HTTP route this app mounts, at `GET /openapi.json`. It is
 * generated (@asteasolutions/zod-to-openapi) from the zod schemas the routes parse their input
 * with, and each route's answers are described with zod schemas too, which tests check the real
 * answers against. GraphQL is described by its own schema (introspection), not here.
 */

export type Operation = RouteConfig;

const ERROR_MEANINGS = {
  400: 'Bad input (BAD_USER_INPUT): `field` names the input at fault.',
  401: 'No valid token, or no valid signed link (UNAUTHENTICATED).',
  402: 'Not enough funds (INSUFFICIENT_FUNDS).',
  403: 'Not allowed to this caller (FORBIDDEN).',
  404: 'No such object (NOT_FOUND).',
  409: 'Conflicts with the current state (CONFLICT).',
  502: 'The payment provider refused or failed (PROVIDER_ERROR).',
  503: 'Not configured, not available, or too busy: try again after Retry-After.',
} as const;

type ErrorStatus = keyof typeof ERROR_MEANINGS;

const json = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
const html = (description: string): ResponseConfig => ({ description, content: { 'text/html': { schema: z.string() } } });
const redirect = (description: string): ResponseConfig => ({
  description: `303 See Other: ${description}`,
  headers: z.object({ location: z.string().meta({ description: 'Where the browser goes next.' }) }),
});
const errors = (...statuses: ErrorStatus[]): Record<string, ResponseConfig> =>
  Object.fromEntries(statuses.map((status) => [status, json(ERROR_MEANINGS[status], ErrorBody)]));

const bearer = [{ bearer: [] }];
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });
const formBody = (schema: z.ZodType) => ({ required: true, content: { 'application/x-www-form-urlencoded': { schema } } });

/** A provider's event: verified by its signature on the raw body, read by the provider's adapter. */
const ProviderEvent = z.looseObject({}).meta({ description: "The provider's event, exactly as it signed it." });
const Received = z.object({ received: z.literal(true) });

const billing: Operation[] = [
  {
    method: 'get',
    path: '/api/billing',
    tags: ['billing'],
    summary: "The caller's plan (opens their account on first use)",
    security: bearer,
    responses: { 200: json('The plan.', BillingStateResponse), ...errors(401) },
  },
  {
    method: 'post',
    path: '/api/billing/checkout',
    tags: ['billing'],
    summary: 'Start a hosted plan checkout (for a subscriber: a change of plan to confirm)',
    security: bearer,
    request: { body: jsonBody(CheckoutRequest) },
    responses: { 200: json('The hosted page to open.', CheckoutResponse), ...errors(400, 401, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/verify-session',
    tags: ['billing'],
    summary: 'After the redirect back: apply a paid plan checkout and answer the tier',
    security: bearer,
    request: { query: SessionQuery },
    responses: { 200: json('The tier the account is on now.', TierResponse), ...errors(400, 401, 404, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/portal',
    tags: ['billing'],
    summary: "A billing portal session (the provider's, or this server's page for Razorpay)",
    security: bearer,
    request: { query: ReturnUrlQuery },
    responses: { 200: json('The portal to open.', UrlResponse), ...errors(400, 401, 404, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/razorpay/checkout',
    tags: ['billing pages'],
    summary: "This server's page opening Razorpay Standard Checkout for a plan checkout",
    request: { query: SessionQuery },
    responses: { 200: html('The page.'), 303: redirect('the checkout is no longer open: back to the app.'), ...errors(400, 404, 409) },
  },
  {
    method: 'post',
    path: '/api/billing/razorpay/callback',
    tags: ['billing pages'],
    summary: "Standard Checkout's signed result",
    request: { query: SessionQuery, body: formBody(RazorpayCallbackForm) },
    responses: { 303: redirect('to the success URL (with session_id) or the cancel URL.'), ...errors(400, 404, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/portal/page',
    tags: ['billing pages'],
    summary: "This server's billing page (Razorpay hosts none), opened by the signed link GET /api/billing/portal answers",
    request: { query: PortalLinkQuery },
    responses: { 200: html('The page.'), ...errors(400, 401, 404, 502) },
  },
  {
    method: 'post',
    path: '/api/billing/portal/cancel',
    tags: ['billing pages'],
    summary: 'Cancel the plan at the end of its period (a form of the billing page)',
    request: { query: PortalLinkQuery },
    responses: { 303: redirect('back to the billing page.'), ...errors(400, 401, 404, 409, 502) },
  },
  {
    method: 'post',
    path: '/api/billing/portal/switch',
    tags: ['billing pages'],
    summary: 'Switch plan (a form of the billing page): on to the page confirming the change',
    request: { query: PortalLinkQuery, body: formBody(PlanSwitchForm) },
    responses: { 303: redirect('to the page confirming the change.'), ...errors(400, 401, 404, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/renewal',
    tags: ['billing pages'],
    summary: "A past-due plan's renewal link (billing state's renewalUrl): opens a one-time payment of the next period",
    request: { query: RenewalLinkQuery },
    responses: { 303: redirect("to the provider's payment page."), ...errors(401, 404, 409, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/renewal/done',
    tags: ['billing pages'],
    summary: 'What became of a renewal payment',
    request: { query: SessionQuery },
    responses: { 200: html('The page.'), ...errors(400, 404, 502) },
  },
  {
    method: 'get',
    path: '/api/billing/plan-change',
    tags: ['billing pages'],
    summary: "This server's page confirming a change of plan (Razorpay hosts none)",
    request: { query: SessionQuery },
    responses: { 200: html('The page.'), ...errors(400, 404, 409) },
  },
  {
    method: 'post',
    path: '/api/billing/plan-change/confirm',
    tags: ['billing pages'],
    summary: 'Confirm the change of plan',
    request: { query: SessionQuery },
    responses: { 303: redirect('to the success URL with session_id.'), ...errors(400, 404, 409, 502) },
  },
  {
    method: 'post',
    path: '/api/billing/plan-change/cancel',
    tags: ['billing pages'],
    summary: 'Keep the plan',
    request: { query: SessionQuery },
    responses: { 303: redirect('to the cancel URL.'), ...errors(400, 404, 409) },
  },
  {
    method: 'post',
    path: '/api/balance/deposit',
    tags: ['balance'],
    summary: 'Start a hosted checkout funding the wallet',
    security: bearer,
    request: { body: jsonBody(DepositRequest) },
    responses: { 200: json('The hosted page to open.', UrlResponse), ...errors(400, 401, 502) },
  },
  {
    method: 'get',
    path: '/api/balance/verify',
    tags: ['balance'],
    summary: 'After the redirect back: credit a paid deposit',
    security: bearer,
    request: { query: SessionQuery },
    responses: { 200: json('Whether it is deposited.', DepositVerificationResponse), ...errors(400, 401, 404, 409, 502) },
  },
  {
    method: 'post',
    path: '/api/billing/webhook',
    tags: ['webhooks'],
    summary: "Stripe's events, verified with STRIPE_WEBHOOK_SECRET",
    request: { headers: z.object({ 'stripe-signature': z.string() }), body: jsonBody(ProviderEvent) },
    responses: { 200: json('Recorded (or recorded before).', Received), ...errors(400, 503) },
  },
  {
    method: 'post',
    path: '/api/billing/webhook/razorpay',
    tags: ['webhooks'],
    summary: "Razorpay's events, verified with RAZORPAY_WEBHOOK_SECRET",
    request: { headers: z.object({ 'x-razorpay-signature': z.string(), 'x-razorpay-event-id': z.string() }), body: jsonBody(ProviderEvent) },
    responses: { 200: json('Recorded (or recorded before).', Received), ...errors(400, 503) },
  },
];

const service: Operation[] = [
  {
    method: 'get',
    path: '/',
    tags: ['operations'],
    summary: 'A short page of links: GraphiQL, health, this document, the sandbox',
    responses: { 200: { description: 'The page.', content: { 'text/html': { schema: z.string() } } } },
  },
  {
    method: 'get',
    path: '/healthz',
    tags: ['operations'],
    summary: 'Health: 200 while the database answers',
    responses: {
      200: json('Healthy.', z.object({ status: z.literal('ok') })),
      503: json('The database does not answer.', z.object({ status: z.literal('unavailable'), error: z.string(), code: z.literal('UNAVAILABLE') })),
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'The metrics.', content: { 'text/plain': { schema: z.string() } } }, ...errors(401) },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    responses: { 200: json('The OpenAPI 3.1 document.', z.looseObject({ openapi: z.string().startsWith('3.1'), paths: z.record(z.string(), z.unknown()) })) },
  },
  ...graphQL(),
];

/** GraphQL's one route, in its transport's terms (the schema itself is introspectable). */
function graphQL(): Operation[] {
  const result = z.looseObject({ data: z.unknown().optional(), errors: z.array(z.looseObject({ message: z.string() })).optional() }).meta({ id: 'GraphQLResult' });
  const request = z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()).nullable().optional(), operationName: z.string().nullable().optional() });
  return [
    {
      method: 'get',
      path: '/graphql',
      tags: ['graphql'],
      summary: 'GraphiQL in a browser; a query in the URL otherwise',
      request: { query: z.object({ query: z.string().optional(), variables: z.string().optional(), operationName: z.string().optional() }) },
      responses: {
        200: { description: 'GraphiQL, or the result (errors carry extensions.code).', content: { 'text/html': { schema: z.string() }, 'application/json': { schema: result } } },
        405: json('A mutation, which only POST may carry.', result),
        ...errors(404),
      },
    },
    {
      method: 'post',
      path: '/graphql',
      tags: ['graphql'],
      summary: 'A GraphQL operation',
      security: bearer,
      request: { body: jsonBody(request) },
      responses: {
        200: json('The result (errors carry extensions.code).', result),
        400: json('A body GraphQL cannot read, or a variable it refuses.', result),
        415: json('A body that is not JSON (a form): refused, so that no web page can post a mutation.', result),
      },
    },
  ];
}

/** A sandbox action: JSON in (or a form of the sandbox page), JSON out (or 303 back to the page). */
function action(path: string, summary: string, options: z.ZodObject, answer: z.ZodType): Operation {
  const withId = path.includes('{id}');
  const hasOptions = Object.keys(options.shape).length > 0;
  return {
    method: 'post',
    path: `/sandbox${path}`,
    tags: ['sandbox'],
    summary,
    request: {
      ...(withId ? { params: SandboxIdParams } : {}),
      ...(hasOptions
        ? { body: { required: true, content: { 'application/json': { schema: options }, 'application/x-www-form-urlencoded': { schema: options } } } }
        : {}),
    },
    responses: {
      200: json('Done: the object as it is now.', answer),
      303: redirect('posted by a form of the sandbox page: back to it.'),
      ...errors(400, ...(withId ? ([404] as const) : []), 409),
    },
  };
}

const sandboxPage = (path: string, summary: string, ...more: ErrorStatus[]): Operation => ({
  method: 'get',
  path: `/sandbox${path}`,
  tags: ['sandbox'],
  summary,
  ...(path.includes('{id}') ? { request: { params: SandboxIdParams } } : {}),
  responses: { 200: html('The page.'), ...errors(...more) },
});

const sandboxRedirect = (path: string, summary: string, to: string): Operation => ({
  method: 'post',
  path: `/sandbox${path}`,
  tags: ['sandbox'],
  summary,
  request: { params: SandboxIdParams },
  responses: { 303: redirect(to), ...errors(404, 409) },
});

/** The sandbox provider's pages and control surface, mounted when the sandbox gateway is on. */
const sandbox: Operation[] = [
  sandboxPage('', 'Everything the sandbox holds, with its actions'),
  { method: 'get', path: '/sandbox/state', tags: ['sandbox'], summary: 'Everything the sandbox holds, as JSON', responses: { 200: json('The objects.', SandboxStateResponse) } },
  { method: 'get', path: '/sandbox/clock', tags: ['sandbox'], summary: "The sandbox's clock", responses: { 200: json('Its time.', NowResponse) } },
  action('/clock/advance', 'Move the clock; answers once everything due up to then has happened', AdvanceOptions, NowResponse),
  action('/subscriptions/fail-next-renewal', "Make the user's subscription fail its next renewal", UserOptions, SubscriptionResponse),
  action('/subscriptions/{id}/fail-next-renewal', 'Make the subscription fail its next renewal', NoOptions, SubscriptionResponse),
  action('/subscriptions/{id}/renew', 'Renew the subscription now', NoOptions, SubscriptionResponse),
  action('/subscriptions/{id}/cancel', 'Cancel the subscription, now or at the end of the period', CancelOptions, SubscriptionResponse),
  action('/payments/{id}/refund', 'Refund the payment, in whole or in part', AmountOptions, PaymentResponse),
  action('/payments/{id}/dispute', 'Open a dispute on the payment', AmountOptions, DisputeResponse),
  action('/disputes/{id}/win', 'Close the dispute, won', NoOptions, DisputeResponse),
  action('/disputes/{id}/lose', 'Close the dispute, lost', NoOptions, DisputeResponse),
  action('/accounts/{id}/verify', 'Verify the payout account', NoOptions, AccountResponse),
  action('/accounts/{id}/restrict', 'Restrict the payout account', ReasonOptions, AccountResponse),
  action('/transfers/hold-next', 'Hold the next transfer in transit', NoOptions, NextTransferResponse),
  action('/transfers/refuse-next', 'Refuse the next transfer with a reason', RequiredReasonOptions, NextTransferResponse),
  action('/transfers/{id}/settle', 'Settle the transfer (paid)', NoOptions, TransferResponse),
  action('/transfers/{id}/fail', 'Fail the transfer in transit', ReasonOptions, TransferResponse),
  action('/transfers/{id}/reverse', 'Reverse the transfer, in whole or in part', AmountOptions, TransferResponse),
  action('/checkout/{id}/expire', 'Expire the checkout', NoOptions, CheckoutObjectResponse),
  sandboxPage('/checkout/{id}', 'The hosted checkout page', 404),
  sandboxRedirect('/checkout/{id}/pay', 'Pay the checkout', 'to the success URL with session_id.'),
  sandboxRedirect('/checkout/{id}/cancel', 'Leave the checkout', 'to the cancel URL.'),
  sandboxPage('/plan-change/{id}', 'The hosted page confirming a change of plan', 404),
  sandboxRedirect('/plan-change/{id}/confirm', 'Confirm the change of plan', 'to the success URL with session_id.'),
  sandboxRedirect('/plan-change/{id}/pay', 'Confirm the change of plan (as `pay` does for a checkout)', 'to the success URL with session_id.'),
  sandboxRedirect('/plan-change/{id}/cancel', 'Keep the plan', 'to the cancel URL.'),
  sandboxPage('/onboarding/{id}', 'The hosted payout onboarding page', 404),
  sandboxRedirect('/onboarding/{id}/complete', 'Complete onboarding: the account is verified', 'to the return URL.'),
  sandboxPage('/receipts/{id}', "A payment's receipt", 404),
  sandboxPage('/portal/{id}', 'The hosted billing portal', 404),
];

/** Every operation of the app: the sandbox's only when it is mounted. */
export function httpOperations(options: { readonly sandbox: boolean }): readonly Operation[] {
  return [...billing, ...service, ...(options.sandbox ? sandbox : [])];
}

export function openApiDocument(operations: readonly Operation[]): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const operation of operations) registry.registerPath(operation);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Billing service', version: packageJson.version, description: packageJson.description },
  }) as unknown as Record<string, unknown>;
}

/** `GET /openapi.json`: generated on first request, then kept (it does not change while the app runs). */
export function openApiRoute(operations: readonly Operation[]) {
  let document: Record<string, unknown> | undefined;
  return (c: Context) => c.json((document ??= openApiDocument(operations)));
}

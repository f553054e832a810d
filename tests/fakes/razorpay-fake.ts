import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Razorpay's wire format for Payment Links (create and fetch), so the
 * official SDK can be driven over real HTTP. Links are shaped like Razorpay's documented
 * payment-link entity; errors like its `{"error":{"code","description",...}}` answers. Bounded,
 * and owned by the one test that starts and stops it.
 */

export type RazorpayLinkStatus = 'created' | 'partially_paid' | 'paid' | 'cancelled' | 'expired';

export interface RazorpayFakeLink {
  id: string;
  short_url: string;
  status: RazorpayLinkStatus;
  amount: number;
  amount_paid: number;
  currency: string;
  accept_partial: boolean;
  first_min_partial_amount: number;
  reference_id: string;
  description: string;
  customer: Record<string, unknown>;
  notes: Record<string, unknown> | null;
  notify: { email: boolean; sms: boolean };
  reminder_enable: boolean;
  reminders: unknown[];
  callback_url: string;
  callback_method: string;
  payments: Array<Record<string, unknown>> | null;
  upi_link: boolean;
  user_id: string;
  expire_by: number;
  expired_at: number;
  cancelled_at: number;
  created_at: number;
  updated_at: number;
}

export interface RecordedRazorpayRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | null;
  /** The Basic credentials, decoded, when there were any. */
  readonly basicAuth: { readonly username: string; readonly password: string } | null;
}

export interface RazorpayFakeError {
  readonly status: number;
  readonly code?: string;
  readonly description?: string;
  readonly field?: string;
  /** Answer with this text instead of Razorpay's JSON error (an HTML page from a proxy, say). */
  readonly rawBody?: string;
}

type NextBehaviour = { readonly kind: 'fail'; readonly error: RazorpayFakeError } | { readonly kind: 'hang' };

const MAX_LINKS = 1_000;
const MAX_RECORDED_REQUESTS = 1_000;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_NOTES = 15;
const MAX_REFERENCE_LENGTH = 40;

export class RazorpayFake {
  readonly requests: RecordedRazorpayRequest[] = [];

  private readonly keyId: string;
  private readonly keySecret: string;
  private readonly links = new Map<string, RazorpayFakeLink>();
  private readonly references = new Map<string, string>();
  private readonly next: NextBehaviour[] = [];
  private readonly held = new Set<ServerResponse>();
  private server: Server | null = null;

  constructor(options: { keyId: string; keySecret: string }) {
    this.keyId = options.keyId;
    this.keySecret = options.keySecret;
  }

  /** Starts listening; returns the base URL to give the client as `apiBaseUrl`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection: calls made afterwards are refused. */
  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  requestsTo(method: string, path: string): RecordedRazorpayRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  link(id: string): RazorpayFakeLink | null {
    return this.links.get(id) ?? null;
  }

  /** Answers the next `times` requests with this error. */
  failNext(error: RazorpayFakeError, times = 1): void {
    for (let i = 0; i < times; i++) this.next.push({ kind: 'fail', error });
  }

  /** The next request gets no answer at all (until stop()). */
  hangNext(): void {
    this.next.push({ kind: 'hang' });
  }

  /** The customer paid `amount` (all of it by default): partially_paid, or paid once the whole amount is in. */
  payLink(id: string, amount?: number): void {
    const link = this.openLink(id);
    const paying = amount ?? link.amount - link.amount_paid;
    const now = nowSeconds();
    link.amount_paid += paying;
    link.status = link.amount_paid >= link.amount ? 'paid' : 'partially_paid';
    link.payments = [
      ...(link.payments ?? []),
      { amount: paying, created_at: now, method: 'upi', payment_id: newId('pay'), plink_id: link.id, status: 'captured', updated_at: now },
    ];
    link.updated_at = now;
  }

  expireLink(id: string): void {
    const link = this.openLink(id);
    link.status = 'expired';
    link.expired_at = link.updated_at = nowSeconds();
  }

  cancelLink(id: string): void {
    const link = this.openLink(id);
    link.status = 'cancelled';
    link.cancelled_at = link.updated_at = nowSeconds();
  }

  private openLink(id: string): RazorpayFakeLink {
    const link = this.links.get(id);
    if (!link || (link.status !== 'created' && link.status !== 'partially_paid')) throw new Error(`RazorpayFake: no open payment link ${id}`);
    return link;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      return send(res, 413, razorpayError({ status: 413, description: 'Request body too large' }));
    }
    const url = new URL(req.url ?? '/', 'http://razorpay.fake');
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : null;
    let body: unknown = null;
    let malformed = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        malformed = true;
      }
    }
    const request: RecordedRazorpayRequest = { method: req.method ?? 'GET', path: url.pathname, body, authorization, basicAuth: decodeBasic(authorization) };
    this.requests.push(request);
    if (this.requests.length > MAX_RECORDED_REQUESTS) this.requests.shift();

    if (request.basicAuth?.username !== this.keyId || request.basicAuth.password !== this.keySecret) {
      return send(res, 401, razorpayError({ status: 401, description: 'Authentication failed' }));
    }
    const behaviour = this.next.shift();
    if (behaviour?.kind === 'hang') {
      this.held.add(res);
      return;
    }
    if (behaviour?.kind === 'fail') {
      if (behaviour.error.rawBody !== undefined) return send(res, behaviour.error.status, behaviour.error.rawBody);
      return send(res, behaviour.error.status, razorpayError(behaviour.error));
    }
    if (malformed) return send(res, 400, razorpayError({ status: 400, description: 'The request body is not valid JSON' }));

    const reply = this.route(request);
    send(res, reply.status, reply.json);
  }

  private route(request: RecordedRazorpayRequest): { status: number; json: unknown } {
    const segments = request.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === 'v1' && segments[1] === 'payment_links') {
      if (request.method === 'POST' && segments.length === 2) return this.createLink(request.body);
      if (request.method === 'GET' && segments.length === 3) {
        const link = this.links.get(segments[2]!);
        return link ? { status: 200, json: link } : badRequest('The id provided does not exist');
      }
    }
    return { status: 404, json: razorpayError({ status: 404, description: 'The requested URL was not found on the server.' }) };
  }

  private createLink(body: unknown): { status: number; json: unknown } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('The request body must be a JSON object');
    const params = body as Record<string, unknown>;
    const amount = params['amount'];
    if (amount === undefined) return badRequest('The amount field is required.', 'amount');
    if (typeof amount !== 'number' || !Number.isInteger(amount)) return badRequest('The amount must be an integer.', 'amount');
    if (amount < 100) return badRequest('The amount must be atleast INR 1.00', 'amount');
    const currency = params['currency'] ?? 'INR';
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return badRequest('The currency is invalid.', 'currency');
    const reference = params['reference_id'];
    if (reference !== undefined && (typeof reference !== 'string' || reference.length > MAX_REFERENCE_LENGTH)) {
      return badRequest(`The reference id may not be greater than ${MAX_REFERENCE_LENGTH} characters.`, 'reference_id');
    }
    if (typeof reference === 'string' && this.references.has(reference)) {
      return badRequest(`Payment Link with reference id ${reference} already exists`, 'reference_id');
    }
    const callbackUrl = params['callback_url'];
    const callbackMethod = params['callback_method'];
    if (callbackUrl !== undefined) {
      if (typeof callbackUrl !== 'string' || !URL.canParse(callbackUrl)) return badRequest('The callback url format is invalid.', 'callback_url');
      if (callbackMethod !== 'get') return badRequest('callback_method must be get when a callback_url is given', 'callback_method');
    }
    const notes = params['notes'];
    if (notes !== undefined && notes !== null) {
      if (typeof notes !== 'object' || Array.isArray(notes)) return badRequest('The notes must be an object.', 'notes');
      if (Object.keys(notes).length > MAX_NOTES) return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    }

    const now = nowSeconds();
    const link: RazorpayFakeLink = {
      id: newId('plink'),
      short_url: `https://rzp.io/i/${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x')}`,
      status: 'created',
      amount,
      amount_paid: 0,
      currency,
      accept_partial: params['accept_partial'] === true,
      first_min_partial_amount: typeof params['first_min_partial_amount'] === 'number' ? params['first_min_partial_amount'] : 0,
      reference_id: typeof reference === 'string' ? reference : '',
      description: typeof params['description'] === 'string' ? params['description'] : '',
      customer: (params['customer'] as Record<string, unknown> | undefined) ?? {},
      notes: (notes as Record<string, unknown> | undefined) ?? null,
      notify: { email: false, sms: false },
      reminder_enable: false,
      reminders: [],
      callback_url: typeof callbackUrl === 'string' ? callbackUrl : '',
      callback_method: typeof callbackMethod === 'string' ? callbackMethod : '',
      payments: null,
      upi_link: false,
      user_id: '',
      expire_by: typeof params['expire_by'] === 'number' ? params['expire_by'] : 0,
      expired_at: 0,
      cancelled_at: 0,
      created_at: now,
      updated_at: now,
    };
    if (this.links.size >= MAX_LINKS) {
      const oldest = this.links.values().next().value!;
      this.links.delete(oldest.id);
      this.references.delete(oldest.reference_id);
    }
    this.links.set(link.id, link);
    if (link.reference_id) this.references.set(link.reference_id, link.id);
    return { status: 200, json: link };
  }
}

function razorpayError(error: RazorpayFakeError): unknown {
  return {
    error: {
      code: error.code ?? (error.status >= 500 ? 'SERVER_ERROR' : 'BAD_REQUEST_ERROR'),
      description: error.description ?? 'The server encountered an error. The incident has been reported to admins.',
      source: error.status >= 500 ? 'NA' : 'business',
      step: error.status >= 500 ? 'NA' : 'payment_initiation',
      reason: error.status >= 500 ? 'NA' : 'input_validation_failed',
      metadata: {},
      ...(error.field ? { field: error.field } : {}),
    },
  };
}

function badRequest(description: string, field?: string): { status: number; json: unknown } {
  return { status: 400, json: razorpayError({ status: 400, description, ...(field ? { field } : {}) }) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function decodeBasic(authorization: string | null): { username: string; password: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

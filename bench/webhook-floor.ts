/**
 * The floor for webhook deliveries: a bare node:http handler that does the providers' signature
 * checks and nothing else (no framework, no JSON parsing, no database), then answers 200. Run in
 * its own process by bench/webhooks.bench.ts, on PORT, with the service's webhook secrets.
 *
 *   POST /stripe    stripe-signature: t=…,v1=… — HMAC-SHA256 of `${t}.${body}`, constant-time compare, 300 s tolerance
 *   POST /razorpay  x-razorpay-signature — HMAC-SHA256 hex of the body, constant-time compare
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

const STRIPE_SECRET = process.env['STRIPE_WEBHOOK_SECRET'] ?? '';
const RAZORPAY_SECRET = process.env['RAZORPAY_WEBHOOK_SECRET'] ?? '';
const TOLERANCE_SECONDS = 300;

function sameHex(expected: Buffer, given: string): boolean {
  const candidate = Buffer.from(given, 'hex');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

function stripeVerifies(body: string, headers: IncomingHttpHeaders): boolean {
  const header = headers['stripe-signature'];
  if (typeof header !== 'string') return false;
  let timestamp = '';
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2);
    if (key === 't' && value) timestamp = value;
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', STRIPE_SECRET).update(`${timestamp}.${body}`, 'utf8').digest();
  return signatures.some((signature) => sameHex(expected, signature));
}

function razorpayVerifies(body: string, headers: IncomingHttpHeaders): boolean {
  const signature = headers['x-razorpay-signature'];
  if (typeof signature !== 'string' || typeof headers['x-razorpay-event-id'] !== 'string') return false;
  return sameHex(createHmac('sha256', RAZORPAY_SECRET).update(body, 'utf8').digest(), signature);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const check = req.method === 'POST' && req.url === '/stripe' ? stripeVerifies : req.method === 'POST' && req.url === '/razorpay' ? razorpayVerifies : null;
  if (!check) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no route"}');
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const ok = check(Buffer.concat(chunks).toString('utf8'), req.headers);
    res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' }).end(ok ? '{"received":true}' : '{"error":"no signature matches"}');
  });
});

server.listen(Number(process.env['PORT']), '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

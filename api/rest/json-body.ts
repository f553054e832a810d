import { InvalidInputError } from '../../domain/shared/errors.ts';

/** Reads a JSON object body; anything else is a 400 that says what was expected. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new InvalidInputError('body', 'send a JSON body with Content-Type: application/json');
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new InvalidInputError('body', 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError('body', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

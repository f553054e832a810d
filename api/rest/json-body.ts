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

/** Reads an HTML form's fields (application/x-www-form-urlencoded): the first value of each name. */
export async function readFormFields(request: Request): Promise<Record<string, string>> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    throw new InvalidInputError('body', 'send the form with Content-Type: application/x-www-form-urlencoded');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(await request.text())) fields[name] ??= value;
  return fields;
}

/** The success URL with our session id, as every provider's redirect back to the app carries it. */
export function withSessionId(successUrl: string, sessionId: string): string {
  const url = new URL(successUrl);
  url.searchParams.set('session_id', sessionId);
  return url.href;
}

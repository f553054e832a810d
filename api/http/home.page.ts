/** What `GET /` links to: GraphiQL only while it is on, the sandbox only while it serves a region. */
export interface HomeLinks {
  readonly graphiql: boolean;
  readonly sandbox: boolean;
}

/** A short page for whoever opens the server's address in a browser: where everything is. */
export function homePage(links: HomeLinks): string {
  const items = [
    links.graphiql ? '<li><a href="/graphql">GraphiQL</a>: the GraphQL API in the browser (send a token from <code>npm run -s token -- --user &lt;id&gt;</code>)</li>' : '',
    '<li><a href="/healthz">/healthz</a>: 200 while the database answers</li>',
    '<li><a href="/openapi.json">/openapi.json</a>: the REST routes, as OpenAPI 3.1</li>',
    links.sandbox ? '<li><a href="/sandbox">The sandbox</a>: the local stand-in provider, its checkouts, subscriptions and clock</li>' : '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Billing service</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}</style></head>
<body><h1>Billing service</h1>
<p>GraphQL at <code>POST /graphql</code>, REST under <code>/api/billing</code> and <code>/api/balance</code> (see the README).</p>
<ul id="links">${items.join('')}</ul>
</body></html>`;
}

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dockerfile = readFileSync('Dockerfile', 'utf8');
const compose = readFileSync('docker-compose.yml', 'utf8');

/** The billing service's block of docker-compose.yml (up to the next top-level key). */
const billingService = /^ {2}billing:\n([\s\S]*?)(?=^\S)/m.exec(compose)?.[1] ?? '';

describe('docker-compose.yml', () => {
  it('refuses to start the service without a JWT_SECRET', () => {
    expect(billingService).toMatch(/^\s+JWT_SECRET: \$\{JWT_SECRET:\?[^}]+\}$/m);
  });

  it('publishes the service on the loopback address only, and PostgreSQL not at all', () => {
    expect(billingService).toMatch(/^\s+- "127\.0\.0\.1:4000:4000"$/m);
    expect(compose.match(/^\s+ports:/gm)).toHaveLength(1);
  });
});

describe('Dockerfile', () => {
  it('runs as a user that owns the data folder it is told to use', () => {
    const dataDir = /^ENV .*\bDATA_DIR=(\S+)/m.exec(dockerfile)?.[1];

    expect(dataDir).toBe('/app/.data');
    expect(dockerfile).toMatch(/chown -R node:node "\$DATA_DIR"/);
    expect(dockerfile.indexOf('chown')).toBeLessThan(dockerfile.indexOf('USER node'));
  });

  it('has a HEALTHCHECK that asks /healthz on PORT, and fails when it is not healthy', async () => {
    const script = /^HEALTHCHECK .* CMD node -e "(.*)"$/m.exec(dockerfile)?.[1];
    expect(script).toBeDefined();
    let status = 200;
    const server = createServer((request, response) => response.writeHead(request.url === '/healthz' ? status : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const env = { ...process.env, PORT: String((server.address() as { port: number }).port) };
    try {
      await expect(run(process.execPath, ['-e', script!], { env })).resolves.toBeDefined();
      status = 503;
      await expect(run(process.execPath, ['-e', script!], { env })).rejects.toMatchObject({ code: 1 });
    } finally {
      server.close();
    }
  });
});

import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ROLES } from '../application/shared/requester.ts';
import { Country } from '../domain/billing/country.value-object.ts';
import { IDENTIFIER_RULE, isIdentifier } from '../domain/shared/text.ts';
import { ConfigError, loadConfig } from './config.ts';

const USAGE = 'usage: npm run -s token -- --user <id> [--country <ISO-2>] [--role user|admin|service] [--ttl <seconds>]';
const HELP = `${USAGE}

Prints a JWT (HS256, signed with JWT_SECRET or, without it, the public development secret) that
the service started with the same environment accepts.

  --user <id>         the token's subject: the user id the service bills
  --country <ISO-2>   a country claim (US, IN, …): picks the region of a new account
  --role <role>       user (default), admin or service
  --ttl <seconds>     how long the token lives (default 3600, at most JWT_MAX_TTL_SECONDS)
  -h, --help          this help
`;

/** Prints a JWT that the service started with the same environment accepts. */
async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.user) fail(USAGE);
  if (!isIdentifier(values.user)) fail(`--user must be ${IDENTIFIER_RULE}`);
  if (!(ROLES as readonly string[]).includes(values.role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) fail('--ttl must be a positive whole number of seconds');
  const country = values.country === undefined ? undefined : Country.tryParse(values.country)?.code;
  if (values.country !== undefined && !country) fail('--country must be a two-letter ISO 3166-1 code such as US or IN');

  const { jwt } = loadConfig();
  if (jwt.kind !== 'secret') fail('JWT_JWKS_URL is set: tokens come from your identity provider, not from this script');
  if (ttlSeconds > jwt.maxTtlSeconds) fail(`--ttl must be at most ${jwt.maxTtlSeconds} seconds (JWT_MAX_TTL_SECONDS): the service refuses a token that lives longer`);

  let token = new SignJWT({ role: values.role, ...(country ? { country } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.user)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`);
  if (jwt.issuer) token = token.setIssuer(jwt.issuer);
  if (jwt.audience) token = token.setAudience(jwt.audience);
  process.stdout.write(`${await token.sign(new TextEncoder().encode(jwt.secret))}\n`);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        user: { type: 'string' },
        country: { type: 'string' },
        role: { type: 'string', default: 'user' },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

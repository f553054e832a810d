import { z } from 'zod';

/**
 * A secret anyone can read in this file, so that `npm start` and `npm run token` agree with no
 * setup. The service refuses it in production and warns whenever it is in use.
 */
export const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-do-not-use-in-production';

export const MAX_DATABASE_POOL = 100;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface AppConfig {
  readonly nodeEnv: string;
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly databasePoolMax: number;
  readonly jwt: JwtConfig;
  readonly trustCfIpCountry: boolean;
}

export type JwtConfig =
  | { readonly kind: 'secret'; readonly secret: string; readonly development: boolean; readonly issuer?: string; readonly audience?: string }
  | { readonly kind: 'jwks'; readonly jwksUrl: URL; readonly issuer?: string; readonly audience?: string };

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true');

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const environment = z.object({
  NODE_ENV: optionalText,
  HOST: optionalText,
  PORT: integer(0, 65_535, 4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  DATABASE_URL: optionalText.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  DATA_DIR: optionalText,
  DATABASE_POOL_MAX: integer(1, MAX_DATABASE_POOL, 10),
  JWT_SECRET: optionalText.refine((value) => value === undefined || value.length >= 32, {
    message: 'must be at least 32 characters (HS256 needs a 256-bit secret)',
  }),
  JWT_JWKS_URL: optionalText.refine((value) => value === undefined || URL.canParse(value), { message: 'must be a URL' }),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  TRUST_CF_IPCOUNTRY: flag,
});

/** Reads and checks every setting once, at start; a bad one stops the start naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const nodeEnv = vars.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  return {
    nodeEnv,
    production,
    host: vars.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL ?? 'info',
    databaseUrl: vars.DATABASE_URL,
    dataDir: vars.DATA_DIR ?? '.data',
    databasePoolMax: vars.DATABASE_POOL_MAX,
    jwt: jwtConfig(vars, production),
    trustCfIpCountry: vars.TRUST_CF_IPCOUNTRY,
  };
}

function jwtConfig(vars: z.infer<typeof environment>, production: boolean): JwtConfig {
  const claims = {
    ...(vars.JWT_ISSUER ? { issuer: vars.JWT_ISSUER } : {}),
    ...(vars.JWT_AUDIENCE ? { audience: vars.JWT_AUDIENCE } : {}),
  };
  if (vars.JWT_SECRET && vars.JWT_JWKS_URL) {
    throw new ConfigError('invalid configuration: set JWT_SECRET or JWT_JWKS_URL, not both');
  }
  if (vars.JWT_JWKS_URL) return { kind: 'jwks', jwksUrl: new URL(vars.JWT_JWKS_URL), ...claims };
  if (vars.JWT_SECRET) return { kind: 'secret', secret: vars.JWT_SECRET, development: false, ...claims };
  if (production) {
    throw new ConfigError('invalid configuration: JWT_SECRET or JWT_JWKS_URL is required when NODE_ENV=production');
  }
  return { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, development: true, ...claims };
}

/** PostgreSQL's codes for a database that does not exist and for credentials it refused. */
const INVALID_CATALOG_NAME = '3D000';
const AUTHENTICATION_FAILURES = new Set(['28000', '28P01']);
/** Node's codes for a server that cannot be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * The database could not be opened for a reason the operator can fix: it is not there, refuses
 * us, or (embedded) belongs to another process. The message is one sentence saying which.
 */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';

  /** The reason a connection to `url` failed, in one sentence; undefined for anything else. */
  static fromConnection(error: unknown, url: string): DatabaseOpenError | undefined {
    const code = (error as { code?: unknown } | null)?.code;
    const target = new URL(url);
    const server = `${target.hostname}:${target.port || '5432'}`;
    const name = decodeURIComponent(target.pathname.slice(1)) || decodeURIComponent(target.username) || 'postgres';
    if (code === INVALID_CATALOG_NAME) {
      return new DatabaseOpenError(`the database "${name}" does not exist on ${server}: create it (createdb ${name}) or correct DATABASE_URL`);
    }
    if (typeof code === 'string' && AUTHENTICATION_FAILURES.has(code)) {
      return new DatabaseOpenError(`the database server at ${server} refused the user or password in DATABASE_URL`);
    }
    if (typeof code === 'string' && UNREACHABLE.has(code)) {
      return new DatabaseOpenError(`cannot reach the database server at ${server} (${code}): is PostgreSQL running there, and is DATABASE_URL right?`);
    }
    return undefined;
  }
}

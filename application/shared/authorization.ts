import { ForbiddenError } from '../../domain/shared/errors.ts';
import type { Requester, Role } from './requester.ts';

/** Refuses callers without the role an operation is for. */
export function requireRole(requester: Requester, role: Role): void {
  if (requester.role !== role) throw new ForbiddenError(`this operation is for callers with the ${role} role`);
}

import { token } from './token.ts';

/** Whether the store the service depends on answers; for readiness checks. */
export interface HealthCheck {
  check(): Promise<void>;
}

export const HEALTH_CHECK = token<HealthCheck>('HealthCheck');

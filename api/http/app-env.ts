import type { ServiceId } from '../container.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';
import type { RequireRequester } from './request-auth.ts';

/** What every request carries through the HTTP app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    requester: RequireRequester;
    use: <T>(id: ServiceId<T>) => T;
    /** This app's Prometheus metrics. */
    metrics: Metrics;
  };
}

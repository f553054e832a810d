import type { Clock } from '../shared/clock.port.ts';
import type { ProviderEventInbox } from './provider-event-inbox.port.ts';
import type { ReceivedEvent } from './provider-event.ts';

/**
 * A verified delivery: recorded in the inbox, and nothing else on the request path, so the
 * provider's acknowledgement never waits on the provider or on the work. `recorded` wakes this
 * process's worker; any process's worker may apply it.
 */
export class ReceiveProviderEvent {
  private readonly inbox: ProviderEventInbox;
  private readonly clock: Clock;
  private readonly recorded: () => void;

  constructor(deps: { readonly inbox: ProviderEventInbox; readonly clock: Clock; readonly recorded: () => void }) {
    this.inbox = deps.inbox;
    this.clock = deps.clock;
    this.recorded = deps.recorded;
  }

  async execute(event: ReceivedEvent): Promise<'recorded' | 'duplicate'> {
    const outcome = await this.inbox.record(event, this.clock.now());
    if (outcome === 'recorded' && event.subject) this.recorded();
    return outcome;
  }
}

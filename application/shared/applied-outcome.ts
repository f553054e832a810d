/** What applying a provider object's state did: changed something of ours, or found nothing of ours to change (and why). */
export interface AppliedOutcome {
  readonly status: 'applied' | 'ignored';
  /** Why nothing changed, or what a person should review about what did. */
  readonly note: string | null;
}

export const applied = (note: string | null = null): AppliedOutcome => ({ status: 'applied', note });
export const ignored = (note: string): AppliedOutcome => ({ status: 'ignored', note });

/**
 * A provider object's state, read outside any transaction: either nothing of ours is concerned
 * (the outcome, at once), or the step that applies it, to run in the unit of work that settles the
 * events about it.
 */
export type PreparedSync = AppliedOutcome | (() => Promise<AppliedOutcome>);

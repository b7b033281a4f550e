import type { DeadLetter } from '../../core/messages.js';

/** A dead letter as stored: the {@link DeadLetter} plus its store id and when it was replayed. */
export type StoredDeadLetter = DeadLetter & { id: string; replayedAt?: string | undefined };

export interface DeadLetterFilter {
  topic?: string;
  subscription?: string;
  invoiceId?: string;
  ids?: readonly string[];
  /** Replayed entries are left out unless this is true. */
  includeReplayed?: boolean;
  limit?: number;
}

/** Where the local bus keeps messages it gave up on (persistent, so `ledgerx` can replay them later). */
export interface DeadLetterStore {
  /** Validates and stores `entry`; returns its id. */
  record(entry: DeadLetter): Promise<string>;
  get(id: string): Promise<StoredDeadLetter | null>;
  /** Oldest first. */
  list(filter?: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  count(filter?: DeadLetterFilter): Promise<number>;
  /** Marks an entry replayed; false when it does not exist or was already replayed. */
  markReplayed(id: string, at: Date): Promise<boolean>;
}

import type { SqliteDatabase } from './database.js';

/** One message waiting for one subscription, as stored. */
export interface QueuedMessage {
  seq: number;
  subscription: string;
  topic: string;
  messageId: string;
  /** JSON text of the message, as on the wire. */
  data: string;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
  publishTime: string;
  /** Deliveries started so far (a delivery cut short by a crash counts). */
  attempts: number;
  firstAttemptAt?: string | undefined;
}

interface Row {
  seq: number;
  subscription: string;
  topic: string;
  message_id: string;
  data: string;
  attributes: string;
  ordering_key: string | null;
  publish_time: string;
  attempts: number;
  first_attempt_at: string | null;
}

/**
 * The local bus's durable acceptance (table `bus_messages`): a message is stored per subscription before
 * `publish` returns, its attempts are counted before each delivery starts, and it is removed when acked or
 * dead-lettered. What is still stored when a process stops is delivered again by the next process that subscribes.
 */
export class SqliteMessageQueue {
  constructor(private readonly db: SqliteDatabase) {}

  /** Stores one message for each subscription, in one transaction; returns their sequence numbers. */
  addAll(messages: ReadonlyArray<Omit<QueuedMessage, 'seq' | 'attempts' | 'firstAttemptAt'>>): number[] {
    return this.db.immediate(() =>
      messages.map((m) =>
        Number(
          this.db
            .statement(
              `INSERT INTO bus_messages (subscription, topic, message_id, data, attributes, ordering_key, publish_time)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(m.subscription, m.topic, m.messageId, m.data, JSON.stringify(m.attributes), m.orderingKey ?? null, m.publishTime)
            .lastInsertRowid,
        ),
      ),
    );
  }

  markAttempt(seq: number, attempts: number, firstAttemptAt: string): void {
    this.db
      .statement('UPDATE bus_messages SET attempts = max(attempts, ?), first_attempt_at = COALESCE(first_attempt_at, ?) WHERE seq = ?')
      .run(attempts, firstAttemptAt, seq);
  }

  remove(seq: number): void {
    this.db.statement('DELETE FROM bus_messages WHERE seq = ?').run(seq);
  }

  /** Every stored message of `subscription`, in publish order. */
  pending(subscription: string): QueuedMessage[] {
    const rows = this.db.statement('SELECT * FROM bus_messages WHERE subscription = ? ORDER BY seq').all(subscription) as Row[];
    return rows.map((r) => ({
      seq: r.seq,
      subscription: r.subscription,
      topic: r.topic,
      messageId: r.message_id,
      data: r.data,
      attributes: JSON.parse(r.attributes) as Record<string, string>,
      orderingKey: r.ordering_key ?? undefined,
      publishTime: r.publish_time,
      attempts: r.attempts,
      firstAttemptAt: r.first_attempt_at ?? undefined,
    }));
  }

  /** Messages stored per subscription (what a stopped process left to do). */
  counts(): Record<string, number> {
    const rows = this.db.statement('SELECT subscription, COUNT(*) AS n FROM bus_messages GROUP BY subscription').all() as Array<{ subscription: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.subscription, r.n]));
  }
}

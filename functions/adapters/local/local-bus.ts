import { z } from 'zod';
import { PermanentError, RejectReason, isDeferred, isPermanent } from '../../core/errors.js';
import { MessageSchemas, Topics, type DeadLetter, type MessageOf, type Topic } from '../../core/messages.js';
import type { Clock, EventBus, Logger, PublishOptions } from '../../core/ports.js';
import type { DeadLetterFilter, DeadLetterStore } from './dead-letter-store.js';
import type { QueuedMessage } from './sqlite/message-queue.js';

/** Where accepted messages wait until acked or dead-lettered (SqliteMessageQueue); survives the process. */
export interface DurableQueue {
  addAll(messages: ReadonlyArray<Omit<QueuedMessage, 'seq' | 'attempts' | 'firstAttemptAt'>>): number[];
  markAttempt(seq: number, attempts: number, firstAttemptAt: string): void;
  remove(seq: number): void;
  pending(subscription: string): QueuedMessage[];
}

/** What a handler learns about the delivery besides the message. */
export interface DeliveryContext {
  topic: Topic;
  subscription: string;
  messageId: string;
  /** 1 for the first delivery of this copy, then 2, 3... (Pub/Sub `deliveryAttempt`). */
  deliveryAttempt: number;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
  publishTime: string;
}

/** Returning (or resolving) acks the message; throwing nacks it (redelivery after backoff). */
export type MessageHandler<T extends Topic> = (message: MessageOf<T>, context: DeliveryContext) => void | Promise<void>;

export interface SubscriptionOptions {
  /** Deliveries before the message is dead-lettered (Pub/Sub: 5-100). */
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Handlers of this subscription running at the same time. */
  concurrency: number;
}

/** Timer functions, injectable so tests can drive time (vitest fake timers also work with the default). */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LocalBusOptions {
  /** Persistent store for messages the bus gives up on (required: dead letters must survive a restart). */
  deadLetters: DeadLetterStore;
  /** Persistent store of accepted, not yet acked messages (required: accepted work must survive a restart). */
  queue: DurableQueue;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Uniform [0, 1) source for backoff jitter. */
  random?: () => number;
  logger?: Logger;
  /** Defaults for every subscription. */
  defaults?: Partial<SubscriptionOptions>;
  /** Fault injection: deliver every message this many times to each subscription (default 1). */
  deliveryCopies?: number;
  /**
   * How long `close()` waits for handlers in flight (default 30 s). A handler still running then is abandoned:
   * its message stays stored and is delivered again by the next subscriber.
   */
  closeGraceMs?: number;
}

export interface BusStats {
  published: number;
  /** Handler invocations (every attempt of every copy). */
  delivered: number;
  acked: number;
  nacked: number;
  deadLettered: number;
  replayed: number;
  /** Deliveries not yet acked or dead-lettered. */
  outstanding: number;
}

export interface Subscription {
  readonly topic: Topic;
  readonly name: string;
  /** Stops deliveries to this subscription; its pending messages stay stored for the next subscriber of that name. */
  close(): void;
}

export interface ReplayResult {
  replayed: number;
  ids: string[];
  /** Entries whose payload no longer matches its topic's schema: left in the store, not replayed. */
  invalid: string[];
}

export interface LocalBus extends EventBus {
  subscribe<T extends Topic>(
    topic: T,
    subscriptionName: string,
    handler: MessageHandler<T>,
    options?: Partial<SubscriptionOptions>,
  ): Subscription;
  /** Resolves once nothing is queued, in flight, waiting for a retry or being dead-lettered. */
  drain(): Promise<void>;
  /** Refuses new publishes, cancels scheduled retries and waits (at most `closeGraceMs`) for in-flight handlers. */
  close(): Promise<void>;
  stats(): BusStats;
  /**
   * Republishes matching, not yet replayed dead letters (to their original subscription when it is still
   * subscribed, else to every subscription of the topic) and marks them replayed.
   */
  replayDeadLetters(filter?: Omit<DeadLetterFilter, 'includeReplayed'>): Promise<ReplayResult>;
}

const DEFAULTS: SubscriptionOptions = { maxAttempts: 5, minBackoffMs: 100, maxBackoffMs: 10_000, concurrency: 8 };

const SubscriptionOptionsSchema = z
  .object({
    maxAttempts: z.number().int().min(1),
    minBackoffMs: z.number().nonnegative(),
    maxBackoffMs: z.number().nonnegative(),
    concurrency: z.number().int().min(1),
  })
  .refine((o) => o.maxBackoffMs >= o.minBackoffMs, 'maxBackoffMs must be >= minBackoffMs');

interface Envelope {
  id: string;
  topic: Topic;
  /** JSON text, as on the wire: every delivery parses its own copy, so handlers cannot share state. */
  data: string;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
  publishTime: string;
}

interface Delivery {
  envelope: Envelope;
  /** The stored copy for this subscription (DurableQueue). */
  seq: number;
  attempts: number;
  firstAttemptAt?: string;
  inFlight: boolean;
  /** Set while waiting for a redelivery. */
  timer?: unknown;
}

interface SubscriptionState {
  topic: Topic;
  name: string;
  handler: MessageHandler<Topic>;
  options: SubscriptionOptions;
  ready: Delivery[];
  /** Per ordering key, the deliveries in publish order; only the head may be ready or in flight. */
  keyed: Map<string, Delivery[]>;
  inFlight: number;
  /** Every delivery not yet acked, dead-lettered or abandoned. */
  pending: Set<Delivery>;
  closed: boolean;
}

/**
 * The exponential backoff Pub/Sub applies between redeliveries, with "equal jitter": half the step is
 * fixed, half random, so retries of a burst spread out yet never come sooner than half the step.
 */
export function backoffDelay(attempt: number, options: Pick<SubscriptionOptions, 'minBackoffMs' | 'maxBackoffMs'>, random: number): number {
  const step = Math.min(options.maxBackoffMs, options.minBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.min(options.maxBackoffMs, step / 2 + (random * step) / 2);
}

function describeError(err: unknown): { reason: string; code: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { reason: err.message || err.name, code: typeof code === 'string' && code ? code : err.name };
  }
  return { reason: String(err), code: 'UNKNOWN' };
}

/**
 * An in-process bus with Pub/Sub semantics: messages are validated against {@link MessageSchemas} at
 * publish (a message that does not validate is refused with PermanentError(INVALID_MESSAGE)), fanned out to
 * every subscription of the topic that exists at publish time, delivered at least once with exponential
 * backoff on failure, in publish order per ordering key, and dead-lettered into the persistent
 * {@link DeadLetterStore} after `maxAttempts` (immediately for a PermanentError, which no retry can fix).
 * Messages published to the `dead-letter` topic are recorded in the store as well. Acceptance is durable: a
 * message is stored for each subscription before `publish` resolves and removed only when acked or
 * dead-lettered; a subscription resumes what its predecessor of the same name left (a crash, a Ctrl-C), with the
 * attempts already spent (a delivery a crash cut short counts, so a message that kills the process ends in the
 * dead letters instead of looping).
 */
export function createLocalBus(options: LocalBusOptions): LocalBus {
  const clock = options.clock ?? { now: () => new Date() };
  const scheduler: Scheduler = options.scheduler ?? {
    // Looked up at call time so that fake timers installed after creation still apply.
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const random = options.random ?? Math.random;
  const copies = options.deliveryCopies ?? 1;
  if (!Number.isInteger(copies) || copies < 1) throw new Error('deliveryCopies must be a positive integer');
  const defaults = { ...DEFAULTS, ...options.defaults };
  const log = options.logger;

  const subscriptions = new Map<string, SubscriptionState>();
  const timers = new Set<unknown>();
  const inFlight = new Set<Promise<void>>();
  let drainWaiters: Array<() => void> = [];
  let nextId = 1;
  // Message ids must not repeat across processes sharing one database: a per-bus prefix.
  const idPrefix = `${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`;
  const queue = options.queue;
  let closed = false;
  const counters = { published: 0, delivered: 0, acked: 0, nacked: 0, deadLettered: 0, replayed: 0, outstanding: 0 };

  function settle(sub: SubscriptionState, delivery: Delivery): void {
    if (!sub.pending.delete(delivery)) return;
    counters.outstanding -= 1;
    if (counters.outstanding === 0) notifyIdle();
  }

  function notifyIdle(): void {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function enqueue(sub: SubscriptionState, envelope: Envelope, seq: number, stored?: QueuedMessage): void {
    for (let i = 0; i < copies; i++) {
      const delivery: Delivery = { envelope, seq, attempts: stored?.attempts ?? 0, firstAttemptAt: stored?.firstAttemptAt, inFlight: false };
      sub.pending.add(delivery);
      counters.outstanding += 1;
      if (envelope.orderingKey === undefined) {
        sub.ready.push(delivery);
        continue;
      }
      const queue = sub.keyed.get(envelope.orderingKey);
      if (queue) queue.push(delivery);
      else {
        sub.keyed.set(envelope.orderingKey, [delivery]);
        sub.ready.push(delivery);
      }
    }
    pump(sub);
  }

  /** After an ack or a dead letter: the next message of the same ordering key becomes deliverable. */
  function finish(sub: SubscriptionState, delivery: Delivery): void {
    const key = delivery.envelope.orderingKey;
    if (key !== undefined) {
      const queue = sub.keyed.get(key);
      queue?.shift();
      const next = queue?.[0];
      if (next) sub.ready.push(next);
      else sub.keyed.delete(key);
    }
    settle(sub, delivery);
    pump(sub);
  }

  function pump(sub: SubscriptionState): void {
    while (!sub.closed && !closed && sub.inFlight < sub.options.concurrency && sub.ready.length > 0) {
      const delivery = sub.ready.shift()!;
      sub.inFlight += 1;
      delivery.inFlight = true;
      const run = deliver(sub, delivery)
        .catch((err: unknown) => {
          // Only reachable when recording a dead letter fails after close(): the message is abandoned.
          log?.error('bus delivery abandoned', { subscription: sub.name, code: describeError(err).code });
          settle(sub, delivery);
        })
        .finally(() => {
          inFlight.delete(run);
          delivery.inFlight = false;
          sub.inFlight -= 1;
          pump(sub);
        });
      inFlight.add(run);
    }
  }

  async function deliver(sub: SubscriptionState, delivery: Delivery): Promise<void> {
    if (delivery.attempts >= sub.options.maxAttempts) {
      // Only a resumed message gets here: every attempt it had ended with the process (it never returned or threw).
      await deadLetter(sub, delivery, new PermanentError('DELIVERY_INTERRUPTED', `the process stopped during each of ${delivery.attempts} deliveries`));
      return;
    }
    delivery.attempts += 1;
    delivery.firstAttemptAt ??= clock.now().toISOString();
    counters.delivered += 1;
    queue.markAttempt(delivery.seq, delivery.attempts, delivery.firstAttemptAt);
    const { envelope } = delivery;
    const context: DeliveryContext = {
      topic: envelope.topic,
      subscription: sub.name,
      messageId: envelope.id,
      deliveryAttempt: delivery.attempts,
      attributes: { ...envelope.attributes },
      orderingKey: envelope.orderingKey,
      publishTime: envelope.publishTime,
    };
    try {
      // Inside the try so that a handler throwing synchronously is a nack like a rejected promise.
      await sub.handler(JSON.parse(envelope.data) as MessageOf<Topic>, context);
    } catch (err) {
      counters.nacked += 1;
      if (sub.closed || closed) return settle(sub, delivery);
      // Work in progress elsewhere is not a failed attempt: waiting for it must not exhaust the retries
      // (on GCP such events are retried until the maximum event age).
      const deferred = isDeferred(err);
      if (deferred) delivery.attempts -= 1;
      if (!deferred && (isPermanent(err) || delivery.attempts >= sub.options.maxAttempts)) {
        await deadLetter(sub, delivery, err);
        return;
      }
      const delay = deferred
        ? Math.min(Math.max(sub.options.minBackoffMs, 50), sub.options.maxBackoffMs, err.retryAfterMs ?? sub.options.maxBackoffMs)
        : backoffDelay(delivery.attempts, sub.options, random());
      log?.warn('bus delivery failed, will retry', {
        topic: sub.topic,
        subscription: sub.name,
        messageId: envelope.id,
        attempt: delivery.attempts,
        delayMs: Math.round(delay),
        code: describeError(err).code,
      });
      const timer = scheduler.setTimeout(() => {
        timers.delete(timer);
        delivery.timer = undefined;
        sub.ready.push(delivery);
        pump(sub);
      }, delay);
      delivery.timer = timer;
      timers.add(timer);
      return;
    }
    counters.acked += 1;
    queue.remove(delivery.seq);
    finish(sub, delivery);
  }

  async function deadLetter(sub: SubscriptionState, delivery: Delivery, err: unknown): Promise<void> {
    const { reason, code } = describeError(err);
    const payload = JSON.parse(delivery.envelope.data) as unknown;
    const invoiceId = (payload as { invoiceId?: unknown }).invoiceId;
    const entry: DeadLetter = {
      topic: delivery.envelope.topic,
      subscription: sub.name,
      payload,
      attributes: delivery.envelope.attributes,
      reason,
      code,
      attempts: delivery.attempts,
      firstAttemptAt: delivery.firstAttemptAt ?? clock.now().toISOString(),
      deadLetteredAt: clock.now().toISOString(),
      invoiceId: typeof invoiceId === 'string' ? invoiceId : undefined,
    };
    await recordDeadLetter(entry, sub.options.maxBackoffMs);
    queue.remove(delivery.seq);
    counters.deadLettered += 1;
    log?.error('bus message dead-lettered', {
      topic: entry.topic,
      subscription: sub.name,
      messageId: delivery.envelope.id,
      attempts: entry.attempts,
      code,
    });
    finish(sub, delivery);
  }

  /** A dead letter must not be lost to a busy database: keep trying (the message stays outstanding). */
  async function recordDeadLetter(entry: DeadLetter, retryMs: number): Promise<string> {
    for (;;) {
      try {
        return await options.deadLetters.record(entry);
      } catch (err) {
        if (closed) throw err;
        log?.error('could not record dead letter, retrying', { topic: entry.topic, code: describeError(err).code });
        await new Promise<void>((resolve) => {
          const timer = scheduler.setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, Math.max(retryMs, 1));
          timers.add(timer);
        });
      }
    }
  }

  function validate<T extends Topic>(topic: T, message: unknown): MessageOf<T> {
    const schema = (MessageSchemas as Record<string, z.ZodType | undefined>)[topic];
    if (!schema) throw new PermanentError(RejectReason.INVALID_MESSAGE, `unknown topic ${String(topic)}`);
    const parsed = schema.safeParse(message);
    if (!parsed.success) {
      throw new PermanentError(
        RejectReason.INVALID_MESSAGE,
        `message for topic ${topic} does not match its schema: ${z.prettifyError(parsed.error)}`,
        { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })) },
      );
    }
    return parsed.data as MessageOf<T>;
  }

  function makeEnvelope(topic: Topic, message: unknown, publishOptions: PublishOptions): Envelope {
    return {
      id: `${idPrefix}-${nextId++}`,
      topic,
      data: JSON.stringify(message),
      attributes: { ...(publishOptions.attributes ?? {}) },
      orderingKey: publishOptions.orderingKey || undefined,
      publishTime: clock.now().toISOString(),
    };
  }

  /** Stores one copy per subscription (one transaction), then schedules the deliveries. */
  function fanOut(targets: SubscriptionState[], envelope: Envelope): void {
    if (targets.length === 0) return;
    const seqs = queue.addAll(
      targets.map((sub) => ({
        subscription: sub.name,
        topic: envelope.topic,
        messageId: envelope.id,
        data: envelope.data,
        attributes: envelope.attributes,
        orderingKey: envelope.orderingKey,
        publishTime: envelope.publishTime,
      })),
    );
    targets.forEach((sub, i) => enqueue(sub, envelope, seqs[i]!));
  }

  const bus: LocalBus = {
    async publish(topic, message, publishOptions = {}) {
      if (closed) throw new Error('bus is closed');
      const valid = validate(topic, message);
      if (topic === Topics.deadLetter) {
        await recordDeadLetter(valid as DeadLetter, defaults.maxBackoffMs);
        counters.deadLettered += 1;
      }
      const envelope = makeEnvelope(topic, valid, publishOptions);
      counters.published += 1;
      fanOut([...subscriptions.values()].filter((s) => s.topic === topic && !s.closed), envelope);
      return envelope.id;
    },

    subscribe(topic, subscriptionName, handler, subscriptionOptions = {}) {
      if (subscriptions.has(subscriptionName)) throw new Error(`subscription ${subscriptionName} already exists`);
      if (!(topic in MessageSchemas)) throw new Error(`unknown topic ${String(topic)}`);
      const state: SubscriptionState = {
        topic,
        name: subscriptionName,
        handler: handler as MessageHandler<Topic>,
        options: SubscriptionOptionsSchema.parse({ ...defaults, ...subscriptionOptions }),
        ready: [],
        keyed: new Map(),
        inFlight: 0,
        pending: new Set(),
        closed: false,
      };
      subscriptions.set(subscriptionName, state);
      // What an earlier subscriber of this name accepted and never finished (a crash, a stop) comes first.
      for (const stored of queue.pending(subscriptionName)) {
        if (stored.topic !== topic) continue;
        const envelope: Envelope = {
          id: stored.messageId,
          topic,
          data: stored.data,
          attributes: stored.attributes,
          orderingKey: stored.orderingKey,
          publishTime: stored.publishTime,
        };
        enqueue(state, envelope, stored.seq, stored);
      }
      return {
        topic,
        name: subscriptionName,
        close() {
          if (state.closed) return;
          state.closed = true;
          subscriptions.delete(subscriptionName);
          state.ready = [];
          state.keyed.clear();
          // In-flight deliveries settle themselves when their handler returns.
          for (const delivery of [...state.pending]) {
            if (delivery.timer !== undefined) {
              scheduler.clearTimeout(delivery.timer);
              timers.delete(delivery.timer);
              delivery.timer = undefined;
            }
            if (!delivery.inFlight) settle(state, delivery);
          }
        },
      };
    },

    drain() {
      if (counters.outstanding === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.push(resolve));
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) scheduler.clearTimeout(timer);
      timers.clear();
      let grace: ReturnType<typeof globalThis.setTimeout> | undefined;
      const graceOver = new Promise<void>((resolve) => (grace = globalThis.setTimeout(resolve, options.closeGraceMs ?? 30_000)));
      await Promise.race([Promise.allSettled([...inFlight]), graceOver]);
      globalThis.clearTimeout(grace);
      if (inFlight.size > 0) log?.warn('bus closed with handlers still running: their messages stay stored', { inFlight: inFlight.size });
      for (const sub of subscriptions.values()) for (const delivery of [...sub.pending]) settle(sub, delivery);
      counters.outstanding = 0;
      notifyIdle();
    },

    stats() {
      return { ...counters };
    },

    async replayDeadLetters(filter = {}) {
      const entries = await options.deadLetters.list({ ...filter, includeReplayed: false });
      const ids: string[] = [];
      const invalid: string[] = [];
      for (const entry of entries) {
        const topic = entry.topic as Topic;
        let valid: unknown;
        try {
          valid = validate(topic, entry.payload);
        } catch (err) {
          if (!isPermanent(err)) throw err;
          invalid.push(entry.id);
          continue;
        }
        const envelope = makeEnvelope(topic, valid, {
          attributes: { ...entry.attributes, replayOf: entry.id },
        });
        const original = subscriptions.get(entry.subscription);
        const targets =
          original && original.topic === topic
            ? [original]
            : [...subscriptions.values()].filter((s) => s.topic === topic && !s.closed);
        // Mark first: if the process dies between the two steps the entry is not replayed twice by a rerun.
        if (!(await options.deadLetters.markReplayed(entry.id, clock.now()))) continue;
        counters.published += 1;
        counters.replayed += 1;
        fanOut(targets, envelope);
        ids.push(entry.id);
      }
      return { replayed: ids.length, ids, invalid };
    },
  };
  return bus;
}

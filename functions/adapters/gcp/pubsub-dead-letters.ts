/**
 * The deployed pipeline's dead letters, read from the hold subscription of the `dead-letter` topic
 * (`dead-letter-hold`, infra/modules/pipeline/pubsub.tf): listed, and replayed to the topic they came from.
 */
import { v1, type PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { DeadLetterSchema, type DeadLetter } from '../../core/messages.js';
import { invoiceIdOfPayload } from '../../core/pipeline/dead-letter-invoice.js';

/** A dead letter as held by the subscription: the {@link DeadLetter} plus its Pub/Sub message id. */
export type HeldDeadLetter = DeadLetter & {
  id: string;
  /** `handler`: published by a function with its reason; `pubsub`: forwarded bare by a dead-letter policy. */
  source: 'handler' | 'pubsub';
};

export interface CloudReplayFilter {
  ids?: readonly string[] | undefined;
  invoiceId?: string | undefined;
}

export interface CloudReplayResult {
  replayed: number;
  /** Message ids of the replayed dead letters (acked on the hold subscription afterwards). */
  ids: string[];
}

export interface CloudDeadLetters {
  /** Every dead letter the subscription holds, oldest first; nothing is acknowledged. */
  list(): Promise<HeldDeadLetter[]>;
  /**
   * Republishes the matching dead letters (all without a filter) to the topic each came from, with its
   * attributes plus `replayOf`, then acknowledges them; the others stay held.
   */
  replay(filter?: CloudReplayFilter): Promise<CloudReplayResult>;
  close(): Promise<void>;
}

/** Attributes Pub/Sub adds to a message its dead-letter policy forwards. */
const FORWARDED = {
  subscription: 'CloudPubSubDeadLetterSourceSubscription',
  project: 'CloudPubSubDeadLetterSourceSubscriptionProject',
  count: 'CloudPubSubDeadLetterSourceDeliveryCount',
  publishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
} as const;

interface Received {
  ackId: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: string;
}

const ReceivedSchema = z.object({
  ackId: z.string().min(1),
  message: z.object({
    messageId: z.string().min(1),
    data: z.instanceof(Uint8Array).optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    publishTime: z.object({ seconds: z.union([z.string(), z.number()]).nullish(), nanos: z.number().nullish() }).nullish(),
  }),
});

function isoOf(ts: { seconds?: string | number | null; nanos?: number | null } | null | undefined): string {
  const ms = Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function jsonOrText(data: Buffer): unknown {
  const text = data.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Dead letters on the subscription `subscription` (an id in the client's project). Pulls synchronously;
 * listing returns every message to the subscription at once (a nack), which counts as a delivery attempt of
 * the hold subscription (its own dead-letter policy parks an entry after that many inspections).
 */
export function createPubSubDeadLetters(pubsub: PubSub, subscription: string): CloudDeadLetters {
  // The documented way to a v1 client with the PubSub object's settings (emulator host included); its
  // ClientConfig types `port` as string | number where the v1 options say number.
  const client = pubsub.getClientConfig().then((config) => new v1.SubscriberClient({ ...config, port: config.port === undefined ? undefined : Number(config.port) }));
  const subscriptionPath = pubsub.subscription(subscription).name;
  const topicOfSubscription = new Map<string, Promise<string>>();

  async function pullAll(): Promise<Received[]> {
    const c = await client;
    const out: Received[] = [];
    for (;;) {
      // returnImmediately: a CLI wants what is there now, not a long poll.
      const [response] = await c.pull({ subscription: subscriptionPath, maxMessages: 500, returnImmediately: true });
      const batch = (response.receivedMessages ?? []).map((m) => ReceivedSchema.parse(m));
      if (batch.length === 0) return out;
      for (const m of batch) {
        out.push({
          ackId: m.ackId,
          messageId: m.message.messageId,
          data: Buffer.from(m.message.data ?? new Uint8Array()),
          attributes: m.message.attributes ?? {},
          publishTime: isoOf(m.message.publishTime),
        });
      }
    }
  }

  async function release(messages: Received[]): Promise<void> {
    if (messages.length === 0) return;
    await (await client).modifyAckDeadline({ subscription: subscriptionPath, ackIds: messages.map((m) => m.ackId), ackDeadlineSeconds: 0 });
  }

  /** The topic id a subscription reads (for a bare message a dead-letter policy forwarded). */
  function sourceTopic(sub: string, project: string | undefined): Promise<string> {
    const name = project ? `projects/${project}/subscriptions/${sub}` : sub;
    let topic = topicOfSubscription.get(name);
    if (!topic) {
      topic = pubsub
        .subscription(name)
        .getMetadata()
        .then(([meta]) => String(meta.topic ?? '').split('/').pop() ?? '');
      topicOfSubscription.set(name, topic);
    }
    return topic;
  }

  async function entryOf(m: Received): Promise<HeldDeadLetter> {
    const data = jsonOrText(m.data);
    const envelope = DeadLetterSchema.safeParse(data);
    if (envelope.success && !m.attributes[FORWARDED.subscription]) return { ...envelope.data, id: m.messageId, source: 'handler' };
    // Forwarded bare by a subscription's dead-letter policy: the function never finished its last attempt
    // (a crash or a timeout), so nobody recorded a reason.
    const sub = m.attributes[FORWARDED.subscription] ?? 'unknown';
    const attempts = Number(m.attributes[FORWARDED.count] ?? 0);
    const attributes = Object.fromEntries(Object.entries(m.attributes).filter(([k]) => !k.startsWith('CloudPubSubDeadLetter')));
    return {
      id: m.messageId,
      source: 'pubsub',
      topic: sub === 'unknown' ? 'unknown' : await sourceTopic(sub, m.attributes[FORWARDED.project]),
      subscription: sub,
      payload: data,
      attributes,
      reason: `forwarded by the subscription's dead-letter policy after ${attempts} delivery attempts without an answer`,
      code: 'DELIVERY_ATTEMPTS_EXHAUSTED',
      attempts: Number.isSafeInteger(attempts) ? attempts : 0,
      firstAttemptAt: m.attributes[FORWARDED.publishTime] ?? m.publishTime,
      deadLetteredAt: m.publishTime,
      invoiceId: invoiceIdOfPayload(data),
    };
  }

  const byTime = (a: { entry: HeldDeadLetter }, b: { entry: HeldDeadLetter }) =>
    a.entry.deadLetteredAt < b.entry.deadLetteredAt ? -1 : a.entry.deadLetteredAt > b.entry.deadLetteredAt ? 1 : 0;

  return {
    async list() {
      const messages = await pullAll();
      try {
        const entries = await Promise.all(messages.map(async (m) => ({ m, entry: await entryOf(m) })));
        return entries.sort(byTime).map((e) => e.entry);
      } finally {
        await release(messages);
      }
    },

    async replay(filter = {}) {
      const messages = await pullAll();
      const replayed: Received[] = [];
      try {
        const entries = (await Promise.all(messages.map(async (m) => ({ m, entry: await entryOf(m) })))).sort(byTime);
        for (const { m, entry } of entries) {
          if (filter.ids && !filter.ids.includes(entry.id)) continue;
          if (filter.invoiceId && entry.invoiceId !== filter.invoiceId) continue;
          if (entry.topic === 'unknown' || entry.topic === '') continue;
          const data = Buffer.from(typeof entry.payload === 'string' ? entry.payload : JSON.stringify(entry.payload));
          await pubsub.topic(entry.topic).publishMessage({ data, attributes: { ...entry.attributes, replayOf: entry.id } });
          replayed.push(m);
        }
        return { replayed: replayed.length, ids: replayed.map((m) => m.messageId) };
      } finally {
        // Even when a later publish failed: what was republished leaves the hold, the rest stays there.
        if (replayed.length > 0) await (await client).acknowledge({ subscription: subscriptionPath, ackIds: replayed.map((m) => m.ackId) });
        await release(messages.filter((m) => !replayed.includes(m)));
      }
    },

    async close() {
      await (await client).close();
    },
  };
}

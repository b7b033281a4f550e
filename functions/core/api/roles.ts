import { z } from 'zod';

/**
 * Roles of the API, each including the one before: a `viewer` reads invoices, queues and exports; a `reviewer`
 * also uploads and acts on the review queue; an `admin` also manages API keys and webhooks.
 */
export const RoleSchema = z.enum(['viewer', 'reviewer', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

export const ROLES: readonly Role[] = RoleSchema.options;

const RANK: Record<Role, number> = { viewer: 0, reviewer: 1, admin: 2 };

/** Whether a caller holding `held` may use a route that needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}

/** Who made a request, once authenticated. `id` is stable per identity (rate limits, audit). */
export interface Principal {
  /** `key:<keyId>` for an API key, `user:<subject>` for a signed-in user. */
  id: string;
  kind: 'api-key' | 'user';
  role: Role;
  /** A display label: the key's name or the user's email. Never a secret. */
  label: string;
}

/** Who acts, as the learning stores record it (review labels, the registry's audit trail). */
import type { Principal } from '../../core/api/roles.js';

/**
 * A signed-in user is their email; a machine is its key id (`key:<id>`), never the key's free-text name (two
 * keys may share a name). Both fit the reviewer and actor schemas of the learning stores.
 */
export function actorOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.label.toLowerCase() : principal.id;
}

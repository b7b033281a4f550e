/**
 * Google ID tokens of signed-in browser users (Google Identity Services), verified with google-auth-library's
 * OAuth2Client: RS256 signature against Google's published certificates, issuer accounts.google.com, expiry,
 * and the audience = this deployment's OAuth client id (a token minted for another app is refused).
 * Tests inject the certificates (`certs`), since Google's cannot be reached here.
 */
import type { OAuth2Client } from 'google-auth-library';
export interface VerifiedUser {
  subject: string;
  email?: string | undefined;
  emailVerified: boolean;
  /** Google Workspace domain of the account, when it has one. */
  hostedDomain?: string | undefined;
}

export class IdTokenError extends Error {
  override readonly name = 'IdTokenError';
  constructor(
    readonly expired: boolean,
    message: string,
  ) {
    super(message);
  }
}

export interface IdTokenVerifier {
  /** Throws {@link IdTokenError} (`expired` set for a token past its expiry). */
  verify(token: string): Promise<VerifiedUser>;
}

export interface GoogleIdTokenOptions {
  /** The OAuth client id the tokens are minted for (the web app's). */
  audience: string;
  /** PEM certificates by key id; default: Google's, fetched and cached by the library. */
  certs?: () => Promise<Record<string, string>>;
}

const ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export function createGoogleIdTokenVerifier(options: GoogleIdTokenOptions): IdTokenVerifier {
  let client: Promise<OAuth2Client> | undefined;
  const getClient = () => (client ??= import('google-auth-library').then(({ OAuth2Client }) => new OAuth2Client()));
  return {
    async verify(token) {
      const c = await getClient();
      let payload;
      try {
        const ticket = options.certs
          ? await c.verifySignedJwtWithCertsAsync(token, await options.certs(), options.audience, ISSUERS)
          : await c.verifyIdToken({ idToken: token, audience: options.audience });
        payload = ticket.getPayload();
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        throw new IdTokenError(/too late/i.test(message), message);
      }
      if (!payload?.sub) throw new IdTokenError(false, 'token has no subject');
      return { subject: payload.sub, email: payload.email, emailVerified: payload.email_verified === true, hostedDomain: payload.hd };
    },
  };
}

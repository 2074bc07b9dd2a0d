// The parts of sign-in that live outside the login request: an OAuth authorization server (its
// token endpoint), an SSO identity provider for `externalbrowser`, MFA (Duo passcodes and the
// MFA tokens Snowflake caches in the client), and OIDC workload identity. All of it runs on the
// emulator's own loopback port, so each flow of the snowflake-sdk can run end to end offline.
//
// Snowflake's pages: docs.snowflake.com/en/user-guide/oauth-custom (token endpoint
// /oauth/token-request, refresh_token grant, Basic client authentication),
// docs.snowflake.com/en/user-guide/admin-security-fed-auth-use (browser SSO),
// docs.snowflake.com/en/user-guide/security-mfa (MFA token caching needs ALLOW_CLIENT_MFA_CACHING),
// docs.snowflake.com/en/user-guide/workload-identity-federation (OIDC issuer and subject per user).

import { createPublicKey, randomBytes, verify } from 'node:crypto';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** the Snowflake user the client's tokens sign in as (client credentials), as an External OAuth user mapping does */
  user: string;
}

export interface IdentityOptions {
  /** OAuth clients the token endpoint knows */
  oauthClients?: OAuthClient[];
  /** users enrolled in MFA: user -> the passcode their authenticator app shows now */
  mfaPasscodes?: Record<string, string>;
  /** users the SSO identity provider signs in without asking (the browser holds their IdP session) */
  ssoUsers?: string[];
  /** OIDC workload identities: user -> the issuer and subject its tokens must carry, and the issuer's public key (PEM) */
  workloadIdentities?: Record<string, { issuer: string; subject: string; publicKey: string }>;
}

interface IssuedToken {
  user: string;
  role?: string;
  expiresAt: number;
}

const ACCESS_SECONDS = 600;
const MFA_TOKEN_SECONDS = 4 * 3600;

const secret = (prefix: string) => `${prefix}-${randomBytes(24).toString('base64url')}`;

export type IdentityAnswer = [status: number, body: unknown, headers?: Record<string, string>];

export class IdentityProvider {
  private readonly clients = new Map<string, OAuthClient>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, { clientId: string; user: string; role?: string }>();
  private readonly mfaTokens = new Map<string, IssuedToken>();
  /** SAML-like tokens the IdP handed to a browser: token -> user and the proof key it was asked for */
  private readonly ssoTokens = new Map<string, { user: string; proofKey: string; expiresAt: number }>();
  private readonly ssoUsers: Set<string>;
  private readonly mfa: Map<string, string>;
  private readonly workload: Map<string, { issuer: string; subject: string; publicKey: string }>;

  constructor(opts: IdentityOptions = {}) {
    for (const c of opts.oauthClients ?? []) this.clients.set(c.clientId, { ...c, user: c.user.toUpperCase() });
    this.ssoUsers = new Set((opts.ssoUsers ?? []).map((u) => u.toUpperCase()));
    this.mfa = new Map(Object.entries(opts.mfaPasscodes ?? {}).map(([u, p]) => [u.toUpperCase(), p]));
    this.workload = new Map(Object.entries(opts.workloadIdentities ?? {}).map(([u, w]) => [u.toUpperCase(), w]));
  }

  /** A refresh token for a user, as the authorization-code flow of a Snowflake OAuth integration would leave one. */
  issueRefreshToken(clientId: string, user: string, role?: string): string {
    if (!this.clients.has(clientId)) throw new Error(`unknown OAuth client ${clientId}`);
    const token = secret('refresh');
    this.refreshTokens.set(token, { clientId, user: user.toUpperCase(), ...(role ? { role: role.toUpperCase() } : {}) });
    return token;
  }

  /** An access token as an identity provider hands one out (`authenticator: oauth` with `token:`). */
  issueAccessToken(user: string, role?: string, seconds = ACCESS_SECONDS): string {
    const token = secret('access');
    this.accessTokens.set(token, { user: user.toUpperCase(), ...(role ? { role: role.toUpperCase() } : {}), expiresAt: Date.now() + seconds * 1000 });
    return token;
  }

  /** POST /oauth/token-request (form encoded): the refresh_token and client_credentials grants. */
  tokenRequest(form: URLSearchParams, authorization: string | undefined): IdentityAnswer {
    const fail = (error: string, description: string, status = 400): IdentityAnswer => [status, { error, error_description: description }];
    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (basic) {
      const [id, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(rest.join(':'));
    }
    const client = clientId ? this.clients.get(clientId) : undefined;
    if (!client || client.clientSecret !== clientSecret) return fail('invalid_client', 'Client authentication failed.', 401);
    const grant = form.get('grant_type');
    const scopeRole = /session:role:(\S+)/.exec(form.get('scope') ?? '')?.[1];
    let user: string;
    let role: string | undefined;
    if (grant === 'refresh_token') {
      const refresh = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!refresh || refresh.clientId !== client.clientId) return fail('invalid_grant', 'The refresh token is invalid or expired.');
      user = refresh.user;
      role = refresh.role;
    } else if (grant === 'client_credentials') {
      user = client.user;
      role = scopeRole?.toUpperCase();
    } else {
      return fail('unsupported_grant_type', `Grant type ${grant ?? '(none)'} is not supported.`);
    }
    const access = this.issueAccessToken(user, role);
    return [
      200,
      { access_token: access, token_type: 'Bearer', expires_in: ACCESS_SECONDS, username: user, ...(role ? { scope: `session:role:${role}` } : {}) },
    ];
  }

  /** The user an OAuth access token signs in, or why it does not. */
  checkAccessToken(token: string, loginName: string): { user: string; role?: string } | undefined {
    const issued = this.accessTokens.get(token);
    if (!issued || issued.expiresAt < Date.now()) return undefined;
    // A login name that names someone else than the token's user is refused.
    if (loginName && loginName !== issued.user) return undefined;
    return { user: issued.user, ...(issued.role ? { role: issued.role } : {}) };
  }

  /** POST /session/authenticator-request: where the browser signs in (the IdP's SSO page on this port). */
  authenticatorRequest(data: Record<string, unknown>, origin: string): unknown {
    const proofKey = randomBytes(32).toString('base64');
    const url = new URL('/sso/login', origin);
    url.searchParams.set('login_name', String(data.LOGIN_NAME ?? ''));
    url.searchParams.set('proof_key', proofKey);
    url.searchParams.set('browser_mode_redirect_port', String(data.BROWSER_MODE_REDIRECT_PORT ?? ''));
    return { success: true, code: null, message: null, data: { ssoUrl: url.toString(), proofKey } };
  }

  /**
   * GET /console/login or /sso/login: the identity provider's page. The browser is taken to hold
   * the IdP session of the user it asks for (when that user is an SSO user), and is redirected to
   * the driver's loopback listener with the token, as the IdP's SAML post-back to Snowflake would.
   */
  ssoPage(url: URL): IdentityAnswer {
    const user = (url.searchParams.get('login_name') ?? '').toUpperCase();
    const proofKey = url.searchParams.get('proof_key') ?? '';
    const port = Number(url.searchParams.get('browser_mode_redirect_port'));
    if (!Number.isInteger(port) || port <= 0 || port > 65535 || !proofKey) return [400, { error: 'bad SSO request' }];
    const back = new URL(`http://127.0.0.1:${port}/`);
    if (!this.ssoUsers.has(user)) {
      back.searchParams.set('error', `User ${user} cannot sign in with SSO.`);
      return [302, { redirect: back.toString() }, { Location: back.toString() }];
    }
    const token = secret('sso');
    this.ssoTokens.set(token, { user, proofKey, expiresAt: Date.now() + 120_000 });
    back.searchParams.set('token', token);
    return [302, { redirect: back.toString() }, { Location: back.toString() }];
  }

  /** EXTERNALBROWSER login: the token the browser brought back, for the same user and proof key, once. */
  checkSsoToken(token: string, proofKey: string, loginName: string): string | undefined {
    const issued = this.ssoTokens.get(token);
    this.ssoTokens.delete(token);
    if (!issued || issued.expiresAt < Date.now() || issued.proofKey !== proofKey) return undefined;
    if (loginName && loginName !== issued.user) return undefined;
    return issued.user;
  }

  mfaEnrolled(user: string): boolean {
    return this.mfa.has(user);
  }

  /** The second factor: the passcode of the moment, or an MFA token this server issued to the user. */
  checkSecondFactor(user: string, passcode: string | undefined, mfaToken: string | undefined): 'passcode' | 'token' | undefined {
    if (mfaToken) {
      const t = this.mfaTokens.get(mfaToken);
      if (t && t.user === user && t.expiresAt >= Date.now()) return 'token';
    }
    if (passcode && this.mfa.get(user) === passcode) return 'passcode';
    return undefined;
  }

  issueMfaToken(user: string): { token: string; seconds: number } {
    const token = secret('mfa');
    this.mfaTokens.set(token, { user, expiresAt: Date.now() + MFA_TOKEN_SECONDS * 1000 });
    return { token, seconds: MFA_TOKEN_SECONDS };
  }

  /** WORKLOAD_IDENTITY with PROVIDER = OIDC: an RS256 token from the user's issuer, for its subject, not expired. */
  checkWorkloadToken(provider: string, token: string, loginName: string): string | undefined {
    if (provider !== 'OIDC') return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let claims: { iss?: unknown; sub?: unknown; exp?: unknown; aud?: unknown };
    let head: { alg?: unknown };
    try {
      head = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    // The token names the identity; the user is the one registered for that issuer and subject.
    const match = [...this.workload].find(([, w]) => w.issuer === claims.iss && w.subject === claims.sub);
    if (!match || head.alg !== 'RS256') return undefined;
    const [user, identity] = match;
    if (loginName && loginName !== user) return undefined;
    const good = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(identity.publicKey), Buffer.from(parts[2]!, 'base64url'));
    if (!good || !(typeof claims.exp === 'number' && claims.exp * 1000 > Date.now())) return undefined;
    if (claims.aud !== 'snowflakecomputing.com') return undefined;
    return user;
  }
}

// Which logins the emulator accepts, per user and authenticator, as Snowflake does:
// key pair (SNOWFLAKE_JWT), programmatic access tokens, and passwords for people only
// (docs.snowflake.com/en/user-guide/admin-user-management#types-of-users: a SERVICE user
// "cannot use passwords").

import { createPublicKey } from 'node:crypto';
import type { AccessControl } from './access-control.js';
import type { IdentityProvider } from './identity-provider.js';
import { checkLoginJwt } from './server.js';

/** Who signed in (when the credential names the user), a role the credential restricts to, and an MFA token to hand back. */
export type LoginCheck =
  | { user?: string; roleRestriction?: string; mfaToken?: { token: string; seconds: number } }
  | { error: string; code: string; method: string };

/** Settings the login depends on: the account's ALLOW_CLIENT_MFA_CACHING and the session's CLIENT_REQUEST_MFA_TOKEN. */
export interface LoginSettings {
  allowMfaCaching: boolean;
  requestMfaToken: boolean;
}

/** A public key as CREATE USER … RSA_PUBLIC_KEY gives it (bare base64) or as PEM. */
function publicKeyOf(text: string) {
  const pem = text.includes('-----BEGIN') ? text : `-----BEGIN PUBLIC KEY-----\n${text.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----\n`;
  return createPublicKey(pem);
}

export function checkLogin(access: AccessControl, identity: IdentityProvider, data: Record<string, unknown>, settings: LoginSettings): LoginCheck {
  const name = String(data.LOGIN_NAME ?? '').toUpperCase();
  const user = access.users.get(name);
  const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
  if (authenticator === 'SNOWFLAKE_JWT') {
    const bad = { error: 'JWT token is invalid.', code: '390144', method: 'JWT' };
    if (!user?.rsaPublicKey) return bad;
    let key: ReturnType<typeof createPublicKey>;
    try {
      key = publicKeyOf(user.rsaPublicKey);
    } catch {
      return bad;
    }
    return checkLoginJwt(String(data.TOKEN ?? ''), String(data.ACCOUNT_NAME ?? ''), name, key) === undefined ? {} : bad;
  }
  if (authenticator === 'PROGRAMMATIC_ACCESS_TOKEN') {
    const token = user?.tokens.get(String(data.TOKEN ?? ''));
    if (!token || token.expiresAt < Date.now()) return { error: 'Programmatic access token is invalid.', code: '394400', method: 'PROGRAMMATIC_ACCESS_TOKEN' };
    return token.role ? { roleRestriction: token.role } : {};
  }
  if (authenticator === 'OAUTH') {
    const found = identity.checkAccessToken(String(data.TOKEN ?? ''), name);
    if (!found || !access.users.has(found.user)) return { error: 'Invalid OAuth access token.', code: '390303', method: 'OAUTH' };
    return { user: found.user, ...(found.role ? { roleRestriction: found.role } : {}) };
  }
  if (authenticator === 'EXTERNALBROWSER') {
    const found = identity.checkSsoToken(String(data.TOKEN ?? ''), String(data.PROOF_KEY ?? ''), name);
    if (!found || !access.users.has(found)) return { error: 'SAML response is invalid or matches no user.', code: '390190', method: 'EXTERNALBROWSER' };
    return { user: found };
  }
  if (authenticator === 'WORKLOAD_IDENTITY') {
    const found = identity.checkWorkloadToken(String(data.PROVIDER ?? '').toUpperCase(), String(data.TOKEN ?? ''), name);
    const u = found ? access.users.get(found) : undefined;
    // Workload identity is for service users only.
    if (!found || !u || u.type !== 'SERVICE')
      return { error: 'Workload identity federation authentication failed.', code: '390404', method: 'WORKLOAD_IDENTITY' };
    return { user: found };
  }
  if (authenticator === 'SNOWFLAKE' || authenticator === 'USERNAME_PASSWORD_MFA') {
    const wrong = { error: 'Incorrect username or password was specified.', code: '390100', method: 'USERNAME_PASSWORD' };
    // A service user never signs in with a password, whatever it sends; a programmatic access
    // token may stand in for the password (Snowflake accepts it in the password field).
    const pat = user?.tokens.get(String(data.PASSWORD ?? ''));
    if (pat && pat.expiresAt >= Date.now()) return pat.role ? { roleRestriction: pat.role } : {};
    if (!user || user.type === 'SERVICE' || user.password === undefined || user.password !== data.PASSWORD) return wrong;
    if (!identity.mfaEnrolled(name)) return {};
    // A user enrolled in MFA also needs the passcode, or an MFA token cached from an earlier login.
    const passcode = data.PASSCODE === undefined || data.PASSCODE === null ? undefined : String(data.PASSCODE);
    const token = data.TOKEN === undefined || data.TOKEN === null ? undefined : String(data.TOKEN);
    const factor = authenticator === 'USERNAME_PASSWORD_MFA' ? identity.checkSecondFactor(name, passcode, token) : undefined;
    if (!factor) {
      return {
        error: passcode
          ? 'Failed to authenticate: MFA with TOTP passcode failed.'
          : 'Multi-factor authentication is required for this user: sign in with authenticator username_password_mfa and a passcode.',
        code: '394507',
        method: 'USERNAME_PASSWORD_MFA',
      };
    }
    if (factor === 'passcode' && settings.allowMfaCaching && settings.requestMfaToken) return { mfaToken: identity.issueMfaToken(name) };
    return {};
  }
  return { error: `Authenticator ${authenticator} is not emulated.`, code: '390100', method: authenticator };
}

// Which logins the emulator accepts, per user and authenticator, as Snowflake does:
// key pair (SNOWFLAKE_JWT), programmatic access tokens, and passwords for people only
// (docs.snowflake.com/en/user-guide/admin-user-management#types-of-users: a SERVICE user
// "cannot use passwords").

import { createPublicKey } from 'node:crypto';
import type { AccessControl } from './access-control.js';
import { checkLoginJwt } from './server.js';

export type LoginCheck = { roleRestriction?: string } | { error: string; code: string; method: string };

/** A public key as CREATE USER … RSA_PUBLIC_KEY gives it (bare base64) or as PEM. */
function publicKeyOf(text: string) {
  const pem = text.includes('-----BEGIN') ? text : `-----BEGIN PUBLIC KEY-----\n${text.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----\n`;
  return createPublicKey(pem);
}

export function checkLogin(access: AccessControl, data: Record<string, unknown>): LoginCheck {
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
  if (authenticator === 'SNOWFLAKE') {
    const wrong = { error: 'Incorrect username or password was specified.', code: '390100', method: 'USERNAME_PASSWORD' };
    // A service user never signs in with a password, whatever it sends; a programmatic access
    // token may stand in for the password (Snowflake accepts it in the password field).
    const pat = user?.tokens.get(String(data.PASSWORD ?? ''));
    if (pat && pat.expiresAt >= Date.now()) return pat.role ? { roleRestriction: pat.role } : {};
    if (!user || user.type === 'SERVICE' || user.password === undefined || user.password !== data.PASSWORD) return wrong;
    return {};
  }
  return { error: `Authenticator ${authenticator} is not emulated.`, code: '390100', method: authenticator };
}

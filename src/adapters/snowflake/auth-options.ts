// The snowflake-sdk connection options for each way of signing in, from dbt-snowflake's profile
// keys (dbt-labs/dbt-adapters: dbt-snowflake/src/dbt/adapters/snowflake/connections.py,
// SnowflakeCredentials.auth_args) and, where dbt has none, the Snowflake Python connector's names
// (passcode, passcode_in_password, workload_identity_provider, token_file_path).

import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../../core/errors.js';
import { redact, registerSecret } from '../../core/secrets.js';
import type { SnowflakeTarget } from '../../project/profiles.js';

const where = { file: 'profiles.yml' };

/** Every authenticator the engine passes on, as the profile spells it (case-insensitive). */
export const AUTHENTICATORS = [
  'snowflake_jwt',
  'programmatic_access_token',
  'oauth',
  'jwt',
  'oauth_client_credentials',
  'externalbrowser',
  'username_password_mfa',
  'workload_identity',
  'snowflake',
] as const;

/**
 * The private key as unencrypted PKCS#8 PEM, decrypted here so that a wrong passphrase is reported
 * as such (the driver would only pass on OpenSSL's "bad decrypt").
 */
function decryptedKey(pem: string, passphrase: string | undefined, what: string): string {
  const fail = (why: string) => new ProjectError('connection', `cannot use the private key (${what}): ${why}`, { location: where });
  if (!passphrase && /ENCRYPTED/.test(pem)) throw fail('it is encrypted and the target sets no private_key_passphrase');
  try {
    const key = createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
    registerSecret(key);
    return key;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw fail(
      code === 'ERR_OSSL_BAD_DECRYPT' ? 'private_key_passphrase does not decrypt it' : 'it is not a PEM private key (PKCS#8, as `openssl pkcs8` writes it)',
    );
  }
}

function privateKeyOf(t: SnowflakeTarget, projectDir: string): string {
  let pem: string;
  let what: string;
  if (t.private_key && t.private_key_path) {
    throw new ProjectError('connection', `target '${t.name}' sets both private_key and private_key_path`, { location: where, hint: 'keep one of them' });
  }
  if (t.private_key) {
    pem = t.private_key;
    what = 'private_key';
  } else if (t.private_key_path) {
    what = `private_key_path ${t.private_key_path}`;
    try {
      pem = readFileSync(path.resolve(projectDir, t.private_key_path), 'utf8');
    } catch {
      throw new ProjectError('connection', `cannot read the private key file ${t.private_key_path}`, { location: where });
    }
  } else {
    throw new ProjectError('connection', `target '${t.name}' uses key-pair authentication but sets neither private_key_path nor private_key`, {
      location: where,
    });
  }
  registerSecret(pem);
  return decryptedKey(pem, t.private_key_passphrase, what);
}

function need(t: SnowflakeTarget, authenticator: string, key: string, value: string | undefined, hint: string): string {
  if (value) return value;
  throw new ProjectError('connection', `target '${t.name}' (authenticator ${authenticator}) has no ${key}`, { location: where, hint });
}

/** OAuth over plain HTTP only to this machine (RFC 8252's loopback exception), never across a network. */
function loopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * dbt-snowflake's `authenticator: oauth` with oauth_client_id and oauth_client_secret: `token` is a
 * refresh token, exchanged for an access token at the token endpoint (grant_type=refresh_token,
 * the client authenticated with HTTP Basic), as SnowflakeCredentials._get_access_token does.
 */
async function refreshedAccessToken(t: SnowflakeTarget, tokenUrl: string): Promise<string> {
  const fail = (why: string) =>
    new ProjectError('connection', redact(`the OAuth token endpoint ${tokenUrl} gave no access token for target '${t.name}': ${why}`), {
      hint: 'the refresh token may have expired: sign in with your identity provider again and update the token the target reads',
    });
  const basic = Buffer.from(`${encodeURIComponent(t.oauth_client_id!)}:${encodeURIComponent(t.oauth_client_secret!)}`).toString('base64');
  let answer: Response;
  try {
    answer = await fetch(tokenUrl, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.token!, redirect_uri: 'http://localhost:9999' }).toString(),
      signal: AbortSignal.timeout(t.login_timeout * 1000),
    });
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e));
  }
  const body = (await answer.json().catch(() => undefined)) as { access_token?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (!answer.ok || typeof body?.access_token !== 'string') {
    throw fail(body?.error ? `${String(body.error)}${body.error_description ? ` (${String(body.error_description)})` : ''}` : `HTTP ${answer.status}`);
  }
  registerSecret(body.access_token);
  return body.access_token;
}

/**
 * Opens the sign-in page for `externalbrowser`: with the program named by $BROWSER when set (as
 * Python's webbrowser module, which dbt-snowflake's connector uses, does), else the system's
 * browser; the address is printed too, for a machine without one.
 */
function browserOpener(log: (message: string) => void): (url: string) => void {
  return (url: string) => {
    log(`Sign in to Snowflake in your browser; if none opens, visit: ${url}`);
    const system = process.platform === 'darwin' ? ['open'] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""'] : ['xdg-open'];
    const [command, ...args] = process.env.BROWSER ? [process.env.BROWSER] : system;
    const child = spawn(command!, [...args, url], { stdio: 'ignore', shell: false });
    child.on('error', () => log(`could not start a browser (${command}); visit the address above`));
    child.unref();
  };
}

/** The SDK's options for the target's way of signing in. */
export async function authOptions(t: SnowflakeTarget, projectDir: string, endpoint: string, log: (message: string) => void): Promise<Record<string, unknown>> {
  const chosen = (t.authenticator ?? (t.private_key || t.private_key_path ? 'snowflake_jwt' : 'snowflake')).toLowerCase();
  const options: Record<string, unknown> = {};
  // dbt-snowflake turns on the ID-token and MFA-token caches whenever an authenticator is set.
  if (t.authenticator) {
    options.clientStoreTemporaryCredential = true;
    options.clientRequestMFAToken = true;
  }
  switch (chosen) {
    case 'snowflake':
      options.password = need(t, chosen, 'password', t.password, 'set password: "{{ env_var(\'SNOWFLAKE_PASSWORD\') }}" or private_key_path for a key pair');
      return options;
    case 'snowflake_jwt':
      options.authenticator = 'SNOWFLAKE_JWT';
      options.privateKey = privateKeyOf(t, projectDir);
      return options;
    case 'programmatic_access_token':
      options.authenticator = 'PROGRAMMATIC_ACCESS_TOKEN';
      options.token = need(t, chosen, 'token', t.token ?? t.password, "set token: \"{{ env_var('SNOWFLAKE_TOKEN') }}\" (the token's secret)");
      return options;
    case 'jwt':
    case 'oauth': {
      options.authenticator = 'OAUTH';
      const token = need(t, chosen, 'token', t.token, 'set token: "{{ env_var(\'SNOWFLAKE_TOKEN\') }}"');
      if (chosen === 'oauth' && (t.oauth_client_id || t.oauth_client_secret)) {
        need(t, chosen, 'oauth_client_id', t.oauth_client_id, 'a refresh token needs both oauth_client_id and oauth_client_secret');
        need(t, chosen, 'oauth_client_secret', t.oauth_client_secret, 'a refresh token needs both oauth_client_id and oauth_client_secret');
        options.token = await refreshedAccessToken(t, t.oauth_token_request_url ?? `${endpoint}/oauth/token-request`);
      } else options.token = token;
      return options;
    }
    case 'oauth_client_credentials': {
      options.authenticator = 'OAUTH_CLIENT_CREDENTIALS';
      options.oauthClientId = need(t, chosen, 'oauth_client_id', t.oauth_client_id, 'the client registered with your identity provider');
      options.oauthClientSecret = need(
        t,
        chosen,
        'oauth_client_secret',
        t.oauth_client_secret,
        'set oauth_client_secret: "{{ env_var(\'SNOWFLAKE_OAUTH_CLIENT_SECRET\') }}"',
      );
      const tokenUrl = t.oauth_token_request_url ?? `${endpoint}/oauth/token-request`;
      options.oauthTokenRequestUrl = tokenUrl;
      if (t.oauth_scope) options.oauthScope = t.oauth_scope;
      if (loopback(tokenUrl)) options.oauthHttpAllowed = true;
      return options;
    }
    case 'externalbrowser':
      options.authenticator = 'EXTERNALBROWSER';
      options.openExternalBrowserCallback = browserOpener(log);
      if (t.disable_console_login !== undefined) options.disableConsoleLogin = t.disable_console_login;
      return options;
    case 'username_password_mfa':
      options.authenticator = 'USERNAME_PASSWORD_MFA';
      options.password = need(t, chosen, 'password', t.password, 'set password: "{{ env_var(\'SNOWFLAKE_PASSWORD\') }}"');
      if (t.passcode) options.passcode = t.passcode;
      if (t.passcode_in_password) options.passcodeInPassword = true;
      return options;
    case 'workload_identity': {
      options.authenticator = 'WORKLOAD_IDENTITY';
      const provider = need(t, chosen, 'workload_identity_provider', t.workload_identity_provider, 'one of aws, azure, gcp, oidc').toUpperCase();
      if (!['AWS', 'AZURE', 'GCP', 'OIDC'].includes(provider)) {
        throw new ProjectError(
          'connection',
          `target '${t.name}': workload_identity_provider '${t.workload_identity_provider}' is not one of aws, azure, gcp, oidc`,
          {
            location: where,
          },
        );
      }
      options.workloadIdentityProvider = provider;
      if (provider === 'OIDC') {
        if (t.token_file_path) options.tokenFilePath = path.resolve(projectDir, t.token_file_path);
        else options.token = need(t, chosen, 'token', t.token, 'an OIDC ID token from your workload (or token_file_path)');
      }
      return options;
    }
    default:
      throw new ProjectError('connection', `target '${t.name}': authenticator '${t.authenticator}' is not supported`, {
        location: where,
        hint: `use one of ${AUTHENTICATORS.join(', ')}`,
      });
  }
}

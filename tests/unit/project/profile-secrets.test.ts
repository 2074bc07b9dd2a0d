// Every credential a Snowflake target can hold is a secret from the moment the profile is read:
// written in profiles.yml or read with env_var(), it is redacted from every line and file after.
// The keys are dbt-snowflake's (dbt-labs/dbt-adapters: dbt-snowflake/src/dbt/adapters/snowflake/
// connections.py, SnowflakeCredentials) plus the Python connector's passcode.

import { describe, expect, it } from 'vitest';
import { isSecretName, redact } from '../../../src/core/secrets.js';
import { loadProject } from '../../../src/project/load-project.js';
import { resolveTarget } from '../../../src/project/profiles.js';
import { writeProject } from '../../helpers/project.js';

const LITERAL: Record<string, string> = {
  password: 'pw-literal-8812',
  token: 'tok-literal-1f9a',
  oauth_client_secret: 'cs-literal-72be',
  passcode: '583920',
  private_key_passphrase: 'pp-literal-0c4d',
};

describe('Snowflake credentials in profiles.yml', () => {
  it('registers every secret key as a secret, written literally or read from the environment', () => {
    process.env.SF_TEST_TOKEN_FROM_ENV = 'tok-from-env-55d1';
    process.env.SF_TEST_PASSCODE = '771203';
    const dir = writeProject({
      'project.yml': 'name: shop\nprofile: shop\n',
      'profiles.yml': `shop:
  target: literal
  outputs:
    literal:
      type: snowflake
      account: acme
      user: svc
${Object.entries(LITERAL)
  .map(([k, v]) => `      ${k}: "${v}"`)
  .join('\n')}
    from_env:
      type: snowflake
      account: acme
      user: svc
      authenticator: username_password_mfa
      token: "{{ env_var('SF_TEST_TOKEN_FROM_ENV') }}"
      passcode: "{{ env_var('SF_TEST_PASSCODE') }}"
`,
    });
    const project = loadProject({ projectDir: dir });
    resolveTarget(project, { target: 'literal' });
    for (const value of Object.values(LITERAL)) expect(redact(`value ${value} here`)).toBe('value ***** here');
    const { target } = resolveTarget(project, { target: 'from_env' });
    // A passcode of digits stays text (a number would lose leading zeros).
    expect(target.type === 'snowflake' && target.passcode).toBe('771203');
    expect(redact('tok-from-env-55d1 771203')).toBe('***** *****');
  });

  it('treats the environment variables a profile reads credentials from as secret by their names', () => {
    for (const name of ['SNOWFLAKE_PASSWORD', 'SNOWFLAKE_TOKEN', 'SNOWFLAKE_OAUTH_CLIENT_SECRET', 'SNOWFLAKE_PASSCODE', 'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE']) {
      expect(isSecretName(name), name).toBe(true);
    }
    expect(isSecretName('SNOWFLAKE_ACCOUNT')).toBe(false);
  });
});

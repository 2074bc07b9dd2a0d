// CLI: npm run snowflake-emulator -- [--port N] [--host H] [--user U] [--password P] [--public-key FILE]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_USERS, startSnowflakeEmulator } from './server.js';

const [defaultUser, defaultPassword] = Object.entries(DEFAULT_USERS)[0]!;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    user: { type: 'string', default: defaultUser },
    password: { type: 'string', default: process.env.SNOWFLAKE_EMULATOR_PASSWORD ?? defaultPassword },
    'public-key': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('Usage: snowflake-emulator [--port N] [--host 127.0.0.1] [--user NAME] [--password SECRET] [--public-key FILE]');
  console.log("  --public-key: the user's RSA public key (PEM), for key-pair (SNOWFLAKE_JWT) logins");
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid --port: ${values.port}`);
  process.exit(2);
}

let publicKeys: Record<string, string> | undefined;
if (values['public-key']) {
  try {
    publicKeys = { [values.user]: readFileSync(values['public-key'], 'utf8') };
  } catch {
    console.error(`Cannot read --public-key ${values['public-key']}`);
    process.exit(2);
  }
}

const emulator = await startSnowflakeEmulator({ port, host: values.host, users: { [values.user]: values.password }, publicKeys });
console.log(`Snowflake emulator listening on ${emulator.url}`);
console.log(`User: ${values.user} (password from --password, SNOWFLAKE_EMULATOR_PASSWORD or the default${publicKeys ? '; key pair from --public-key' : ''})`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`Received ${signal}, stopping`);
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

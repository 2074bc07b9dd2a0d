#!/usr/bin/env node
// A browser without a screen, for `externalbrowser` sign-in in tests: it opens the address it is
// given (the account's host mapped to the emulator, as a hosts-file entry would), follows the
// identity provider's redirect to the driver's loopback listener, and exits. Loopback only.
const [, , address] = process.argv;
const account = new URL(address);
const emulator = new URL(process.env.HEADLESS_BROWSER_ORIGIN);
if (!['127.0.0.1', 'localhost'].includes(account.hostname) || emulator.hostname !== '127.0.0.1') process.exit(3);
const page = new URL(account.pathname + account.search, emulator);
const signIn = await fetch(page, { redirect: 'manual' });
const next = signIn.headers.get('location');
if (!next) process.exit(4);
const back = new URL(next);
if (!['127.0.0.1', 'localhost'].includes(back.hostname)) process.exit(5);
await fetch(back).then((r) => r.text());

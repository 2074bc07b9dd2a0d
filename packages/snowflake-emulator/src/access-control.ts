// Snowflake's access model, in its own SQL: users, roles and their hierarchy, privileges on
// objects, ownership, and the privilege check every statement passes before it runs.
// Rules from docs.snowflake.com/en/user-guide/security-access-control-overview and
// docs.snowflake.com/en/user-guide/security-access-control-privileges.

import { randomBytes } from 'node:crypto';
import { OwnerMap } from './relation-facts.js';
import { TableKinds } from './table-kinds.js';
import { isSignificant, splitStatements, type Token, tokenize } from './tokenizer.js';

export interface AccessError {
  code: string;
  sqlState: string;
  message: string;
}

export class AccessDenied extends Error {
  constructor(readonly sf: AccessError) {
    super(sf.message);
  }
}

const compile = (detail: string): string => `SQL compilation error:\n${detail}`;
/** 003001: the role can see the object but lacks the privilege the operation needs. */
const insufficient = (kind: string, name: string): AccessDenied =>
  new AccessDenied({ code: '003001', sqlState: '42501', message: `SQL access control error:\nInsufficient privileges to operate on ${kind} '${name}'` });
/** 002003: Snowflake does not tell an object the role cannot see from one that does not exist. */
const notAuthorized = (kind: string, name: string): AccessDenied =>
  new AccessDenied({ code: '002003', sqlState: '02000', message: compile(`${kind} '${name}' does not exist or not authorized.`) });
const syntax = (detail: string): AccessDenied => new AccessDenied({ code: '001003', sqlState: '42000', message: compile(`syntax error: ${detail}`) });

export type UserType = 'PERSON' | 'SERVICE' | 'LEGACY_SERVICE' | 'NULL';

export interface EmulatedUser {
  name: string;
  type: UserType;
  password?: string;
  rsaPublicKey?: string;
  defaultRole?: string;
  /** programmatic access tokens: secret -> restriction */
  tokens: Map<string, { name: string; role?: string; expiresAt: number }>;
}

interface Grant {
  privilege: string;
  kind: ObjectKind;
  name: string;
  role: string;
}

type ObjectKind = 'ACCOUNT' | 'DATABASE' | 'SCHEMA' | 'TABLE' | 'VIEW' | 'WAREHOUSE' | 'FUTURE TABLES' | 'FUTURE VIEWS';

/** What the privilege check needs to know about the catalog (names are normalized). */
export interface CatalogView {
  database(name: string): Promise<boolean>;
  schema(database: string, schema: string): Promise<boolean>;
  relation(database: string, schema: string, name: string): Promise<'TABLE' | 'VIEW' | undefined>;
}

export interface SessionView {
  user: string;
  role: string;
  database?: string;
  schema?: string;
}

export interface AccessAnswer {
  columns: string[];
  rows: (string | null)[][];
  status?: string;
}

const SYSTEM_ROLES = ['ACCOUNTADMIN', 'SECURITYADMIN', 'USERADMIN', 'SYSADMIN', 'PUBLIC'];
export const ACCOUNT_NAME = 'EMULATOR';

const word = (t: Token | undefined): string | undefined => (t?.kind === 'word' ? t.text.toUpperCase() : undefined);

/** Token cursor over one statement. */
class Cursor {
  pos = 0;
  constructor(readonly sig: Token[]) {}
  word(offset = 0): string | undefined {
    return word(this.sig[this.pos + offset]);
  }
  accept(...words: string[]): boolean {
    if (words.every((w, i) => this.word(i) === w)) {
      this.pos += words.length;
      return true;
    }
    return false;
  }
  expect(...words: string[]): void {
    if (!this.accept(...words)) throw syntax(`expected '${words.join(' ')}', found '${this.sig[this.pos]?.text ?? 'end of statement'}'`);
  }
  op(text: string): boolean {
    const t = this.sig[this.pos];
    if (t?.kind === 'op' && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }
  atEnd(): boolean {
    return this.pos >= this.sig.length;
  }
  name(): string[] {
    const parts: string[] = [];
    for (;;) {
      const t = this.sig[this.pos];
      if (t?.kind === 'word') parts.push(t.text.toUpperCase());
      else if (t?.kind === 'quoted') parts.push(t.value ?? '');
      else if (t?.kind === 'string') parts.push(t.value ?? '');
      else throw syntax(`expected a name, found '${t?.text ?? 'end of statement'}'`);
      this.pos++;
      if (!this.op('.')) return parts;
    }
  }
  value(): string {
    const t = this.sig[this.pos++];
    if (!t) throw syntax('expected a value');
    return t.kind === 'string' || t.kind === 'quoted' ? (t.value ?? '') : t.text;
  }
  /** `KEY = value` pairs until the end (commas optional). */
  properties(): Map<string, string> {
    const props = new Map<string, string>();
    while (!this.atEnd()) {
      const key = this.word();
      if (!key) throw syntax(`unexpected '${this.sig[this.pos]?.text}'`);
      this.pos++;
      if (!this.op('=')) throw syntax(`expected '=' after ${key}`);
      props.set(key, this.value());
      this.op(',');
    }
    return props;
  }
}

/** Statements the access model answers itself, recognised by their head. */
export function isAccessStatement(tokens: Token[]): boolean {
  const sig = tokens.filter(isSignificant);
  const w = (i: number) => word(sig[i]);
  const head = w(0);
  let i = 1;
  if (head === 'CREATE' && w(1) === 'OR' && w(2) === 'REPLACE') i = 3;
  const obj = w(i);
  if ((head === 'CREATE' || head === 'DROP') && (obj === 'ROLE' || obj === 'USER' || obj === 'WAREHOUSE')) return true;
  if (head === 'ALTER' && obj === 'USER') return true;
  if (head === 'GRANT' || head === 'REVOKE') return true;
  if (head === 'SHOW' && (w(1) === 'GRANTS' || w(1) === 'ROLES' || w(1) === 'USERS')) return true;
  return false;
}

export class AccessControl {
  readonly users = new Map<string, EmulatedUser>();
  private readonly roles = new Map<string, Set<string>>();
  private readonly userRoles = new Map<string, Set<string>>();
  private readonly grants: Grant[] = [];
  private readonly owners = new OwnerMap();
  private readonly warehouses = new Set<string>();
  /** which tables are transient (others are permanent) */
  readonly kinds = new TableKinds();

  /** Who owns each table and view, and when it last changed (INFORMATION_SCHEMA.TABLES reads them). */
  get relationFacts(): OwnerMap {
    return this.owners;
  }

  constructor() {
    for (const r of SYSTEM_ROLES) this.roles.set(r, new Set());
    // The system hierarchy: ACCOUNTADMIN over SECURITYADMIN and SYSADMIN, SECURITYADMIN over USERADMIN.
    this.roles.get('ACCOUNTADMIN')!.add('SECURITYADMIN').add('SYSADMIN');
    this.roles.get('SECURITYADMIN')!.add('USERADMIN');
  }

  /** An administrator: a person with ACCOUNTADMIN as default role (the command line's user). */
  addAdministrator(name: string, password: string | undefined, publicKey: string | undefined): void {
    const user: EmulatedUser = { name: name.toUpperCase(), type: 'PERSON', defaultRole: 'ACCOUNTADMIN', tokens: new Map() };
    if (password !== undefined) user.password = password;
    if (publicKey !== undefined) user.rsaPublicKey = publicKey;
    this.users.set(user.name, user);
    this.userRoles.set(user.name, new Set(['ACCOUNTADMIN']));
  }

  /** Roles a user may use: those granted, and PUBLIC. */
  private grantedToUser(user: string): Set<string> {
    return new Set([...(this.userRoles.get(user) ?? []), 'PUBLIC']);
  }

  /** The role and every role below it in the hierarchy. */
  private effectiveRoles(role: string): Set<string> {
    const out = new Set<string>();
    const walk = (r: string) => {
      if (out.has(r)) return;
      out.add(r);
      for (const c of this.roles.get(r) ?? []) walk(c);
    };
    walk(role);
    out.add('PUBLIC');
    return out;
  }

  /** The role a login starts with, or an error text when the requested one is not the user's. */
  loginRole(user: string, requested: string | undefined, restriction?: string): { role: string } | { error: string } {
    const granted = this.grantedToUser(user);
    const wanted = requested ?? restriction ?? this.users.get(user)?.defaultRole;
    if (restriction && wanted !== restriction)
      return { error: `Role '${wanted}' specified in the connect string is not allowed by the token's role restriction.` };
    if (wanted && granted.has(wanted) && this.roles.has(wanted)) return { role: wanted };
    if (requested) {
      return {
        error: `Role '${requested}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`,
      };
    }
    return { role: 'PUBLIC' };
  }

  /** USE ROLE: the user must hold the role. */
  useRole(session: SessionView, role: string): void {
    if (!this.roles.has(role) || !this.grantedToUser(session.user).has(role)) {
      throw new AccessDenied({
        code: '003013',
        sqlState: '42501',
        message: `Requested role '${role}' is not assigned to the executing user. Specify another role to activate.`,
      });
    }
  }

  /** USE WAREHOUSE: an unknown warehouse, or one the role may not use, does not exist for it. */
  useWarehouse(session: SessionView, warehouse: string): void {
    if (this.isAdmin(session.role)) return;
    if (!this.warehouses.has(warehouse) || !this.holds(session.role, 'WAREHOUSE', warehouse, 'USAGE')) {
      throw new AccessDenied({ code: '002043', sqlState: '02000', message: compile('Object does not exist, or operation cannot be performed.') });
    }
  }

  private isAdmin(role: string): boolean {
    return this.effectiveRoles(role).has('ACCOUNTADMIN');
  }

  /** ALTER ACCOUNT needs ACCOUNTADMIN (docs.snowflake.com/en/sql-reference/sql/alter-account). */
  requireAccountAdmin(session: SessionView): void {
    if (!this.isAdmin(session.role)) throw insufficient('account', ACCOUNT_NAME);
  }

  private holds(role: string, kind: ObjectKind, name: string, privilege: string): boolean {
    const roles = this.effectiveRoles(role);
    const owner = this.owners.get(`${kind === 'VIEW' ? 'TABLE' : kind}:${name}`);
    if (owner && roles.has(owner)) return true;
    return this.grants.some(
      (g) =>
        roles.has(g.role) &&
        g.name === name &&
        (g.kind === kind || (kind === 'VIEW' && g.kind === 'TABLE')) &&
        (g.privilege === privilege || g.privilege === 'ALL'),
    );
  }

  /** Any privilege on the object: enough to see it (the USAGE rule for databases and schemas). */
  private sees(role: string, kind: ObjectKind, name: string): boolean {
    const roles = this.effectiveRoles(role);
    const owner = this.owners.get(`${kind === 'VIEW' ? 'TABLE' : kind}:${name}`);
    if (owner && roles.has(owner)) return true;
    if (kind === 'DATABASE' || kind === 'SCHEMA') return this.holds(role, kind, name, 'USAGE');
    return this.grants.some((g) => roles.has(g.role) && g.name === name && (g.kind === kind || g.kind === 'TABLE' || g.kind === 'VIEW'));
  }

  // --- the statements of the access model --------------------------------------

  run(session: SessionView, sql: string): AccessAnswer {
    const tokens = splitStatements(tokenize(sql))[0] ?? [];
    const c = new Cursor(tokens.filter(isSignificant));
    const done = (status = 'Statement executed successfully.'): AccessAnswer => ({ columns: ['status'], rows: [[status]], status });
    if (c.accept('SHOW')) return this.show(session, c);
    const head = c.word();
    if (head === 'GRANT' || head === 'REVOKE') {
      c.pos++;
      return done(this.grantOrRevoke(session, c, head === 'GRANT'));
    }
    if (c.accept('CREATE')) {
      const replace = c.accept('OR', 'REPLACE');
      const kind = c.word();
      c.pos++;
      const ifNotExists = c.accept('IF', 'NOT', 'EXISTS');
      const [name] = c.name();
      if (kind === 'ROLE') {
        this.requireAdmin(session, 'CREATE ROLE');
        if (this.roles.has(name!) && !replace) {
          if (ifNotExists) return done(`${name} already exists, statement succeeded.`);
          throw new AccessDenied({ code: '002002', sqlState: '42710', message: compile(`Object '${name}' already exists.`) });
        }
        this.roles.set(name!, new Set());
        this.owners.set(`ROLE:${name}`, session.role);
        return done(`Role ${name} successfully created.`);
      }
      if (kind === 'USER') {
        this.requireAdmin(session, 'CREATE USER');
        if (this.users.has(name!) && !replace) {
          if (ifNotExists) return done(`${name} already exists, statement succeeded.`);
          throw new AccessDenied({ code: '002002', sqlState: '42710', message: compile(`Object '${name}' already exists.`) });
        }
        const user: EmulatedUser = { name: name!, type: 'NULL', tokens: new Map() };
        this.setUserProperties(user, c.properties());
        this.users.set(user.name, user);
        if (!this.userRoles.has(user.name)) this.userRoles.set(user.name, new Set());
        return done(`User ${name} successfully created.`);
      }
      if (kind === 'WAREHOUSE') {
        this.requireAdmin(session, 'CREATE WAREHOUSE');
        this.warehouses.add(name!);
        this.owners.set(`WAREHOUSE:${name}`, session.role);
        return done(`Warehouse ${name} successfully created.`);
      }
    }
    if (c.accept('DROP')) {
      const kind = c.word();
      c.pos++;
      const ifExists = c.accept('IF', 'EXISTS');
      const [name] = c.name();
      this.requireAdmin(session, `DROP ${kind}`);
      const map = kind === 'ROLE' ? this.roles : kind === 'USER' ? this.users : undefined;
      const exists = map ? map.has(name!) : this.warehouses.has(name!);
      if (!exists) {
        if (ifExists) return done(`Drop statement executed successfully (${name} already dropped).`);
        throw notAuthorized(kind === 'ROLE' ? 'Role' : kind === 'USER' ? 'User' : 'Warehouse', name!);
      }
      if (kind === 'ROLE') {
        this.roles.delete(name!);
        for (const children of this.roles.values()) children.delete(name!);
        for (const roles of this.userRoles.values()) roles.delete(name!);
      } else if (kind === 'USER') {
        this.users.delete(name!);
        this.userRoles.delete(name!);
      } else this.warehouses.delete(name!);
      return done(`${name} successfully dropped.`);
    }
    if (c.accept('ALTER', 'USER')) {
      c.accept('IF', 'EXISTS');
      const [name] = c.name();
      const user = this.users.get(name!);
      // A user may add tokens for itself; anything else is the administrator's.
      const self = name === session.user;
      if (c.accept('ADD', 'PROGRAMMATIC', 'ACCESS', 'TOKEN') || c.accept('ADD', 'PAT')) {
        if (!self) this.requireAdmin(session, 'ALTER USER');
        if (!user) throw notAuthorized('User', name!);
        const [tokenName] = c.name();
        const props = c.properties();
        const role = props.get('ROLE_RESTRICTION')?.toUpperCase();
        if (user.type === 'SERVICE' && !role) {
          throw new AccessDenied({
            code: '001003',
            sqlState: '42000',
            message: compile('ROLE_RESTRICTION is required for programmatic access tokens of service users.'),
          });
        }
        const days = Number(props.get('DAYS_TO_EXPIRY') ?? 15);
        const secret = `pat-${randomBytes(32).toString('base64url')}`;
        user.tokens.set(secret, { name: tokenName!, ...(role ? { role } : {}), expiresAt: Date.now() + days * 86_400_000 });
        return { columns: ['token_name', 'token_secret'], rows: [[tokenName!, secret]] };
      }
      this.requireAdmin(session, 'ALTER USER');
      if (!user) throw notAuthorized('User', name!);
      c.expect('SET');
      this.setUserProperties(user, c.properties());
      return done();
    }
    throw new AccessDenied({
      code: '002000',
      sqlState: '0A000',
      message: `Unsupported feature '${sql.trim().split(/\s+/).slice(0, 3).join(' ')}' (not emulated).`,
    });
  }

  private setUserProperties(user: EmulatedUser, props: Map<string, string>): void {
    for (const [key, value] of props) {
      if (key === 'TYPE') {
        const t = value.toUpperCase();
        if (!['PERSON', 'SERVICE', 'LEGACY_SERVICE', 'NULL'].includes(t)) throw syntax(`invalid value '${value}' for property TYPE`);
        user.type = t as UserType;
      } else if (key === 'PASSWORD') user.password = value;
      else if (key === 'RSA_PUBLIC_KEY') user.rsaPublicKey = value;
      else if (key === 'DEFAULT_ROLE') user.defaultRole = value.toUpperCase();
    }
    // A service user has no password: Snowflake refuses to set one.
    if (user.type === 'SERVICE' && user.password !== undefined) {
      throw new AccessDenied({ code: '001003', sqlState: '42000', message: compile('Cannot set property PASSWORD on a user of TYPE = SERVICE.') });
    }
  }

  private requireAdmin(session: SessionView, what: string): void {
    const roles = this.effectiveRoles(session.role);
    if (!roles.has('ACCOUNTADMIN') && !roles.has('SECURITYADMIN') && !roles.has('USERADMIN') && !roles.has('SYSADMIN')) {
      throw insufficient('account', ACCOUNT_NAME);
    }
    void what;
  }

  /** Who may grant on an object: an administrator, or its owner (discretionary access control). */
  private requireGrantor(session: SessionView, kind: ObjectKind, name: string): void {
    const roles = this.effectiveRoles(session.role);
    if (roles.has('ACCOUNTADMIN') || roles.has('SECURITYADMIN')) return;
    const owner = this.owners.get(`${kind === 'VIEW' ? 'TABLE' : kind}:${name}`);
    if (owner && roles.has(owner) && !kind.startsWith('FUTURE')) return;
    throw insufficient(kind === 'ACCOUNT' ? 'account' : kind.toLowerCase(), name.split('.').pop()!);
  }

  private grantOrRevoke(session: SessionView, c: Cursor, grant: boolean): string {
    const verb = grant ? 'TO' : 'FROM';
    if (c.accept('ROLE')) {
      this.requireAdmin(session, 'GRANT ROLE');
      const [role] = c.name();
      if (!this.roles.has(role!)) throw notAuthorized('Role', role!);
      c.expect(verb);
      if (c.accept('USER')) {
        const [user] = c.name();
        if (!this.users.has(user!)) throw notAuthorized('User', user!);
        const set = this.userRoles.get(user!) ?? new Set<string>();
        if (grant) set.add(role!);
        else set.delete(role!);
        this.userRoles.set(user!, set);
      } else {
        c.expect('ROLE');
        const [parent] = c.name();
        if (!this.roles.has(parent!)) throw notAuthorized('Role', parent!);
        if (grant && this.effectiveRoles(role!).has(parent!)) {
          throw new AccessDenied({ code: '003012', sqlState: '42501', message: `Grant not executed: cycle detected in role hierarchy.` });
        }
        if (grant) this.roles.get(parent!)!.add(role!);
        else this.roles.get(parent!)!.delete(role!);
      }
      return 'Statement executed successfully.';
    }
    const privileges: string[] = [];
    do {
      const parts: string[] = [];
      while (c.word() && c.word() !== 'ON') {
        parts.push(c.word()!);
        c.pos++;
        if (c.sig[c.pos]?.kind === 'op' && c.sig[c.pos]?.text === ',') break;
      }
      const p = parts.join(' ').replace(/ PRIVILEGES$/, '');
      if (!p) throw syntax('expected a privilege');
      privileges.push(p);
    } while (c.op(','));
    c.expect('ON');
    let kind: ObjectKind;
    const targets: string[] = [];
    const resolve = (parts: string[], n: number): string => {
      const ctx = [session.database, session.schema].slice(0, n - 1);
      const full = [...ctx.slice(0, Math.max(0, n - parts.length)), ...parts];
      if (full.length !== n || full.some((p) => p === undefined)) throw notAuthorized('Object', parts.join('.'));
      return full.join('.');
    };
    if (c.accept('ACCOUNT')) {
      kind = 'ACCOUNT';
      targets.push(ACCOUNT_NAME);
    } else if (c.accept('FUTURE', 'TABLES', 'IN', 'SCHEMA')) {
      kind = 'FUTURE TABLES';
      targets.push(resolve(c.name(), 2));
    } else if (c.accept('FUTURE', 'VIEWS', 'IN', 'SCHEMA')) {
      kind = 'FUTURE VIEWS';
      targets.push(resolve(c.name(), 2));
    } else if (c.accept('ALL', 'TABLES', 'IN', 'SCHEMA') || c.accept('ALL', 'VIEWS', 'IN', 'SCHEMA')) {
      const views = c.sig[c.pos - 3]?.text.toUpperCase() === 'VIEWS';
      kind = views ? 'VIEW' : 'TABLE';
      const schema = resolve(c.name(), 2);
      for (const key of this.owners.keys()) {
        const [k, name] = key.split(/:(.*)/s) as [string, string];
        if (k === 'TABLE' && name.startsWith(`${schema}.`) && name.split('.').length === 3) targets.push(name);
      }
    } else {
      const k = c.word();
      c.pos++;
      if (k === 'DATABASE') kind = 'DATABASE';
      else if (k === 'SCHEMA') kind = 'SCHEMA';
      else if (k === 'TABLE') kind = 'TABLE';
      else if (k === 'VIEW') kind = 'VIEW';
      else if (k === 'WAREHOUSE') kind = 'WAREHOUSE';
      else throw syntax(`unexpected '${k}'`);
      const parts = c.name();
      targets.push(kind === 'DATABASE' || kind === 'WAREHOUSE' ? parts.join('.') : resolve(parts, kind === 'SCHEMA' ? 2 : 3));
    }
    c.expect(verb);
    c.accept('ROLE');
    const [role] = c.name();
    if (!this.roles.has(role!)) throw notAuthorized('Role', role!);
    for (const name of targets) {
      this.requireGrantor(session, kind, name);
      for (const privilege of privileges) {
        if (privilege === 'OWNERSHIP') {
          if (grant) this.owners.set(`${kind === 'VIEW' ? 'TABLE' : kind}:${name}`, role!);
          continue;
        }
        const at = this.grants.findIndex((g) => g.privilege === privilege && g.kind === kind && g.name === name && g.role === role);
        if (grant && at < 0) this.grants.push({ privilege, kind, name, role: role! });
        if (!grant && at >= 0) this.grants.splice(at, 1);
      }
    }
    return 'Statement executed successfully.';
  }

  private show(session: SessionView, c: Cursor): AccessAnswer {
    const columns = ['created_on', 'privilege', 'granted_on', 'name', 'granted_to', 'grantee_name', 'grant_option', 'granted_by'];
    const row = (g: Grant): (string | null)[] => [null, g.privilege, g.kind.replace(/^FUTURE /, ''), g.name, 'ROLE', g.role, 'false', null];
    const owned = (): Grant[] =>
      [...this.owners].map(([key, role]) => ({ privilege: 'OWNERSHIP', kind: key.split(':')[0] as ObjectKind, name: key.split(/:(.*)/s)[1]!, role }));
    if (c.accept('ROLES')) {
      return {
        columns: ['created_on', 'name', 'is_default', 'is_current'],
        rows: [...this.roles.keys()].map((r) => [null, r, 'N', r === session.role ? 'Y' : 'N']),
      };
    }
    if (c.accept('USERS')) {
      this.requireAdmin(session, 'SHOW USERS');
      return {
        columns: ['name', 'type', 'default_role', 'has_rsa_public_key', 'has_password'],
        rows: [...this.users.values()].map((u) => [u.name, u.type, u.defaultRole ?? null, u.rsaPublicKey ? 'true' : 'false', u.password ? 'true' : 'false']),
      };
    }
    c.expect('GRANTS');
    if (c.accept('TO', 'USER')) {
      const [user] = c.name();
      return {
        columns: ['created_on', 'role', 'granted_to', 'grantee_name'],
        rows: [...(this.userRoles.get(user!) ?? [])].map((r) => [null, r, 'USER', user!]),
      };
    }
    if (c.accept('TO', 'ROLE')) {
      const [role] = c.name();
      const children = [...(this.roles.get(role!) ?? [])].map((r): Grant => ({ privilege: 'USAGE', kind: 'ROLE' as ObjectKind, name: r, role: role! }));
      return {
        columns,
        rows: [...this.grants.filter((g) => g.role === role && !g.kind.startsWith('FUTURE')), ...owned().filter((g) => g.role === role), ...children].map(row),
      };
    }
    if (c.accept('OF', 'ROLE')) {
      const [role] = c.name();
      const holders = [...this.roles].filter(([, kids]) => kids.has(role!)).map(([p]) => [null, role!, 'ROLE', p]);
      const users = [...this.userRoles].filter(([, rs]) => rs.has(role!)).map(([u]) => [null, role!, 'USER', u]);
      return { columns: ['created_on', 'role', 'granted_to', 'grantee_name'], rows: [...holders, ...users] };
    }
    if (c.accept('FUTURE', 'IN', 'SCHEMA')) {
      const name = c.name().join('.');
      return { columns, rows: this.grants.filter((g) => g.kind.startsWith('FUTURE') && g.name === name).map(row) };
    }
    if (c.accept('ON')) {
      const kind = c.word();
      c.pos++;
      const parts = c.name();
      const n = kind === 'DATABASE' || kind === 'WAREHOUSE' ? 1 : kind === 'SCHEMA' ? 2 : 3;
      const ctx = [session.database, session.schema].slice(0, n - 1);
      const name = [...ctx.slice(0, Math.max(0, n - parts.length)), ...parts].join('.');
      const k = (kind === 'VIEW' ? 'TABLE' : kind) as ObjectKind;
      return {
        columns,
        rows: [
          ...this.grants.filter((g) => g.name === name && (g.kind === k || g.kind === kind)),
          ...owned().filter((g) => g.name === name && g.kind === k),
        ].map(row),
      };
    }
    throw syntax('expected TO, OF or ON after SHOW GRANTS');
  }

  // --- the check every other statement passes -------------------------------------

  /**
   * Checks that the session's role may run the statement; returns what to record once it has run
   * (ownership of what it created, grants moved by a swap). Throws AccessDenied otherwise.
   */
  async authorize(session: SessionView, sql: string, catalog: CatalogView): Promise<() => void> {
    const sig = tokenize(sql).filter(isSignificant);
    const c = new Cursor(sig);
    const admin = this.isAdmin(session.role);
    const role = session.role;
    const after: (() => void)[] = [];
    const full = (parts: string[]): [string, string, string] | undefined => {
      const f = [...[session.database, session.schema].slice(0, Math.max(0, 3 - parts.length)), ...parts];
      return f.length === 3 && f.every((p) => p !== undefined) ? (f as [string, string, string]) : undefined;
    };
    const needDatabase = (db: string): void => {
      if (!admin && !this.sees(role, 'DATABASE', db)) throw notAuthorized('Database', db);
    };
    const needSchema = (db: string, schema: string): void => {
      needDatabase(db);
      if (!admin && !this.sees(role, 'SCHEMA', `${db}.${schema}`)) throw notAuthorized('Schema', `${db}.${schema}`);
    };
    const needOwner = async (parts: [string, string, string]): Promise<'TABLE' | 'VIEW' | undefined> => {
      const kind = await catalog.relation(...parts);
      if (!kind || admin) return kind;
      needSchema(parts[0], parts[1]);
      const name = parts.join('.');
      if (!this.sees(role, kind, name)) throw notAuthorized('Object', name);
      if (!this.holds(role, kind, name, 'OWNERSHIP')) throw insufficient(kind.toLowerCase(), parts[2]);
      return kind;
    };
    const needOn = async (parts: string[], privilege: string): Promise<void> => {
      const f = full(parts);
      if (!f || f[1] === 'INFORMATION_SCHEMA' || admin) return;
      const kind = await catalog.relation(...f);
      if (!kind) return;
      needSchema(f[0], f[1]);
      const name = f.join('.');
      if (!this.sees(role, kind, name)) throw notAuthorized('Object', name);
      if (!this.holds(role, kind, name, privilege)) throw insufficient(kind.toLowerCase(), f[2]);
    };

    const head = c.word();
    if (head === 'CREATE') {
      c.pos++;
      const replace = c.accept('OR', 'REPLACE');
      let transient = false;
      let temporary = false;
      for (;;) {
        const w = c.word();
        if (w === 'TRANSIENT') transient = true;
        else if (w === 'TEMPORARY' || w === 'TEMP' || w === 'VOLATILE' || w === 'LOCAL') temporary = true;
        else if (w !== 'SECURE' && w !== 'GLOBAL') break;
        c.pos++;
      }
      const kind = c.word();
      c.pos++;
      c.accept('IF', 'NOT', 'EXISTS');
      if (kind === 'DATABASE') {
        const [db] = c.name();
        // Snowflake checks the privilege before it looks whether the database exists.
        if (!admin && !this.holds(role, 'ACCOUNT', ACCOUNT_NAME, 'CREATE DATABASE')) throw insufficient('account', ACCOUNT_NAME);
        const existed = await catalog.database(db!);
        return () => {
          if (!existed || replace) {
            this.owners.set(`DATABASE:${db}`, role);
            // A new database comes with a PUBLIC schema, owned by the database's owner.
            this.owners.set(`SCHEMA:${db}.PUBLIC`, role);
          }
        };
      }
      if (kind === 'SCHEMA') {
        const parts = c.name();
        const db = parts.length > 1 ? parts[0] : session.database;
        const schema = parts[parts.length - 1]!;
        if (!db) return () => undefined;
        needDatabase(db);
        if (!admin && !this.holds(role, 'DATABASE', db, 'CREATE SCHEMA')) throw insufficient('database', db);
        const existed = await catalog.schema(db, schema);
        return () => {
          if (!existed || replace) this.owners.set(`SCHEMA:${db}.${schema}`, role);
        };
      }
      if (kind === 'TABLE' || kind === 'VIEW') {
        const f = full(c.name());
        if (f) {
          needSchema(f[0], f[1]);
          if (!admin && !this.holds(role, 'SCHEMA', `${f[0]}.${f[1]}`, `CREATE ${kind}`)) throw insufficient('schema', f[1]);
          const existing = temporary ? undefined : await catalog.relation(...f);
          if (existing && replace) await needOwner(f);
          const copyGrants = sig.some((t, i) => word(t) === 'COPY' && word(sig[i + 1]) === 'GRANTS');
          const name = f.join('.');
          const schema = `${f[0]}.${f[1]}`;
          if (!temporary && (!existing || replace)) {
            after.push(() => {
              if (existing && !copyGrants) this.dropGrants(name);
              this.owners.set(`TABLE:${name}`, role);
              if (kind === 'TABLE') this.kinds.created(f, transient);
              // A replacement made WITH COPY GRANTS keeps the old grants and gets no future grants
              // (CREATE TABLE, COPY GRANTS; the 2026_08 bundle's "CREATE OR REPLACE: Grants … copied").
              if (existing && copyGrants) return;
              const future = kind === 'TABLE' ? 'FUTURE TABLES' : 'FUTURE VIEWS';
              for (const g of this.grants.filter((x) => x.kind === future && x.name === schema)) {
                if (!this.grants.some((x) => x.kind === kind && x.name === name && x.privilege === g.privilege && x.role === g.role)) {
                  this.grants.push({ privilege: g.privilege, kind, name, role: g.role });
                }
              }
            });
          }
        }
      }
    } else if (head === 'DROP') {
      c.pos++;
      const kind = c.word();
      c.pos++;
      c.accept('IF', 'EXISTS');
      if (kind === 'TABLE' || kind === 'VIEW') {
        const f = full(c.name());
        if (f) {
          await needOwner(f);
          after.push(() => {
            this.dropGrants(f.join('.'));
            this.owners.delete(`TABLE:${f.join('.')}`);
            this.kinds.dropped(f);
          });
        }
      } else if (kind === 'SCHEMA' || kind === 'DATABASE') {
        const parts = c.name();
        if (!admin) {
          const name = kind === 'DATABASE' ? parts[0]! : [parts.length > 1 ? parts[0] : session.database, parts[parts.length - 1]].join('.');
          if (!this.sees(role, kind, name)) throw notAuthorized(kind === 'DATABASE' ? 'Database' : 'Schema', name);
          if (!this.holds(role, kind, name, 'OWNERSHIP')) throw insufficient(kind.toLowerCase(), parts[parts.length - 1]!);
        }
      }
    } else if (head === 'ALTER' && c.word(1) === 'TABLE') {
      c.pos += 2;
      c.accept('IF', 'EXISTS');
      const a = full(c.name());
      if (a && c.accept('SWAP', 'WITH')) {
        const b = full(c.name());
        if (b) {
          await needOwner(a);
          await needOwner(b);
          const [an, bn] = [a.join('.'), b.join('.')];
          const refused = this.kinds.swapError(a, b);
          if (refused) throw new AccessDenied(refused);
          // Grants and ownership belong to the table, so they move with it.
          after.push(() => this.swapNames(an, bn));
        }
      } else if (a && c.accept('RENAME', 'TO')) {
        const b = full(c.name());
        await needOwner(a);
        if (b && !admin) {
          needSchema(b[0], b[1]);
          if (!this.holds(role, 'SCHEMA', `${b[0]}.${b[1]}`, 'CREATE TABLE')) throw insufficient('schema', b[1]);
        }
        if (b)
          after.push(() => {
            this.rename(a.join('.'), b.join('.'));
            this.kinds.renamed(a, b);
          });
      } else if (a) await needOwner(a);
    } else if (head === 'INSERT') {
      const at = sig.findIndex((t) => word(t) === 'INTO');
      if (at >= 0) {
        c.pos = at + 1;
        await needOn(c.name(), 'INSERT');
      }
    } else if (head === 'UPDATE') {
      c.pos = 1;
      await needOn(c.name(), 'UPDATE');
    } else if (head === 'DELETE') {
      c.pos = 1;
      c.accept('FROM');
      await needOn(c.name(), 'DELETE');
    } else if (head === 'TRUNCATE') {
      c.pos = 1;
      c.accept('TABLE');
      c.accept('IF', 'EXISTS');
      await needOn(c.name(), 'TRUNCATE');
    } else if (head === 'MERGE') {
      c.pos = 1;
      c.accept('INTO');
      const target = c.name();
      const text = sig.map((t) => t.text.toUpperCase()).join(' ');
      if (/THEN UPDATE/.test(text)) await needOn(target, 'UPDATE');
      if (/THEN INSERT/.test(text)) await needOn(target, 'INSERT');
      if (/THEN DELETE/.test(text)) await needOn(target, 'DELETE');
    }
    // Every table or view read: SELECT on it.
    for (let i = 0; i < sig.length - 1; i++) {
      const w = word(sig[i]);
      if (w !== 'FROM' && w !== 'JOIN' && w !== 'USING') continue;
      if (head === 'DELETE' && w === 'FROM' && i === 1) continue;
      const next = sig[i + 1];
      if (next?.kind !== 'word' && next?.kind !== 'quoted') continue;
      if (word(next) === 'TABLE' || word(next) === 'LATERAL' || word(next) === 'SELECT') continue;
      c.pos = i + 1;
      try {
        await needOn(c.name(), 'SELECT');
      } catch (e) {
        if (e instanceof AccessDenied && e.sf.code === '003001') {
          const f = full(new Cursor(sig.slice(i + 1)).name())!;
          throw notAuthorized('Object', f.join('.'));
        }
        throw e;
      }
    }
    return () => {
      for (const f of after) f();
    };
  }

  private dropGrants(name: string): void {
    for (let i = this.grants.length - 1; i >= 0; i--) {
      const g = this.grants[i]!;
      if ((g.kind === 'TABLE' || g.kind === 'VIEW') && g.name === name) this.grants.splice(i, 1);
    }
  }

  private swapNames(a: string, b: string): void {
    for (const g of this.grants) {
      if (g.kind !== 'TABLE' && g.kind !== 'VIEW') continue;
      if (g.name === a) g.name = b;
      else if (g.name === b) g.name = a;
    }
    const [oa, ob] = [this.owners.get(`TABLE:${a}`), this.owners.get(`TABLE:${b}`)];
    if (ob) this.owners.set(`TABLE:${a}`, ob);
    else this.owners.delete(`TABLE:${a}`);
    if (oa) this.owners.set(`TABLE:${b}`, oa);
    else this.owners.delete(`TABLE:${b}`);
  }

  private rename(a: string, b: string): void {
    for (const g of this.grants) if ((g.kind === 'TABLE' || g.kind === 'VIEW') && g.name === a) g.name = b;
    const owner = this.owners.get(`TABLE:${a}`);
    this.owners.delete(`TABLE:${a}`);
    if (owner) this.owners.set(`TABLE:${b}`, owner);
  }
}

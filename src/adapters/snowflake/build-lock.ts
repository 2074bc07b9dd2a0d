import os from 'node:os';
import { ProjectError } from '../../core/errors.js';
import type { Connection } from '../../warehouse/adapter.js';
import type { RelationName } from '../../warehouse/dialect.js';
import { ensureDatabaseAndSchema } from './privileges.js';
import { snowflakeDialect as d } from './snowflake-dialect.js';

export interface BuildLockOptions {
  /** Where the lock row lives: `<database>.<schema>.model_build_lock`. */
  database: string;
  schema: string;
  /** Seconds to wait for another holder before giving up. */
  waitSeconds: number;
  /** Seconds without a heartbeat after which a holder counts as gone. */
  staleSeconds: number;
  log: (message: string) => void;
  /** Called when another build has taken the lock over: this one must stop writing. */
  onLost: () => void;
}

/**
 * An advisory lock for builds on Snowflake, which has no file lock to lean on. One row per lock;
 * taking it is a single UPDATE that only matches a free or abandoned row, and Snowflake runs
 * UPDATEs on one table one at a time, so exactly one contender sees a row updated. The holder
 * refreshes a heartbeat; a holder killed outright stops refreshing and its lock goes stale, so
 * the next build takes over without manual cleanup. Clocks are the clients' (milliseconds):
 * fine while machines keep time within a fraction of `staleSeconds`.
 */
export class BuildLock {
  private timer: NodeJS.Timeout | undefined;
  private readonly holder = `${os.hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
  private readonly table: RelationName;

  constructor(
    private readonly conn: Connection,
    private readonly opts: BuildLockOptions,
  ) {
    this.table = { database: opts.database, schema: opts.schema, identifier: 'model_build_lock' };
  }

  private get name(): string {
    return d.qualify(this.table);
  }

  async acquire(): Promise<void> {
    const { conn } = this;
    // Needs CREATE TABLE on the schema only; the database and schema are created only when missing.
    await ensureDatabaseAndSchema(conn, this.table.database, this.table.schema);
    await conn.execute(`create transient table if not exists ${this.name} (lock_name varchar, holder varchar, heartbeat_ms number(38,0))`);
    // Two first builds may both insert the row: harmless, the UPDATE below takes every copy at once.
    await conn.execute(
      `insert into ${this.name} (lock_name, holder, heartbeat_ms) select 'build', null, null where not exists (select 1 from ${this.name} where lock_name = 'build')`,
    );
    const deadline = Date.now() + this.opts.waitSeconds * 1000;
    let announced = false;
    for (;;) {
      const now = Date.now();
      const taken = await conn
        .execute(`update ${this.name} set holder = ?, heartbeat_ms = ? where lock_name = 'build' and (holder is null or heartbeat_ms < ?)`, [
          this.holder,
          now,
          now - this.opts.staleSeconds * 1000,
        ])
        .catch(() => ({ rowsAffected: 0 }));
      if ((taken.rowsAffected ?? 0) > 0) break;
      const other = await this.currentHolder();
      if (Date.now() >= deadline) {
        throw new ProjectError(
          'connection',
          `another build is writing to ${this.table.database}.${this.table.schema} (lock held by ${other ?? 'an unknown build'}); waited ${this.opts.waitSeconds} s`,
          {
            location: { file: 'profiles.yml' },
            hint: `run again when it has finished; a killed build's lock is released ${this.opts.staleSeconds} s after its last heartbeat (lock_timeout and lock_stale_after in the target)`,
          },
        );
      }
      // No holder on record: the other build released the lock between the two statements (or the
      // UPDATE lost a write conflict). Try again at once rather than announcing a wait.
      if (other === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (!announced) {
        this.opts.log(`Waiting for another build to finish (lock held by ${other}), for up to ${this.opts.waitSeconds} s…`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, this.opts.staleSeconds * 250))));
    }
    const beat = Math.max(200, (this.opts.staleSeconds * 1000) / 4);
    this.timer = setInterval(() => {
      void this.conn
        .execute(`update ${this.name} set heartbeat_ms = ? where lock_name = 'build' and holder = ?`, [Date.now(), this.holder])
        .then((r) => {
          // Another build took the lock over (this one stalled past lock_stale_after): stop writing.
          if (r.rowsAffected === 0 && this.timer) {
            clearInterval(this.timer);
            this.timer = undefined;
            this.opts.onLost();
          }
        })
        .catch(() => undefined);
    }, beat);
    this.timer.unref();
  }

  private async currentHolder(): Promise<string | undefined> {
    const r = await this.conn.execute(`select holder from ${this.name} where lock_name = 'build' and holder is not null`).catch(() => undefined);
    const v = r?.rows[0]?.[0];
    return typeof v === 'string' ? v : undefined;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.conn
      .execute(`update ${this.name} set holder = null, heartbeat_ms = null where lock_name = 'build' and holder = ?`, [this.holder])
      .catch(() => undefined);
  }
}

import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { WalkObserver } from './files.js';

/** What a file looked like when it was read: its stat stamp and its text. Plain data, so a parse cache can keep it. */
export interface FileRecord {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  /**
   * Whether the stamp alone may vouch for the text next time. Not when the file changed within
   * the last seconds before it was read: file times are coarse (a kernel tick, or a second on
   * some file systems), so a second edit in the same tick would keep the stamp (git's "racy" case).
   */
  trusted: boolean;
  source: string;
}

/** Older than this, a file's stamp cannot be shared by a later edit. */
const RACY_NS = 2_000_000_000n;

/**
 * Reads a project's files, reusing the text of the previous run's read when the file's stat stamp
 * (size, mtime, ctime, inode) is unchanged and was trusted; ctime moves on every write, even one that
 * restores the mtime. Every other file is read and compared, so `changed` is exact.
 */
export class FileSnapshot implements WalkObserver {
  readonly records = new Map<string, FileRecord>();
  /** Files read this run whose text differs from the previous run's (or that are new). */
  readonly changed = new Set<string>();
  /** Absolute paths of the folders walked (some may not exist) and of the files listed in them. */
  readonly folders = new Set<string>();
  readonly listed = new Set<string>();

  folder(abs: string): void {
    this.folders.add(abs);
  }

  file(abs: string): void {
    this.listed.add(abs);
  }

  constructor(
    readonly dir: string,
    private readonly previous: ReadonlyMap<string, FileRecord> = new Map(),
  ) {}

  read(rel: string): string {
    const abs = path.join(this.dir, rel);
    const stat = statSync(abs, { bigint: true });
    const prev = this.previous.get(rel);
    const source = prev?.trusted && sameStamp(prev, stat) ? prev.source : readFileSync(abs, 'utf8');
    const now = BigInt(Date.now()) * 1_000_000n;
    this.records.set(rel, {
      size: stat.size,
      mtimeNs: stat.mtimeNs,
      ctimeNs: stat.ctimeNs,
      ino: stat.ino,
      trusted: stat.mtimeNs < now - RACY_NS && stat.ctimeNs < now - RACY_NS,
      source,
    });
    if (prev?.source !== source) this.changed.add(rel);
    return source;
  }

  /** Files the previous run read that this one did not (deleted, or no longer under a project path). */
  removed(): string[] {
    return [...this.previous.keys()].filter((f) => !this.records.has(f));
  }
}

function sameStamp(r: FileRecord, s: BigIntStats): boolean {
  return r.size === s.size && r.mtimeNs === s.mtimeNs && r.ctimeNs === s.ctimeNs && r.ino === s.ino;
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { ProjectError } from '../core/errors.js';
import { loadProject } from '../project/load-project.js';

export interface ServeOptions {
  projectDir?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface DocsServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

/**
 * The file a request path names: only a regular file inside the docs folder, of a type served
 * here; never a path that climbs out of it, and nothing for a path that is not valid URL
 * encoding (which would otherwise throw and stop the server).
 */
function fileFor(root: string, url: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(url, 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html';
  } catch {
    return undefined;
  }
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep) || !TYPES[path.extname(file)] || !existsSync(file) || !statSync(file).isFile()) return undefined;
  return file;
}

/** `model docs serve`: serves target/docs on 127.0.0.1 only (never another interface). */
export async function serveDocs(opts: ServeOptions = {}): Promise<DocsServer> {
  const project = loadProject({ projectDir: opts.projectDir });
  const root = path.join(project.targetDir, 'docs');
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new ProjectError('usage', `no docs site in ${path.relative(process.cwd(), root) || root}`, { hint: 'run `model docs generate` first' });
  }
  const port = opts.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ProjectError('usage', `--port must be a whole number from 0 to 65535, got '${opts.port}'`);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = fileFor(root, req.url ?? '/');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)]!,
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new ProjectError('usage', `port ${port} is already in use on 127.0.0.1`, { hint: 'pass another one with --port' }) : e),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

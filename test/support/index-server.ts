/**
 * A small PEP 691 package index on 127.0.0.1 for tests: projects with their
 * versions, answered as `application/vnd.pypi.simple.v1+json`. Each project
 * can answer from the `versions` key (PEP 700) or from file names only, and
 * a project can be told to fail with a status, to hang, or to answer HTML.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IndexProject {
  versions: string[];
  /** Leave out the `versions` key so that clients must read file names. Default false. */
  filesOnly?: boolean;
  /** Answer with this status instead (e.g. 503). */
  status?: number;
  /** Never answer (to test timeouts). */
  hang?: boolean;
  /** Answer text/html like an index without PEP 691. */
  html?: boolean;
}

export interface IndexServer {
  /** `http://127.0.0.1:PORT/simple` */
  url: string;
  projects: Map<string, IndexProject>;
  /** Paths and Accept headers of every request, in order. */
  requests: Array<{ path: string; accept: string | undefined }>;
  close(): Promise<void>;
}

function answer(project: IndexProject, name: string, res: ServerResponse): void {
  if (project.hang) return;
  if (project.status) {
    res.writeHead(project.status, { 'content-type': 'text/plain' }).end(`status ${project.status}`);
    return;
  }
  if (project.html) {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<html><body>${project.versions.map((v) => `<a>${name}-${v}.tar.gz</a>`).join('')}</body></html>`);
    return;
  }
  const fileStem = name.replace(/-/g, '_');
  const files = project.versions.flatMap((v) => [
    { filename: `${fileStem}-${v}.tar.gz`, url: `../../files/${fileStem}-${v}.tar.gz`, hashes: {} },
    { filename: `${fileStem}-${v}-py3-none-any.whl`, url: `../../files/${fileStem}-${v}-py3-none-any.whl`, hashes: {} },
  ]);
  const body = {
    meta: { 'api-version': project.filesOnly ? '1.0' : '1.1' },
    name,
    files,
    ...(project.filesOnly ? {} : { versions: project.versions }),
  };
  res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(JSON.stringify(body));
}

export async function startIndexServer(projects: Record<string, IndexProject> = {}): Promise<IndexServer> {
  const table = new Map(Object.entries(projects));
  const requests: IndexServer['requests'] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const path = req.url ?? '/';
    requests.push({ path, accept: req.headers.accept });
    const match = /^\/simple\/([^/]+)\/$/.exec(path);
    const project = match ? table.get(match[1]) : undefined;
    if (!match || !project) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    answer(project, match[1], res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    projects: table,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
      }),
  };
}

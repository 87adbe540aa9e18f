/**
 * The index a message is about when the user named none (SPEC §6): the first
 * of THOTH_INDEX_URLS, else PIP_INDEX_URL, else the index-url of pip's
 * configuration files, read in pip's own order so that the last file wins.
 * The code names no index host: with none of them configured, publishing fails
 * with a hint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UsageError, UserError } from '../core/errors.js';
import { splitList } from '../core/list.js';
import { indexUrlProblem } from '../messages/package-spec.js';

export interface IndexUrlSource {
  url: string;
  /** Where it came from, for a notice: `THOTH_INDEX_URLS`, `PIP_INDEX_URL` or a file path. */
  from: string;
}

/** pip's configuration files in load order (later files override earlier ones). */
export function pipConfigFiles(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] {
  const explicit = env.PIP_CONFIG_FILE;
  if (explicit === '/dev/null' || explicit?.toLowerCase() === 'nul') return [];
  const home = env.HOME || env.USERPROFILE || homedir();
  const files: string[] = [];
  if (explicit) files.push(explicit);
  if (platform === 'win32') {
    if (env.ProgramData) files.push(join(env.ProgramData, 'pip', 'pip.ini'));
    if (env.HOME) files.push(join(env.HOME, 'pip', 'pip.ini'));
    if (env.APPDATA) files.push(join(env.APPDATA, 'pip', 'pip.ini'));
    if (env.VIRTUAL_ENV) files.push(join(env.VIRTUAL_ENV, 'pip.ini'));
    return files;
  }
  if (platform === 'darwin') {
    files.push('/Library/Application Support/pip/pip.conf');
  } else {
    const dirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(delimiter).filter(Boolean);
    for (const dir of dirs) files.push(join(dir, 'pip', 'pip.conf'));
    files.push('/etc/pip.conf');
  }
  files.push(join(home, '.pip', 'pip.conf'));
  const macUserDir = join(home, 'Library', 'Application Support', 'pip');
  if (platform === 'darwin' && existsSync(macUserDir)) files.push(join(macUserDir, 'pip.conf'));
  else files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'pip', 'pip.conf'));
  if (env.VIRTUAL_ENV) files.push(join(env.VIRTUAL_ENV, 'pip.conf'));
  return files;
}

/**
 * The index-url an INI file sets for `pip install`: the [install] section
 * overrides [global], as pip does for that command. Option names may be
 * written with `-` or `_`.
 */
export function indexUrlFromIni(text: string): string | undefined {
  let section = '';
  const found: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!pair) continue;
    if (pair[1].toLowerCase().replace(/_/g, '-') === 'index-url' && pair[2]) found[section] = pair[2].trim();
  }
  return found.install ?? found.global;
}

export function defaultIndexUrl(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): IndexUrlSource | undefined {
  const thoth = splitList(env.THOTH_INDEX_URLS)[0];
  if (thoth) return { url: thoth, from: 'THOTH_INDEX_URLS' };
  if (env.PIP_INDEX_URL?.trim()) return { url: env.PIP_INDEX_URL.trim(), from: 'PIP_INDEX_URL' };
  let result: IndexUrlSource | undefined;
  for (const file of pipConfigFiles(env, platform)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // pip skips configuration files that do not exist
    }
    const url = indexUrlFromIni(text);
    if (url) result = { url, from: file };
  }
  return result;
}

/** The default index, or a UserError with a hint when none is configured. */
export function requireIndexUrl(found: IndexUrlSource | undefined): IndexUrlSource {
  if (found) return found;
  throw new UserError(
    'field "index_url" is required and no index is configured',
    'pass --index-url https://index.example/simple, or set THOTH_INDEX_URLS, PIP_INDEX_URL or index-url in pip.conf',
  );
}

/** A list of index URLs (--index-url, THOTH_INDEX_URLS), each checked (http(s), no credentials), without trailing slashes. */
export function parseIndexUrls(value: string | readonly string[], from: string): string[] {
  const urls = splitList(value);
  for (const url of urls) {
    const problem = indexUrlProblem(url);
    if (problem) throw new UsageError(`${from}: ${problem}`);
  }
  return [...new Set(urls.map(stripTrailingSlash))];
}

export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

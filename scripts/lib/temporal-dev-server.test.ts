import { describe, it, expect } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../config/temporal.js';
import { devServerArgs, type DevServerOptions } from './temporal-dev-server.js';

const base: DevServerOptions = { cli: '/usr/local/bin/temporal', port: 7233, uiPort: 8233, namespace: 'default' };

/** Every value that follows `flag` in the argument list. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag && i + 1 < args.length ? [args[i + 1]!] : []));
}

describe('devServerArgs', () => {
  it('starts the dev server on the given port, bound to loopback by default', () => {
    const args = devServerArgs(base);
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(valuesOf(args, '--port')).toEqual(['7233']);
    expect(valuesOf(args, '--ip')).toEqual(['127.0.0.1']);
    expect(valuesOf(devServerArgs({ ...base, ip: '0.0.0.0' }), '--ip')).toEqual(['0.0.0.0']);
  });

  it('registers our search attributes with their types', () => {
    const attributes = valuesOf(devServerArgs(base), '--search-attribute');
    expect(attributes).toEqual(
      expect.arrayContaining([
        'Department=Keyword',
        'FollowUpStatus=Keyword',
        'TicketCategory=Keyword',
        'TicketStatus=Keyword',
        'Urgent=Bool',
        'SlaBreached=Bool',
      ]),
    );
    expect(attributes).toHaveLength(Object.keys(SEARCH_ATTRIBUTES).length);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) expect(attributes).toContain(`${name}=${type}`);
  });

  it('runs headless when uiPort is null', () => {
    const args = devServerArgs({ ...base, uiPort: null });
    expect(args).toContain('--headless');
    expect(args).not.toContain('--ui-port');
  });

  it('serves the Web UI on uiPort otherwise', () => {
    const args = devServerArgs({ ...base, uiPort: 9233 });
    expect(args).not.toContain('--headless');
    expect(valuesOf(args, '--ui-port')).toEqual(['9233']);
  });

  it('keeps state in memory without dbFile', () => {
    const args = devServerArgs(base);
    expect(args).not.toContain('--db-filename');
    expect(args).not.toContain('--sqlite-pragma');
  });

  it('persists to SQLite in WAL mode when dbFile is given', () => {
    const args = devServerArgs({ ...base, dbFile: '/data/temporal/dev.db' });
    expect(valuesOf(args, '--db-filename')).toEqual(['/data/temporal/dev.db']);
    expect(valuesOf(args, '--sqlite-pragma')).toContain('journal_mode=WAL');
  });

  it('creates a non-default namespace only', () => {
    expect(devServerArgs(base)).not.toContain('--namespace');
    expect(valuesOf(devServerArgs({ ...base, namespace: 'hospital' }), '--namespace')).toEqual(['hospital']);
  });

  it('passes a codec endpoint to the Web UI when given', () => {
    expect(devServerArgs(base)).not.toContain('--ui-codec-endpoint');
    expect(valuesOf(devServerArgs({ ...base, codecEndpoint: 'http://localhost:8888' }), '--ui-codec-endpoint')).toEqual([
      'http://localhost:8888',
    ]);
  });

  it('keeps every flag and value a separate argument (no shell quoting needed)', () => {
    const args = devServerArgs({ ...base, uiPort: null, dbFile: '/tmp/with space/dev.db' });
    expect(valuesOf(args, '--db-filename')).toEqual(['/tmp/with space/dev.db']);
    for (const arg of args) if (arg.startsWith('--')) expect(arg).not.toContain(' ');
  });
});

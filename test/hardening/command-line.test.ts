// The commands of the README misused as a newcomer misuses them: a wrong or missing argument is
// one line saying what to type and exit code 2, before any database work (so it is not mistaken for
// `npm run import`'s exit code 1, lines refused); `--help` prints the usage and exits 0.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { parseKeysCommand } from '../../src/auth/keys-command';
import { parseDemoArguments } from '../../src/demo/demo-seed-command';
import { UsageError } from '../../src/infra/errors';
import { parseImportArguments } from '../../src/ingest/import-command';
import { backtestHeader, parseBacktestArguments } from '../../src/scoring/backtest/backtest-command';
import { ADMIN_URL } from '../helpers/database';

/** A database nothing answers on: a command that reaches for it fails otherwise than by its usage. */
const NO_DATABASE = 'postgres://nobody@127.0.0.1:1/none';

function npm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('npm', ['-s', ...args], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: NO_DATABASE, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function usageError(parse: () => unknown): Error {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message.split('\n')).toHaveLength(1);
    return error as Error;
  }
  throw new Error('no usage error');
}

describe('the demo options', () => {
  it('refuses a size the demo cannot build, naming the option and its range', () => {
    expect(usageError(() => parseDemoArguments(['--days', '1'])).message).toBe('--days must be an integer from 30 to 365, got "1"');
    expect(usageError(() => parseDemoArguments(['--customers', '0'])).message).toBe(
      '--customers must be an integer from 1 to 100,000, got "0"',
    );
    expect(usageError(() => parseDemoArguments(['--customers=abc'])).message).toContain('got "abc"');
    expect(usageError(() => parseDemoArguments(['--customer', '3'])).message).toContain('unknown argument "--customer"');
    expect(parseDemoArguments(['--customers', '12', '--days=30', '--seed', 'demo-day'])).toMatchObject({ customers: 12, days: 30 });
  });

  it('refuses `npm start -- --demo --days 1` with one line and exit code 2, before any database work', () => {
    const { status, stderr } = npm(['start', '--', '--demo', '--days', '1']);
    expect(stderr.trim().split('\n')).toEqual(['--days must be an integer from 30 to 365, got "1"']);
    expect(status).toBe(2);
  }, 180_000);
});

describe('npm run keys', () => {
  it('reads the command line whole before any database work', () => {
    expect(parseKeysCommand(['create', '--name', 'ci', '--scope', 'read,ingest'])).toEqual({
      command: 'create',
      name: 'ci',
      scopes: ['read', 'ingest'],
    });
    expect(parseKeysCommand(['list'])).toEqual({ command: 'list' });
    expect(parseKeysCommand(['revoke', 'k3f9x2abcd'])).toEqual({ command: 'revoke', id: 'k3f9x2abcd' });
    expect(parseKeysCommand(['-h'])).toEqual({ command: 'help' });
    expect(usageError(() => parseKeysCommand(['create', '--name'])).message).toContain('--name needs a value');
    expect(usageError(() => parseKeysCommand(['create', '--name', 'ci'])).message).toContain('create needs --scope');
    expect(usageError(() => parseKeysCommand(['revoke'])).message).toContain("revoke needs the key's id");
    expect(usageError(() => parseKeysCommand(['list', 'all'])).message).toContain('unexpected argument "all"');
    expect(usageError(() => parseKeysCommand(['crate'])).message).toContain('unknown command "crate"');
    // No command at all is a command line to correct, not a request for the usage.
    expect(usageError(() => parseKeysCommand([])).message).toContain('a command is needed: create, list or revoke');
    // A scope that does not exist is a typo on the command line, not something to open the database for.
    expect(usageError(() => parseKeysCommand(['create', '--name', 'ci', '--scope', 'reed'])).message).toContain('unknown scope "reed"');
    expect(usageError(() => parseKeysCommand(['create', '--name', 'ci', '--scope', 'read,'])).message).toContain('unknown scope ""');
  });

  it('refuses `revoke` without an id with one line and exit code 2, without reaching for the database', () => {
    const { status, stderr } = npm(['run', 'keys', '--', 'revoke']);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining("revoke needs the key's id")]);
    expect(status).toBe(2);
  }, 180_000);
});

describe('npm run import', () => {
  it('takes --help and -h for the usage', () => {
    expect(parseImportArguments(['--help'])).toEqual({ help: true });
    expect(parseImportArguments(['-h'])).toEqual({ help: true });
    expect(usageError(() => parseImportArguments([])).message).toContain('needs a FILE.ndjson');
    expect(usageError(() => parseImportArguments(['a.ndjson', 'b.ndjson'])).message).toContain('unexpected argument "b.ndjson"');
  });

  it('prints its usage on --help, exit code 0', () => {
    const { status, stdout } = npm(['run', 'import', '--', '--help']);
    expect(stdout).toContain('Usage: npm run import -- FILE.ndjson [--backfill-days N]');
    expect(status).toBe(0);
  }, 180_000);

  it('says a file it cannot read is so in one line, exit code 1, before it reaches for the database (none answers here)', () => {
    const { status, stderr } = npm(['run', 'import', '--', '/nonexistent/events.ndjson']);
    expect(stderr.trim().split('\n')).toEqual(['cannot read /nonexistent/events.ndjson: no such file']);
    expect(status).toBe(1);
  }, 180_000);

  it('refuses a bad --backfill-days with one line and exit code 2, not the 1 of refused lines', () => {
    const { status, stderr } = npm(['run', 'import', '--', 'events.ndjson', '--backfill-days', '0']);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('--backfill-days must be an integer from 1 to 366, got "0"')]);
    expect(status).toBe(2);
  }, 180_000);
});

describe('npm run backtest', () => {
  const NOW = Date.parse('2026-12-04T00:00:00Z');

  it.each(['2026-06-01', '2026-06-01T00:00:00', '2026-06-01T00:00Z', 'June 1, 2026'])(
    "refuses --from %s as the API refuses it (no offset or no seconds), rather than reading it in the machine's zone",
    (from) => {
      const message = usageError(() => parseBacktestArguments(['--from', from, '--to', '2026-11-01T00:00:00Z'], NOW)).message;
      expect(message).toContain('--from must be an RFC 3339 date-time, with seconds and an offset');
      expect(message).toContain(`got "${from}"`);
    },
  );

  it('reads --from and --to with an offset as the instants they name', () => {
    const parsed = parseBacktestArguments(['--from', '2026-06-01T02:00:00+02:00', '--to', '2026-11-01T00:00:00Z'], NOW);
    expect(parsed).toMatchObject({ from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') });
  });

  it('refuses a grid the backtest cannot run as a usage error, naming the option, before any database work', () => {
    expect(
      usageError(() => parseBacktestArguments(['--from', '2026-12-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], NOW)).message,
    ).toContain('--to: to must be after from');
    // Without --to the grid ends yesterday: a --from after it is the option to change.
    expect(usageError(() => parseBacktestArguments(['--from', '2026-12-03T12:00:00Z'], NOW)).message).toContain(
      '--from: to must be after from',
    );
    expect(usageError(() => parseBacktestArguments(['--from', '2027-01-01T00:00:00Z'], NOW)).message).toContain(
      '--from: from must not be in the future',
    );
    expect(usageError(() => parseBacktestArguments(['--to', '2027-06-01T00:00:00Z'], NOW)).message).toContain('--to');
    expect(usageError(() => parseBacktestArguments(['--weeks', '100000000'], NOW)).message).toContain('--weeks');
    expect(usageError(() => parseBacktestArguments(['--step', '1000'], NOW)).message).toContain('--step');
    expect(usageError(() => parseBacktestArguments(['--horizon', '9999'], NOW)).message).toContain('--horizon');
    expect(usageError(() => parseBacktestArguments(['--weeks', '1e3'], NOW)).message).toContain('got "1e3"');
    // The grid's own words name the command's options, not the API's arguments.
    const tooMany = usageError(() => parseBacktestArguments(['--weeks', '600', '--step', '1'], NOW)).message;
    expect(tooMany).toContain('(widen --step or narrow --from…--to)');
    expect(tooMany).not.toContain('stepDays');
    expect(usageError(() => parseBacktestArguments(['--week', '3'], NOW)).message).toContain('unknown option --week');
    expect(usageError(() => parseBacktestArguments(['--horizon'], NOW)).message).toContain('--horizon needs a value');
  });

  it('refuses --weeks beside --from, the two ways to give the start, rather than leaving one unread', () => {
    for (const weeks of ['2', 'abc']) {
      const message = usageError(() =>
        parseBacktestArguments(['--weeks', weeks, '--from', '2026-06-01T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], NOW),
      ).message;
      expect(message).toContain('--weeks and --from');
    }
    // --weeks counts back from --to, when given.
    expect(parseBacktestArguments(['--weeks', '2', '--to', '2026-11-01T00:00:00Z'], NOW)).toMatchObject({
      from: new Date('2026-10-18T00:00:00Z'),
      to: new Date('2026-11-01T00:00:00Z'),
    });
  });

  it('says one day as one day in the header', () => {
    const grid = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-08T00:00:00Z') };
    expect(backtestHeader({ ...grid, stepDays: 1, horizonDays: 30 })).toBe(
      'Backtest from 2026-11-01T00:00:00.000Z to 2026-11-08T00:00:00.000Z every 1 day, horizon 30 days',
    );
    expect(backtestHeader({ ...grid, stepDays: 7, horizonDays: 1 })).toMatch(/every 7 days, horizon 1 day$/);
  });

  it('refuses a --version no stored model can have as a usage error, not a database error after the grid is printed', () => {
    expect(usageError(() => parseBacktestArguments(['--version', '2147483648'], NOW)).message).toBe(
      '--version must be a whole number within 1…2147483647 (a model version), got "2147483648"',
    );
    expect(parseBacktestArguments(['--version', '2147483647'], NOW)).toMatchObject({ version: 2147483647 });
  });

  it('reads a command line it takes', () => {
    expect(parseBacktestArguments(['-h'], NOW)).toEqual({ help: true });
    expect(parseBacktestArguments(['--weeks=4', '--step', '1', '--suggest'], NOW)).toMatchObject({
      from: new Date(NOW - 29 * 86_400_000),
      to: new Date(NOW - 86_400_000),
      stepDays: 1,
      horizonDays: 30,
      suggest: true,
      compareClassic: false,
    });
  });

  it.each([
    ['backtest', ['--weeks', '2']],
    ['import', ['-']],
  ])(
    'refuses a DATABASE_URL naming no database with one line and exit code 2, creating none (%s)',
    async (command, args) => {
      const missing = `hg_mistyped_${command}_${process.pid}`;
      const url = new URL(ADMIN_URL);
      url.pathname = `/${missing}`;
      const result = spawnSync('npm', ['-s', 'run', command, '--', ...args], {
        input: '{"customerId":"c1","eventType":"login"}\n',
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 170_000,
      });
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('the database of DATABASE_URL does not exist')]);
      expect(result.status).toBe(2);
      const client = new Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        expect((await client.query('select 1 from pg_database where datname = $1', [missing])).rows).toEqual([]);
      } finally {
        await client.end();
      }
    },
    180_000,
  );

  it('refuses --weeks beside --from with one line and exit code 2, not a run of the --from grid', () => {
    const { status, stderr } = npm([
      'run',
      'backtest',
      '--',
      '--weeks',
      'abc',
      '--from',
      '2026-06-01T00:00:00Z',
      '--to',
      '2026-07-01T00:00:00Z',
    ]);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('--weeks and --from')]);
    expect(status).toBe(2);
  }, 180_000);

  it('refuses `--from` after `--to` with one line and exit code 2, not a database error', () => {
    const { status, stderr } = npm(['run', 'backtest', '--', '--from', '2026-06-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z']);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('--to: to must be after from')]);
    expect(status).toBe(2);
  }, 180_000);
});

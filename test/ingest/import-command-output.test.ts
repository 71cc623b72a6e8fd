// `npm run import` prints what a refused line sent (an unknown customer's id) to the operator's
// terminal: control characters, separators and direction marks in it are shown escaped, never acted on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { readConfig } from '../../src/infra/config';
import { terminalText } from '../../src/infra/text-rules';
import { runImportCommand } from '../../src/ingest/import-command';
import { createTestDatabase } from '../helpers/database';

describe('terminalText', () => {
  it('writes C0, DEL, C1, line separators and direction marks as JSON escapes, and leaves letters alone', () => {
    expect(terminalText('a\u001b]0;x\u0007\u007f\u009b\u2028\u2029\u202e\u2066\u200f\t\nb')).toBe(
      'a\\u001b]0;x\\u0007\\u007f\\u009b\\u2028\\u2029\\u202e\\u2066\\u200f\\u0009\\u000ab',
    );
    expect(terminalText('Ünïcode שלום 😀 cust_1')).toBe('Ünïcode שלום 😀 cust_1');
  });
});

describe('the import command', () => {
  it("prints a refused line's customer id with its escape sequences escaped", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'import-output-'));
    const file = path.join(dir, 'events.ndjson');
    writeFileSync(file, '{"customerId":"x\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mR\\u2028ED","eventType":"login"}\n');
    const database = await createTestDatabase('import_output');
    const orm: MikroORM = await openDatabase(database.url, 2);
    const printed: string[] = [];
    try {
      await runImportCommand({ file, backfillDays: 0 }, orm, readConfig({ LOG_LEVEL: 'silent' }), database.url, (line) =>
        printed.push(line),
      );
    } finally {
      await orm.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    const refused = printed.filter((line) => line.startsWith('  line 1:'));
    expect(refused).toEqual(['  line 1: NOT_FOUND customer x\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mR\\u2028ED does not exist']);
    expect(printed.filter((line) => /[\p{Cc}\u2028]/u.test(line))).toEqual([]);
  });
});

// The settings every PostgreSQL session of the service starts with, whatever the server's or the
// database's defaults (`ALTER DATABASE … SET datestyle`, a zone with seconds in its offset): the code
// reads some instants back as text and parses them, and cursors embed them, so their text form must
// not depend on the database. Sent as libpq's `options` startup parameter, they hold from the first
// statement, at no extra round trip.

/** The settings, as `-c name=value` arguments of the `options` startup parameter. */
const SESSION_SETTINGS = [
  // Dates and instants printed year first (ISO), as node-postgres and JavaScript's Date parse them.
  'DateStyle=ISO,MDY',
  // Instants printed with the offset +00, whole hours, in every year.
  'TimeZone=UTC',
  // Intervals in PostgreSQL's default style, the one node-postgres parses.
  'IntervalStyle=postgres',
  // Floating-point numbers printed exactly (in their shortest form), not rounded to 15 digits.
  'extra_float_digits=1',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

/**
 * Defaults a URL's own `options` may override, as `-c` arguments. JIT compilation off: the service's
 * statements are short, or run over tables whose rows they mostly skip by index, and a plan whose
 * estimated cost passes `jit_above_cost` (a correlated subquery's estimate easily does) spent far
 * longer compiling its expressions than running them. `-c jit=on` in the URL's options turns it back on.
 */
const SESSION_DEFAULTS = ['jit=off'].map((setting) => `-c ${setting}`).join(' ');

/**
 * The `options` a session on `databaseUrl` starts with: the service's defaults, the URL's own
 * `options` parameter, if it has one, which wins over them, then the service's settings, which win
 * over any of the same name given before them.
 */
export function sessionOptions(databaseUrl: string): string {
  const given = new URL(databaseUrl).searchParams.get('options')?.trim();
  if (given?.startsWith(SESSION_DEFAULTS) && given.endsWith(SESSION_SETTINGS)) return given;
  return [SESSION_DEFAULTS, given, SESSION_SETTINGS].filter(Boolean).join(' ');
}

/**
 * `databaseUrl` with the service's settings in its `options` parameter: the connection string to
 * give node-postgres (`new Client`, `new Pool`) and graphile-worker, which read that parameter.
 * Applying it twice changes nothing.
 */
export function sessionUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', sessionOptions(databaseUrl));
  return url.toString();
}

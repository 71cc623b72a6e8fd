// Bad input over the real API, table-driven: each case is sent as a client would send it and must
// be refused with its code (BAD_USER_INPUT unless said otherwise), never as an internal error, never
// with a stack trace, and must write nothing: every table the API writes has the same rows after.
import { MAX_ERROR_MESSAGE_LENGTH } from '../../src/infra/errors';
import { expectNoInternals, fingerprint, post } from './support';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let before: Record<string, string>;

const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

interface BadInput {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The variables as JSON text, for values too deep to stringify here. */
  variablesJson?: string;
  /** Default BAD_USER_INPUT. */
  code?: string;
  /** The field the refusal names (`extensions.argument`) when the service, not GraphQL's types, refused it. */
  argument?: string;
}

const cases: BadInput[] = [];
let serial = 0;
/** A fresh id for each case: were a refusal missing, the case would add a row, not update one. */
const fresh = (prefix: string) => `${prefix}_${++serial}`;

/** The ways a text can be bad: NUL anywhere, a lone surrogate, one character too many. */
function badTexts(max: number): Array<[string, string]> {
  return [
    ['a NUL inside', 'ab\u0000cd'],
    ['only a NUL', '\u0000'],
    ['a NUL at the end', 'abc\u0000'],
    ['a lone surrogate', 'ab\ud800cd'],
    [`${max + 1} characters`, 'x'.repeat(max + 1)],
  ];
}

/** The ways a one-line label (an id, a name, an owner, an event type) can be bad besides badTexts. */
const badLabels: Array<[string, string]> = [
  ['a bell (BEL)', 'Acme\u0007'],
  ['an escape sequence', '\u001b[31mAcme'],
  ['a newline inside', 'Acme\nInc'],
  ['a tab inside', 'Acme\tInc'],
  ['a line separator (U+2028)', 'Acme\u2028Inc'],
  ['a right-to-left override', 'Acme\u202Egnp.exe'],
  ['a directional isolate', '\u2067Acme'],
];

/** The ways an instant of something that happened can be bad. */
const badPastInstants: Array<[string, string]> = [
  ['year 0001', '0001-01-01T00:00:00Z'],
  ['before 1970', '1969-12-31T23:59:59Z'],
  ['two days ahead', iso(now + 2 * DAY)],
  ['year 9999', '9999-12-31T23:59:59Z'],
];

/** Adds a case per bad value of `field` in an input whose other fields are valid. */
function inputCases(
  mutation: string,
  inputType: string,
  select: string,
  valid: () => Record<string, unknown>,
  field: string,
  values: Array<[string, unknown]>,
): void {
  for (const [label, value] of values) {
    cases.push({
      name: `${mutation}: ${field} with ${label}`,
      query: `mutation ($input: ${inputType}!) { ${mutation}(input: $input) { ${select} } }`,
      variables: { input: { ...valid(), [field]: value } },
      argument: field,
    });
  }
}

// upsertCustomer
const customer = () => ({ id: fresh('cust_new'), name: 'New Co' });
for (const [field, max] of [
  ['id', 200],
  ['name', 500],
  ['plan', 200],
  ['csmOwner', 200],
  ['churnReason', 1000],
] as const) {
  inputCases('upsertCustomer', 'CustomerInput', 'id', customer, field, badTexts(max));
}
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'id', [
  ['an empty id', ''],
  ['a blank id', '   '],
  ['an id that shows nothing (zero-width spaces)', '\u200b\u200b'],
]);
for (const field of ['id', 'name', 'plan', 'csmOwner']) inputCases('upsertCustomer', 'CustomerInput', 'id', customer, field, badLabels);
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'name', [
  ['a name that shows nothing (zero-width joiners)', '\u200d \u200d'],
  // Ignorable code points that are letters or marks, not format characters: each draws nothing.
  ['a name of Hangul fillers', '\u3164\u3164'],
  ['a name of a halfwidth Hangul filler', '\uffa0'],
  ['a name of variation selectors', '\ufe0f\ufe0e'],
  ['a name of a combining grapheme joiner', '\u034f'],
  ['a name of the Hangul choseong and jungseong fillers', '\u115f\u1160'],
  // Not ignorable, yet drawn as nothing: an empty braille cell, and accents with no letter to sit on.
  ['a name of a braille blank', '\u2800'],
  ['a name of a lone combining accent', '\u0301'],
  ['a name of combining marks only', ' \u0301\u0308\u093e '],
]);
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'name', [
  ['an empty name', ''],
  ['a blank name', ' \t '],
]);
for (const field of ['signedUpAt', 'churnedAt', 'planChangedAt'])
  inputCases('upsertCustomer', 'CustomerInput', 'id', customer, field, badPastInstants);
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'arrCents', [['a negative amount', -1]]);
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'contactEmail', [
  ['a bell in an address', 'ka\u0007te@example.com'],
  ['a right-to-left override in an address', 'kate@exa\u202Emple.com'],
  ['a zero-width space in an address', 'kate@exa\u200Bmple.com'],
  ['a local part longer than RFC 5321 allows', `${'k'.repeat(65)}@example.com`],
]);
inputCases('upsertCustomer', 'CustomerInput', 'id', customer, 'seats', [['negative seats', -5]]);

// trackEngagement
const event = () => ({ customerId: 'cust_ok', eventType: 'login', idempotencyKey: fresh('evt') });
inputCases('trackEngagement', 'EngagementEventInput', 'id', event, 'customerId', [...badTexts(200), ['an empty id', '']]);
inputCases('trackEngagement', 'EngagementEventInput', 'id', event, 'eventType', [['a Hangul filler, which draws nothing', '\u3164']]);
for (const field of ['eventType', 'userId', 'feature', 'idempotencyKey'])
  inputCases('trackEngagement', 'EngagementEventInput', 'id', event, field, badTexts(500));
for (const field of ['eventType', 'userId', 'feature'])
  inputCases('trackEngagement', 'EngagementEventInput', 'id', event, field, badLabels);
inputCases('trackEngagement', 'EngagementEventInput', 'id', event, 'eventType', [
  ['an empty type', ''],
  ['a blank type', '  '],
]);
inputCases('trackEngagement', 'EngagementEventInput', 'id', event, 'occurredAt', badPastInstants);
// Server-side request forgery: an admin's webhook URL may not point at the server's own network.
for (const [label, url] of [
  ['the database port on loopback', 'http://127.0.0.1:5432/'],
  ['localhost', 'http://localhost:6379/'],
  ['a cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
  ['IPv6 loopback', 'http://[::1]:4000/graphql'],
  ['a private address', 'https://10.0.0.5/hooks'],
  ['an IPv4-mapped private address', 'http://[::ffff:192.168.0.1]/hooks'],
  ['the unspecified address', 'http://0.0.0.0:4000/'],
  ['an IPv6 link-local address with a zone', 'http://[fe80::1%25eth0]/h'],
]) {
  cases.push({
    name: `createDestination with a url to ${label}`,
    query: 'mutation ($url: String!) { createDestination(input: { kind: SLACK, name: "internal", url: $url }) { id } }',
    variables: { url },
  });
}
// A setting another kind uses would be stored and silently ignored.
for (const [label, input] of [
  [
    'a SLACK destination with a signingSecret',
    `{ kind: SLACK, name: "s", url: "https://hooks.slack.com/x", signingSecret: "whsec_${'A'.repeat(32)}" }`,
  ],
  ['an EMAIL destination with a url', '{ kind: EMAIL, name: "e", emailFrom: "cs@vendor.example", url: "https://a.example" }'],
  [
    'a WEBHOOK destination with an emailTo',
    `{ kind: WEBHOOK, name: "w", url: "https://a.example", signingSecret: "whsec_${'A'.repeat(32)}", emailTo: "x@y.example" }`,
  ],
]) {
  cases.push({ name: `createDestination: ${label}`, query: `mutation { createDestination(input: ${input}) { id } }`, variables: {} });
}
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { next: nested(depth - 1) });
cases.push({
  name: 'trackEngagement: metadata nested 5,000 deep',
  query: 'mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }',
  variablesJson: `{"input":{"customerId":"cust_ok","eventType":"login","metadata":${'{"next":'.repeat(5000)}"leaf"${'}'.repeat(5000)}}}`,
});
// JSON.parse reads 1e400 as Infinity, which JSON cannot write back: it would be stored as null.
cases.push({
  name: 'trackEngagement: a metadata number past what a double holds',
  query: 'mutation ($input: EngagementEventInput!) { trackEngagement(input: $input) { id } }',
  variablesJson: '{"input":{"customerId":"cust_ok","eventType":"login","metadata":{"amount":1e400}}}',
});
cases.push({
  name: 'trackEngagement: a metadata literal past what a double holds, written in the document',
  query: 'mutation { trackEngagement(input: { customerId: "cust_ok", eventType: "login", metadata: { amount: -1e400 } }) { id } }',
  variables: {},
});
inputCases('trackEngagement', 'EngagementEventInput', 'id', event, 'metadata', [
  ['metadata nested 11 deep', nested(11)],
  ['metadata over 8 KB', { blob: 'x'.repeat(9000) }],
  ['metadata as an array', [1, 2, 3]],
  ['metadata as a string', 'plain'],
  ['metadata as a number', 42],
  ['a NUL in a metadata value', { plan: 'pro\u0000' }],
  ['a NUL in a metadata key', { 'pl\u0000an': 'pro' }],
  ['a NUL deep in metadata', { a: { b: [{ c: '\u0000' }] } }],
  ['a lone surrogate in metadata', { plan: '\udc00' }],
]);

// submitNpsResponse
const answer = () => ({ customerId: 'cust_ok', score: 9, externalId: fresh('nps') });
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'customerId', badTexts(200));
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'externalId', [...badTexts(200), ['a blank key', '  ']]);
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'comment', badTexts(10_000));
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'respondent', [...badTexts(500), ...badLabels]);
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'respondedAt', badPastInstants);
inputCases('submitNpsResponse', 'NpsResponseInput', 'id', answer, 'score', [
  ['score 11', 11],
  ['score -1', -1],
]);

// recordPayment
const payment = () => ({ customerId: 'cust_ok', externalId: fresh('in'), amountCents: 1000, currency: 'usd', status: 'PAID' });
inputCases('recordPayment', 'PaymentInput', 'id', payment, 'customerId', badTexts(200));
inputCases('recordPayment', 'PaymentInput', 'id', payment, 'externalId', [...badTexts(200), ['a blank id', ' '], ...badLabels]);
inputCases('recordPayment', 'PaymentInput', 'id', payment, 'currency', [
  ['a NUL', 'us\u0000'],
  ['four letters', 'usdx'],
  ['digits', '123'],
  ['an empty code', ''],
]);
for (const field of ['paidAt', 'occurredAt']) inputCases('recordPayment', 'PaymentInput', 'id', payment, field, badPastInstants);
inputCases('recordPayment', 'PaymentInput', 'id', payment, 'dueAt', [
  ['year 0001', '0001-01-01T00:00:00Z'],
  ['before 1970', '1969-06-01T00:00:00Z'],
  ['eleven years ahead', iso(now + 11 * 366 * DAY)],
  ['year 9999', '9999-12-31T23:59:59Z'],
]);
inputCases('recordPayment', 'PaymentInput', 'id', payment, 'amountCents', [['a negative amount', -100]]);

// recordSupportTicket
const ticket = () => ({ customerId: 'cust_ok', externalId: fresh('T') });
inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, 'customerId', badTexts(200));
inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, 'externalId', [
  ...badTexts(200),
  ['an empty id', ''],
  ['a blank id', '  '],
  ...badLabels,
]);
inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, 'subject', badTexts(1000));
for (const field of ['openedAt', 'resolvedAt', 'statusChangedAt'])
  inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, field, badPastInstants);
inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, 'csatRating', [
  ['csat 0', 0],
  ['csat 6', 6],
]);
inputCases('recordSupportTicket', 'SupportTicketInput', 'id', ticket, 'sentiment', [
  ['sentiment 1.5', 1.5],
  ['sentiment -2', -2],
]);
cases.push({
  name: 'recordSupportTicket: resolved before it was opened',
  query: 'mutation ($input: SupportTicketInput!) { recordSupportTicket(input: $input) { id } }',
  variables: { input: { ...ticket(), openedAt: iso(now - 2 * DAY), resolvedAt: iso(now - 3 * DAY) } },
});
cases.push({
  name: 'recordSupportTicket: OPEN with a resolution',
  query: 'mutation ($input: SupportTicketInput!) { recordSupportTicket(input: $input) { id } }',
  variables: { input: { ...ticket(), status: 'OPEN', openedAt: iso(now - 2 * DAY), resolvedAt: iso(now - DAY) } },
});

// setCommunicationOptOut, refreshHealthScore, refreshAllHealthScores (a refused run writes no run row)
for (const [label, id] of [...badTexts(200), ['an empty id', '']]) {
  cases.push({
    name: `setCommunicationOptOut: customerId with ${label}`,
    query: 'mutation ($id: ID!) { setCommunicationOptOut(customerId: $id, optedOut: true) { id } }',
    variables: { id },
  });
  cases.push({
    name: `refreshHealthScore: customerId with ${label}`,
    query: 'mutation ($id: ID!) { refreshHealthScore(customerId: $id) { score } }',
    variables: { id },
  });
}
for (const [label, asOf] of [
  ['year 0001', '0001-01-01T00:00:00Z'],
  ['before 1970', '1969-12-31T00:00:00Z'],
  ['tomorrow', iso(now + DAY)],
  ['year 9999', '9999-12-31T23:59:59Z'],
]) {
  cases.push({
    name: `refreshAllHealthScores: asOf ${label}`,
    query: 'mutation ($asOf: DateTime) { refreshAllHealthScores(asOf: $asOf) { id } }',
    variables: { asOf },
  });
  cases.push({
    name: `refreshHealthScore: asOf ${label}`,
    query: 'mutation ($asOf: DateTime) { refreshHealthScore(customerId: "cust_ok", asOf: $asOf) { score } }',
    variables: { asOf },
  });
}
cases.push({
  name: 'refreshHealthScore: asOf before the customer signed up',
  query: 'mutation ($asOf: DateTime) { refreshHealthScore(customerId: "cust_ok", asOf: $asOf) { score } }',
  variables: { asOf: iso(now - 200 * DAY) },
});

// updateScoringModel: names every object inherits are not presets
for (const tierPreset of [
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'nope',
  'four_tier\u0000',
  'x'.repeat(20_000),
]) {
  cases.push({
    name: `updateScoringModel: tierPreset ${JSON.stringify(tierPreset.slice(0, 30))}`,
    query: 'mutation ($input: ScoringModelInput!) { updateScoringModel(input: $input) { version } }',
    variables: { input: { tierPreset } },
  });
}
for (const [label, config] of [
  ['a string', 'model'],
  ['an array', [1]],
  ['a number', 3],
] as const) {
  cases.push({
    name: `updateScoringModel: config as ${label}`,
    query: 'mutation ($input: ScoringModelInput!) { updateScoringModel(input: $input) { version } }',
    variables: { input: { config } },
  });
}

// Literals in the query text reach the same checks as variables.
cases.push({
  name: 'upsertCustomer: a NUL in a literal',
  query: 'mutation { upsertCustomer(input: { id: "cust_lit", name: "A\\u0000B" }) { id } }',
});
cases.push({
  name: 'trackEngagement: a NUL in a literal metadata key',
  query: 'mutation { trackEngagement(input: { customerId: "cust_ok", eventType: "x", metadata: { k: "\\u0000" } }) { id } }',
});
cases.push({
  name: 'submitNpsResponse: year 0001 in a literal',
  query: 'mutation { submitNpsResponse(input: { customerId: "cust_ok", score: 5, respondedAt: "0001-01-01T00:00:00Z" }) { id } }',
});

// Values that do not match the schema's types are refused by GraphQL itself, before any resolver.
cases.push({
  name: 'recordPayment: an unknown status',
  query: 'mutation ($input: PaymentInput!) { recordPayment(input: $input) { id } }',
  variables: { input: { ...payment(), status: 'LOST' } },
});
cases.push({
  name: 'submitNpsResponse: a score that is not an integer',
  query: 'mutation ($input: NpsResponseInput!) { submitNpsResponse(input: $input) { id } }',
  variables: { input: { ...answer(), score: 'ten' } },
});
cases.push({
  name: 'upsertCustomer: a date that does not parse',
  query: 'mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }',
  variables: { input: { ...customer(), signedUpAt: 'yesterday' } },
});
cases.push({
  name: 'upsertCustomer: arrCents beyond 2^53',
  query: 'mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }',
  variables: { input: { ...customer(), arrCents: 2 ** 60 } },
});
// An ID sent as a JSON number past 2^53 has lost digits before GraphQL reads it: it would name another customer.
cases.push({
  name: 'upsertCustomer: an id given as an integer past 2^53',
  query: 'mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }',
  variablesJson: '{"input":{"id":12345678901234567890,"name":"Big Co"}}',
});
cases.push({
  name: 'upsertCustomer: an id given as 1e21',
  query: 'mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }',
  variablesJson: '{"input":{"id":1e21,"name":"Big Co"}}',
});
cases.push({
  name: 'trackEngagementBatch: a customerId given as an integer past 2^53',
  query: 'mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted errors { index } } }',
  variablesJson: '{"events":[{"customerId":"cust_ok","eventType":"login"},{"customerId":9007199254740993,"eventType":"login"}]}',
});
cases.push({
  name: 'customer: an id given as an integer past 2^53',
  query: 'query ($id: ID!) { customer(id: $id) { id } }',
  variablesJson: '{"id":9007199254740993}',
});
// A nullable variable with a default may stand where a value is required; sent as null, it is the client's mistake.
cases.push({
  name: 'customer: a defaulted id variable sent as null',
  query: 'query ($id: ID = "cust_ok") { customer(id: $id) { id } }',
  variables: { id: null },
  argument: 'id',
});
cases.push({
  name: 'setCommunicationOptOut: a defaulted customerId variable sent as null',
  query: 'mutation ($id: ID = "cust_ok") { setCommunicationOptOut(customerId: $id, optedOut: true) { id } }',
  variables: { id: null },
  argument: 'id',
});
cases.push({
  name: "customers: a defaulted @include condition sent as null in a paged document (not a field count's refusal)",
  query: 'query ($b: Boolean = true) { customers(first: 1) @include(if: $b) { totalCount } }',
  variables: { b: null },
  argument: 'b',
});
cases.push({
  name: 'upsertCustomer: a defaulted name variable sent as null inside the input',
  query: 'mutation ($name: String = "Named") { upsertCustomer(input: { id: "cust_null_name", name: $name }) { id } }',
  variables: { name: null },
  argument: 'name',
});
cases.push({
  name: 'trackEngagementBatch: more than 10,000 events',
  query: 'mutation ($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }',
  variables: {
    events: Array.from({ length: 10_001 }, (_, i) => ({ customerId: 'cust_ok', eventType: 'login', idempotencyKey: `over_${i}` })),
  },
});

// Queries: refused the same way (and, being reads, write nothing either).
const queryArgs: Array<[string, string, string, Array<[string, unknown]>]> = [
  ['customer', 'id: $v', 'ID!', [...badTexts(200), ['an empty id', '']]],
  [
    'customers',
    'search: $v',
    'String',
    [
      ['a NUL', 'a\u0000'],
      ['201 characters', 'x'.repeat(201)],
      ['a lone surrogate', '\ud800'],
    ],
  ],
  [
    'customers',
    'tier: $v',
    'String',
    [
      ['a NUL', 'at_risk\u0000'],
      ['10,001 characters', 'x'.repeat(10_001)],
    ],
  ],
  [
    'customers',
    'after: $v',
    'String',
    [
      ['a NUL', '\u0000'],
      ['a forged cursor', 'bm90IGEgY3Vyc29y'],
    ],
  ],
  [
    'customers',
    'first: $v',
    'Int',
    [
      ['first 0', 0],
      ['first 501', 501],
    ],
  ],
  [
    'engagementEvents',
    'customerId: $v',
    'ID',
    [
      ['a NUL', 'c\u0000'],
      ['201 characters', 'x'.repeat(201)],
    ],
  ],
  ['engagementEvents', 'eventType: $v', 'String', [['a NUL', 'login\u0000']]],
  [
    'engagementEvents',
    'from: $v',
    'DateTime',
    [
      ['year 0001', '0001-01-01T00:00:00Z'],
      ['before 1970', '1969-01-01T00:00:00Z'],
    ],
  ],
  ['npsResponses', 'customerId: $v', 'ID', [['a NUL', 'c\u0000']]],
  ['npsResponses', 'to: $v', 'DateTime', [['year 0001', '0001-01-01T00:00:00Z']]],
  [
    'outreachLog',
    'customerId: $v',
    'ID',
    [
      ['a NUL', 'c\u0000'],
      ['201 characters', 'x'.repeat(201)],
    ],
  ],
  ['outreachLog', 'from: $v', 'DateTime', [['before 1970', '1960-01-01T00:00:00Z']]],
  ['healthScores', 'tier: $v', 'String', [['a NUL', 'healthy\u0000']]],
  ['tierChanges', 'customerId: $v', 'ID', [['a NUL', 'c\u0000']]],
  [
    'tierChanges',
    'since: $v',
    'DateTime',
    [
      ['year 0001', '0001-01-01T00:00:00Z'],
      ['before 1970', '1960-01-01T00:00:00Z'],
    ],
  ],
  ['worklist', 'first: $v', 'Int', [['first 0', 0]]],
];
for (const [field, args, type, values] of queryArgs) {
  const selection = field === 'customer' ? 'id' : 'totalCount';
  for (const [label, value] of values) {
    cases.push({
      name: `${field}(${args.split(':')[0]}) with ${label}`,
      query: `query ($v: ${type}) { ${field}(${args}) { ${selection} } }`,
      variables: { v: value },
    });
  }
}
cases.push({
  name: 'deliverySummary(from) before 1970',
  query: 'query ($v: DateTime) { deliverySummary(from: $v) { total { count } } }',
  variables: { v: '1960-01-01T00:00:00Z' },
});
for (const [label, value] of [
  ['a NUL', 'c\u0000'],
  ['201 characters', 'x'.repeat(201)],
]) {
  cases.push({
    name: `npsSummary(customerId) with ${label}`,
    query: 'query ($v: ID) { npsSummary(customerId: $v) { responses } }',
    variables: { v: value },
  });
  cases.push({
    name: `healthScore(customerId) with ${label}`,
    query: 'query ($v: ID!) { healthScore(customerId: $v) { score } }',
    variables: { v: value },
  });
  cases.push({
    name: `healthScoreHistory(customerId) with ${label}`,
    query: 'query ($v: ID!) { healthScoreHistory(customerId: $v) { totalCount } }',
    variables: { v: value },
  });
}

beforeAll(async () => {
  // No continuous or periodic scoring: only the requests under test touch the tables.
  server = await startTestServer({ label: 'bad_input', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const seeded = await post(server.url, {
    query: `mutation ($signedUpAt: DateTime) {
      upsertCustomer(input: { id: "cust_ok", name: "Ok Co", signedUpAt: $signedUpAt }) { id }
      trackEngagement(input: { customerId: "cust_ok", eventType: "login", idempotencyKey: "seed" }) { id }
      submitNpsResponse(input: { customerId: "cust_ok", score: 8, externalId: "nps-seed" }) { id }
      recordPayment(input: { customerId: "cust_ok", externalId: "in_seed", amountCents: 100, currency: "eur", status: PAID }) { id }
      recordSupportTicket(input: { customerId: "cust_ok", externalId: "T-seed" }) { id }
      refreshHealthScore(customerId: "cust_ok") { score }
    }`,
    variables: { signedUpAt: iso(now - 60 * DAY) },
  });
  expect(seeded.body.errors).toBeUndefined();
  before = await fingerprint(server.database);
});
afterAll(() => server.stop());

it('has at least 200 cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(200);
  expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
});

it.each(cases.map((c) => [c.name, c] as const))('refuses %s', async (_name, badInput) => {
  const response = await post(server.url, { query: badInput.query, variables: badInput.variables, variablesJson: badInput.variablesJson });
  expect(response.status).toBeLessThan(500);
  expect(response.body.errors?.[0]?.extensions?.code).toBe(badInput.code ?? 'BAD_USER_INPUT');
  // Named as the input's field, whichever check refused it (a NUL and a newline in a name alike).
  if (badInput.argument && response.status === 200) expect(response.body.errors?.[0]?.extensions?.argument).toBe(badInput.argument);
  expectNoInternals(response.text);
  expect(await fingerprint(server.database)).toEqual(before);
});

it('refuses a link-local URL with a zone, which no URL parser reads, as it refuses one without', async () => {
  const create = (url: string) =>
    post(server.url, {
      query: 'mutation ($url: String!) { createDestination(input: { kind: SLACK, name: "internal", url: $url }) { id } }',
      variables: { url },
    });
  const [zoned, plain] = [await create('http://[fe80::1%25eth0]/h'), await create('http://[fe80::1]/h')];
  expect(plain.body.errors?.[0]?.message).toMatch(/^url: fe80::1 is a loopback, private or reserved address/);
  expect(zoned.body.errors?.[0]?.message).toBe(plain.body.errors?.[0]?.message);
  expect(zoned.body.errors?.[0]?.extensions).toEqual(plain.body.errors?.[0]?.extensions);
  // A public address with a zone is an http URL all the same: the refusal names the zone.
  const global = await create('http://[2606:4700::1111%25eth0]/h');
  expect(global.body.errors?.[0]?.message).toBe(
    'url: the IPv6 address 2606:4700::1111 is given with a zone, which no URL can hold; give it without the zone',
  );
  expect(global.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'url' });
  // Not an IPv6 address, or a URL that the zone is not all that is wrong with: not blamed on a zone.
  for (const url of ['http://[1:2:3%25eth0]/h', 'http://[8.8.8.8%25eth0]/h', 'http://[2606:4700::1111%25eth0]:99999/h']) {
    expect((await create(url)).body.errors?.[0]?.message).toBe('url must be an http or https URL');
  }
});

it('answers a refused value of any size with a message of bounded length, not the value echoed in full', async () => {
  const huge = `2026-13-01T${'9'.repeat(200_000)}`;
  const response = await post(server.url, {
    query: 'query ($from: DateTime) { healthScoreHistory(customerId: "cust_any", from: $from, first: 1) { totalCount } }',
    variables: { from: huge },
  });
  expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const message = response.body.errors![0].message;
  expect(message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
  expect(message).toContain('Variable "$from"');
  expect(response.text.length).toBeLessThan(10_000);
});

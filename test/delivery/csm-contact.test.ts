// The CSM directory: setCsmContact changes the fields it is given, as updateDestination does; a field
// sent null clears it, and an entry left with neither an email nor a Slack target is removed.
import { startTestServer, TestServer } from '../helpers/server';
import { ok } from './support';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'csm_contact' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const SET = 'mutation($input: CsmContactInput!) { setCsmContact(input: $input) { owner email slackTarget } }';

async function contacts(): Promise<unknown[]> {
  const data = await ok(server, '{ csmContacts(first: 50) { edges { node { owner email slackTarget } } } }');
  return data.csmContacts.edges.map((edge: { node: unknown }) => edge.node);
}

it('keeps the fields left out: an email, then a Slack target alone, keeps the email', async () => {
  await ok(server, SET, { input: { owner: 'kate', email: 'kate@team.example' } });
  const data = await ok(server, SET, { input: { owner: 'kate', slackTarget: 'U024BE7LH' } });
  expect(data.setCsmContact).toEqual({ owner: 'kate', email: 'kate@team.example', slackTarget: 'U024BE7LH' });
  expect(await contacts()).toEqual([{ owner: 'kate', email: 'kate@team.example', slackTarget: 'U024BE7LH' }]);
});

it('clears a field sent null, and removes the entry once neither is left', async () => {
  await ok(server, SET, { input: { owner: 'noah', email: 'noah@team.example', slackTarget: '@noah' } });
  const cleared = await ok(server, SET, { input: { owner: 'noah', email: null } });
  expect(cleared.setCsmContact).toEqual({ owner: 'noah', email: null, slackTarget: '@noah' });
  const removed = await ok(server, SET, { input: { owner: 'noah', slackTarget: null } });
  expect(removed.setCsmContact).toBeNull();
  expect(await contacts()).not.toContainEqual(expect.objectContaining({ owner: 'noah' }));
  // An owner alone, not in the directory, stores nothing.
  expect((await ok(server, SET, { input: { owner: 'nobody' } })).setCsmContact).toBeNull();
  expect(await contacts()).not.toContainEqual(expect.objectContaining({ owner: 'nobody' }));
});

// The `repeated fields` limit on a parsed document, before GraphQL validates it: a response key
// selected more than 20 times at one place of the answer, fragments expanded, is refused, and so is
// a document whose fragments expand past the fields the walk visits; documents that repeat a field
// a few times, as composed queries do, pass.
import { parse } from 'graphql';
import { OperationLimitError } from '../../src/auth/auth.errors';
import { checkRepeatedFields, MAX_REPEATED_FIELD, RepeatedFieldsCheck } from '../../src/auth/repeated-fields';

function refusalOf(query: string): OperationLimitError | undefined {
  try {
    checkRepeatedFields(parse(query));
    return undefined;
  } catch (error) {
    if (error instanceof OperationLimitError) return error;
    throw error;
  }
}

const repeated = { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'repeated fields', max: 20, found: '> 20' };

describe('repeated fields', () => {
  it('refuses the examiner’s document: one field three hundred times at the root, under every other limit', () => {
    const refusal = refusalOf(`{ ${'customers { edges { node { currentScore { score } } } } '.repeat(300)} }`);
    expect(refusal?.extensions).toEqual(repeated);
    expect(refusal?.message).toContain('"customers" more than 20 times at the root');
    expect(refusal?.message).toContain('select each field once');
  });

  it('counts a field where the answer merges it: under repeated parents, through inline fragments and spreads', () => {
    // Twenty-one `customers` each selecting `edges` once: twenty-one `edges` merged under customers.
    const nested = `{ customers { edges { id } } ${'... on Query { customers { edges { node { id } } } } '.repeat(20)} }`;
    expect(refusalOf(nested)?.message).toContain('"customers" more than 20 times');
    const spreads = `{ customers { ${Array.from({ length: 21 }, (_, i) => `...C${i}`).join(' ')} } } ${Array.from(
      { length: 21 },
      (_, i) => `fragment C${i} on CustomerConnection { totalCount }`,
    ).join(' ')}`;
    expect(refusalOf(spreads)?.message).toContain('"totalCount" more than 20 times under customers');
    // Thirty fragments of thirty: nine hundred `currentScore` under one node, though none repeats it.
    const inner = Array.from({ length: 30 }, (_, j) => `fragment G${j} on Customer { currentScore { score } }`).join(' ');
    const outer = Array.from(
      { length: 30 },
      (_, i) => `fragment F${i} on CustomerConnection { edges { node { ${Array.from({ length: 30 }, (_, j) => `...G${j}`).join(' ')} } } }`,
    ).join(' ');
    const fanned = `{ customers { ${Array.from({ length: 30 }, (_, i) => `...F${i}`).join(' ')} } } ${outer} ${inner}`;
    expect(refusalOf(fanned)?.extensions).toEqual(repeated);
    // One fragment spread thirty times at one place, thirty deep: its field is selected 27,000 times there.
    const spreadAgain = [1, 2, 3]
      .map((k) => `fragment F${k} on CustomerConnection { ${`...F${k + 1} `.repeat(30)}}`)
      .concat('fragment F4 on CustomerConnection { totalCount }')
      .join(' ');
    expect(refusalOf(`{ customers { ...F1 } } ${spreadAgain}`)?.extensions).toEqual(repeated);
  });

  it('checks a fragment no operation spreads, as GraphQL validates it too', () => {
    const unused = `{ __typename } fragment Unused on Query { ${'healthSummary { totalCustomers } '.repeat(21)} }`;
    expect(refusalOf(unused)?.extensions).toEqual(repeated);
  });

  it('passes a field repeated a few times through fragments, the same key at different places, and aliases as keys of their own', () => {
    const composed = `
      query Screen { customers { edges { node { id __typename ...Row ...Tier ... on Customer { id name } } } } healthSummary { ...Totals } }
      fragment Row on Customer { id name tier ...Tier }
      fragment Tier on Customer { id tier currentScore { score } }
      fragment Totals on HealthSummary { totalCustomers }`;
    expect(refusalOf(composed)).toBeUndefined();
    const exactly = `{ healthSummary { ${'totalCustomers '.repeat(MAX_REPEATED_FIELD)} } }`;
    expect(refusalOf(exactly)).toBeUndefined();
    const places = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: customers { edges { node { id } } } b${i}: customers { totalCount }`).join(' ')} }`;
    expect(refusalOf(places)).toBeUndefined();
  });

  it('refuses fragments expanding past the fields it visits, over distinct places, with the `fields` limit', () => {
    // Each fragment selects the next under four keys: 4^8 places, no key repeated at any.
    const levels = Array.from(
      { length: 8 },
      (_, k) => `fragment F${k} on T { ${['a', 'b', 'c', 'd'].map((key) => `${key} { ...F${k + 1} }`).join(' ')} }`,
    );
    const refusal = refusalOf(`{ ...F0 } ${levels.join(' ')} fragment F8 on T { leaf }`);
    expect(refusal?.extensions).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'fields', max: 20_000, found: '> 20000' });
  });

  it('walks a fragment cycle once (validation refuses it)', () => {
    expect(refusalOf('{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }')).toBeUndefined();
  });

  it('over HTTP, parses each text it has not seen pass, and leaves a syntax error to Apollo', () => {
    const check = new RepeatedFieldsCheck();
    expect(() => check.check('{ healthSummary { totalCustomers } }')).not.toThrow();
    expect(() => check.check('{ healthSummary { ')).not.toThrow();
    const text = `{ ${'__typename '.repeat(21)}}`;
    expect(() => check.check(text)).toThrow(OperationLimitError);
    // A refused text is not remembered as passed.
    expect(() => check.check(text)).toThrow(OperationLimitError);
  });
});

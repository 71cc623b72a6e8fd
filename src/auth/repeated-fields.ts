// The `repeated fields` limit, checked on the parsed document before GraphQL validates it, over HTTP
// and WebSocket alike. graphql-js's check that fields of one response key merge compares them in
// pairs, and their sub-selections in pairs again: a document repeating one field a few hundred times,
// within every other limit, held the event loop through that quadratic work before graphql-js gave up
// ("Validation aborted."), and a refused document is not cached, so each repeat cost the same. This
// walk is linear.
import { DocumentNode, FragmentDefinitionNode, GraphQLError, Kind, parse, SelectionSetNode } from 'graphql';
import { OperationLimitError } from './auth.errors';
import { MAX_CHECKED_FIELDS, tooManyFieldsError } from './operation-scopes';

/**
 * Most times one response key may be selected at one place of the answer, fragments included: far
 * more than fragments composing a query repeat `id` or `__typename`, and few enough that the pairs
 * graphql-js compares stay a small multiple of the document's size.
 */
export const MAX_REPEATED_FIELD = 20;

/**
 * A place of the answer: the fields selected there, by response key, each with how often and the
 * place of its own fields (made when it has some).
 */
type Place = Map<string, { count: number; fields?: Place }>;

function repeatedFieldError(key: string, path: string[]): OperationLimitError {
  const at = path.length > 0 ? `under ${path.join('.')}` : 'at the root';
  const message =
    `the document selects "${key}" more than ${MAX_REPEATED_FIELD} times ${at} (fragments included), ` +
    'too often to be checked (fields of one name must merge): select each field once';
  return new OperationLimitError(message, { limit: 'repeated fields', max: MAX_REPEATED_FIELD, found: `> ${MAX_REPEATED_FIELD}` });
}

/**
 * Throws OperationLimitError when a response key is selected more than MAX_REPEATED_FIELD times at
 * one place (`repeated fields`), or the walk would visit more than MAX_CHECKED_FIELDS fields (`fields`).
 * Each operation is walked, and each fragment no operation spreads (graphql-js checks those too), with
 * fields merged by response key as graphql-js merges them, and a fragment expanded at each of its
 * spreads (as the scope walk expands it: graphql-js compares the fragments spread at one place in
 * pairs, so thirty spreads of thirty cost as much as nine hundred fields), but never within itself (a
 * cycle, which validation refuses).
 */
export function checkRepeatedFields(document: DocumentNode): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const spread = new Set<string>();
  const expanding = new Set<string>();
  let visited = 0;
  // The response keys leading to the place being walked, for the refusal's message.
  const path: string[] = [];
  const walk = (selectionSet: SelectionSetNode, place: Place): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (++visited > MAX_CHECKED_FIELDS) throw tooManyFieldsError();
        const key = selection.alias?.value ?? selection.name.value;
        let selected = place.get(key);
        if (!selected) place.set(key, (selected = { count: 0 }));
        if (++selected.count > MAX_REPEATED_FIELD) throw repeatedFieldError(key, path);
        if (!selection.selectionSet) continue;
        path.push(key);
        walk(selection.selectionSet, (selected.fields ??= new Map()));
        path.pop();
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, place);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || expanding.has(name)) continue;
        spread.add(name);
        expanding.add(name);
        walk(fragment.selectionSet, place);
        expanding.delete(name);
      }
    }
  };
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION) walk(definition.selectionSet, new Map());
  for (const [name, fragment] of fragments) {
    if (spread.has(name)) continue;
    spread.add(name);
    expanding.add(name);
    walk(fragment.selectionSet, new Map());
    expanding.delete(name);
  }
}

/** Query texts remembered as checked; beyond it the oldest is forgotten (checked again when seen again). */
const CHECKED_TEXTS = 500;
/** Longest query text remembered as checked: a longer one is parsed and checked each time it comes. */
const MAX_CHECKED_TEXT_LENGTH = 16 * 1024;

/**
 * The check of a query text over HTTP, where Apollo parses and validates, and no hook of it runs
 * between the two: the text is parsed here for the walk, and texts that passed are remembered, so
 * that the clients' same few queries are not parsed twice each time. A text that does not parse is
 * left to Apollo, which reports the syntax error with its position.
 */
export class RepeatedFieldsCheck {
  private readonly passed = new Set<string>();

  /** Throws OperationLimitError as checkRepeatedFields does. */
  check(source: string): void {
    if (this.passed.has(source)) return;
    let document: DocumentNode;
    try {
      document = parse(source, { noLocation: true });
    } catch (error) {
      if (error instanceof GraphQLError) return;
      throw error;
    }
    checkRepeatedFields(document);
    if (source.length > MAX_CHECKED_TEXT_LENGTH) return;
    if (this.passed.size >= CHECKED_TEXTS) this.passed.delete(this.passed.values().next().value as string);
    this.passed.add(source);
  }
}

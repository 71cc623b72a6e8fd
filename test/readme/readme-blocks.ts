// The README's GraphQL examples as the README test runs them: every ```graphql block in order, with
// the section it sits in and, when its operations declare variables, the ```json block that follows
// it as their values.
import { Kind, OperationDefinitionNode, parse } from 'graphql';

export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block. */
  section: string;
  document: string;
  operations: Array<{ name: string | undefined; type: OperationDefinitionNode['operation'] }>;
  variables: Record<string, unknown> | undefined;
  /** Why the block cannot run as written (it does not parse, its variables are missing), if so. */
  problem?: string;
}

interface FencedBlock {
  line: number;
  language: string;
  text: string;
  section: string;
}

function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split('\n');
  let section = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const fence = /^(```+)\s*([\w-]*)/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith(fence[1]); i++) body.push(lines[i]);
    blocks.push({ line: start + 1, language: fence[2].toLowerCase(), text: body.join('\n'), section });
  }
  return blocks;
}

/**
 * Every ```graphql block of `markdown`, in order. A block whose operations declare variables takes
 * their values from the next code block, which must be a ```json object; a block that declares none
 * takes no variables (a ```json block after it is something else, e.g. a response).
 */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const blocks = fencedBlocks(markdown);
  const examples: ReadmeExample[] = [];
  blocks.forEach((block, index) => {
    if (block.language !== 'graphql') return;
    const example: ReadmeExample = { line: block.line, section: block.section, document: block.text, operations: [], variables: undefined };
    examples.push(example);
    try {
      const operations = parse(block.text).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      example.operations = operations.map((operation) => ({ name: operation.name?.value, type: operation.operation }));
      if (!operations.some((operation) => (operation.variableDefinitions ?? []).length > 0)) return;
      const next = blocks[index + 1];
      if (next?.language !== 'json')
        throw new Error('its operation declares variables, but the next code block is not a ```json block with their values');
      example.variables = JSON.parse(next.text) as Record<string, unknown>;
    } catch (error) {
      example.problem = error instanceof Error ? error.message : String(error);
    }
  });
  return examples;
}

/** The text of the first ````language` block after the line `introduction` (e.g. "The payload:"), for checks of a documented example. */
export function readmeBlockAfter(markdown: string, introduction: string, language: string): string {
  const introducedAt = markdown.split('\n').findIndex((line) => line.trim() === introduction);
  const block = fencedBlocks(markdown).find((candidate) => candidate.line > introducedAt + 1 && candidate.language === language);
  if (introducedAt < 0 || !block) throw new Error(`no \`\`\`${language} block after "${introduction}" in the README`);
  return block.text;
}

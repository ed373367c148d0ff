import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { TaskOutput, outputSummary } from './TaskOutput';
import { displayName, layoutTree, LEVEL_HEIGHT, visibleTree } from './treeLayout';
import type { TreeNode } from '../../api/models';
import { labelOf, takesNothing } from './configSchema';
import { taskInput } from './TaskQueue';

describe('TaskOutput', () => {
  it('lists findings with file and line', () => {
    render(<TaskOutput output={{ findings: [{ file: 'src/lib.rs', line: 42, severity: 'high', message: 'unwrap on user input' }], summary: 'one issue' }} />);
    expect(screen.getByText('src/lib.rs:42')).toBeInTheDocument();
    expect(screen.getByText('unwrap on user input')).toBeInTheDocument();
    expect(screen.getByText('high')).toBeInTheDocument();
    expect(screen.getByText(/"summary": "one issue"/)).toBeInTheDocument();
  });

  it('summarises output in one line', () => {
    expect(outputSummary({ findings: [{}, {}] })).toBe('2 findings');
    expect(outputSummary(null)).toBe('');
    expect(outputSummary({ words: 2 })).toBe('{"words":2}');
  });
});

function node(path: string, parent: string | null, role: TreeNode['role']): TreeNode {
  return { path, parent, name: path.split('/').pop() ?? path, role, agent_id: null, agent_name: null, agent_type: null, kind: null, status: null, restarts: 0, messages_handled: 0, mailbox: 0, passive: false, last_error: null, policy: null };
}

describe('tree layout', () => {
  it('puts children a level below and each parent over the middle of its children', () => {
    const placed = layoutTree([
      node('root', null, 'root'),
      node('root/system', 'root', 'system'),
      node('root/org:1', 'root', 'organization'),
      node('root/org:1/executors', 'root/org:1', 'kind'),
      node('root/org:1/executors/agent:a', 'root/org:1/executors', 'agent'),
      node('root/org:1/executors/agent:b', 'root/org:1/executors', 'agent'),
    ]);
    const at = (path: string) => placed.find((item) => item.node.path === path)!;
    expect(at('root').y).toBe(0);
    expect(at('root/org:1/executors/agent:a').y).toBe(3 * LEVEL_HEIGHT);
    const a = at('root/org:1/executors/agent:a').x;
    const b = at('root/org:1/executors/agent:b').x;
    expect(at('root/org:1/executors').x).toBe((a + b) / 2);
    expect(placed).toHaveLength(6);
  });
});

describe('tree display', () => {
  const nodes = [
    node('root', null, 'root'),
    node('root/system', 'root', 'system'),
    node('root/system/events', 'root/system', 'system_actor'),
    node('root/system/gateway', 'root/system', 'system_actor'),
    node('root/org:1', 'root', 'organization'),
    node('root/org:1/executors', 'root/org:1', 'kind'),
  ];

  it('folds the system actors into their supervisor unless asked for', () => {
    const folded = visibleTree(nodes, false);
    expect(folded.nodes.map((item) => item.path)).toEqual(['root', 'root/system', 'root/org:1', 'root/org:1/executors']);
    expect(folded.hidden).toBe(2);
    expect(visibleTree(nodes, true)).toEqual({ nodes, hidden: 0 });
  });

  it('names the organization node after the organization and agents after themselves', () => {
    expect(displayName(nodes[4]!, 'Acme')).toBe('Acme');
    expect(displayName({ ...nodes[5]!, agent_name: 'counter' }, 'Acme')).toBe('counter');
    expect(displayName(nodes[5]!, 'Acme')).toBe('executors');
  });
});

describe('agent configuration form', () => {
  it('labels a key without a title of its own', () => {
    expect(labelOf('healthy_at')).toBe('Healthy at');
    expect(labelOf('ready_poll_ms')).toBe('Ready poll (ms)');
    expect(labelOf('llm')).toBe('LLM');
    expect(labelOf('paths-2')).toBe('Paths 2');
  });

  it('knows a type that takes no configuration', () => {
    expect(takesNothing({ type: 'object', properties: {}, additionalProperties: false })).toBe(true);
    expect(takesNothing({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false })).toBe(false);
  });
});

describe("a new task's input", () => {
  it('is the JSON object typed, or nothing when left empty', () => {
    expect(taskInput('{"repository": "acme/api", "number": 7}')).toEqual({ repository: 'acme/api', number: 7 });
    expect(taskInput('{\n  \n}')).toEqual({});
    expect(taskInput('  ')).toBeUndefined();
  });

  it('says what is wrong when it is not a JSON object', () => {
    expect(taskInput('{"repository": ')).toBe('must be valid JSON');
    expect(taskInput('[1, 2]')).toBe('must be a JSON object');
    expect(taskInput('"text"')).toBe('must be a JSON object');
    expect(taskInput('null')).toBe('must be a JSON object');
  });
});

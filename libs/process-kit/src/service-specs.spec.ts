import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { loadDirectory } from '#directory';
import {
  loadServices,
  parseServices,
  SERVICES_FILE,
  ServicesFileError,
  unlistedNodes,
} from './service-specs.js';

const problemsOf = (text: string): string[] => {
  try {
    parseServices(text, 'deploy/x.yaml');
  } catch (err) {
    if (err instanceof ServicesFileError) return err.problems;
    throw err;
  }
  return [];
};

describe('the services of a local exchange (deploy/services.yaml)', () => {
  it('lists the core services and the nodes npm start runs, with the witnesses marked', () => {
    const specs = parseServices(readFileSync(SERVICES_FILE, 'utf8'));
    expect(specs).toEqual([
      { name: 'audit', app: 'audit', env: {} },
      { name: 'router', app: 'router', env: {} },
      { name: 'gateway', app: 'gateway', env: {} },
      { name: 'cp-it', app: 'contact-point', env: { MSX_NODE_ID: 'cp-it' }, witness: true },
      { name: 'cp-gr', app: 'contact-point', env: { MSX_NODE_ID: 'cp-gr' } },
      { name: 'jot-mare', app: 'jot-mare', env: { MSX_NODE_ID: 'jot-mare' }, witness: true },
      { name: 'afic', app: 'afic', env: { MSX_NODE_ID: 'afic' } },
      { name: 'hit-no-hit', app: 'matching-service', env: { MSX_NODE_ID: 'hit-no-hit' } },
      { name: 'emlo-ne', app: 'liaison-officer', env: { MSX_NODE_ID: 'emlo-ne' } },
    ]);
  });

  it('names the file, the entry and the field of every problem', () => {
    const text = [
      'services:',
      '  - name: cp-it',
      '    app: contact-point',
      '    witness: yes please',
      '    env: { node: cp-it, MSX_PORT: 8080 }',
      '  - app: router',
      '  - name: cp-it',
      '    app: Contact Point',
      '    colour: blue',
    ].join('\n');
    let error: unknown;
    try {
      parseServices(text, 'deploy/x.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ServicesFileError);
    expect((error as Error).message).toMatch(/^invalid deploy\/x\.yaml:/);
    expect((error as ServicesFileError).problems).toEqual([
      'services[0] (cp-it): env: "node" is not a variable name such as MSX_NODE_ID',
      'services[0] (cp-it): env: MSX_PORT must be a string',
      'services[0] (cp-it): env: MSX_NODE_ID is required: contact-point is a node app and runs as one node',
      'services[0] (cp-it): witness must be true or false',
      'services[1]: name must be a name such as cp-it ([a-z0-9] words joined by -)',
      'services[2] (cp-it): unknown field "colour"',
      'services[2] (cp-it): app must name an app under apps/, such as contact-point',
    ]);
  });

  it('refuses a name listed twice', () => {
    expect(problemsOf('services:\n  - { name: audit, app: audit }\n  - { name: audit, app: audit }')).toEqual(
      ['services[1] (audit): name: listed twice'],
    );
  });

  it('runs each node once, as a node app, and no core service as a node', () => {
    expect(
      problemsOf(
        [
          'services:',
          '  - { name: router, app: router, env: { MSX_NODE_ID: cp-it } }',
          '  - { name: jot-mare, app: jot-mare }',
          '  - { name: cp-it, app: contact-point, env: { MSX_NODE_ID: cp-it } }',
          '  - { name: cp-it-b, app: contact-point, env: { MSX_NODE_ID: cp-it } }',
        ].join('\n'),
      ),
    ).toEqual([
      'services[0] (router): env: MSX_NODE_ID is for node apps; router is a core service',
      'services[1] (jot-mare): env: MSX_NODE_ID is required: jot-mare is a node app and runs as one node',
      'services[3] (cp-it-b): env: MSX_NODE_ID cp-it is run by services[2] (cp-it) already; two processes would split one inbox',
    ]);
  });

  it('refuses a file without a list of services, or that is not YAML', () => {
    expect(problemsOf('services: []')).toEqual(['must hold a non-empty list "services"']);
    expect(problemsOf('{ services: [')).toEqual([expect.stringMatching(/^not YAML: /)]);
  });

  it('runs only nodes the directory lists, and names any other with its file', () => {
    const nodes = loadDirectory('deploy/directory.yaml').nodeIds();
    expect(unlistedNodes(loadServices(), nodes, 'deploy/directory.yaml')).toEqual([]);
    const services = parseServices(
      'services:\n  - { name: router, app: router }\n  - { name: cp-xx, app: contact-point, env: { MSX_NODE_ID: cp-xx } }\n',
    );
    expect(unlistedNodes(services, nodes, 'deploy/directory.yaml')).toEqual([
      'cp-xx: MSX_NODE_ID cp-xx is not a node of deploy/directory.yaml',
    ]);
  });
});

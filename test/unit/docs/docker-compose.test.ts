import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '../../../src/config/config.js';
import { appWith } from '../../support/app-with.js';
import { stubSink } from '../../support/stub-sink.js';

// No Docker engine runs here: what can be checked without one is checked. The compose file parses,
// its service is configured only by variables the service reads (and validly), and Prometheus and
// Grafana are pointed at what the service exports.
const root = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
const { services } = compose;

/** Compose's `${VAR:-default}` as it would be without that variable set. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
/** `host:container[:ro]` of a bind mount (named volumes have no path). */
const mounts = (service: ComposeService) =>
  (service.volumes ?? []).map((v) => v.split(':')).map(([host, container]) => ({ host: host!, container: container!, bind: host!.startsWith('.') }));
const containerPort = (service: ComposeService) => (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));

describe('docker-compose.yml', () => {
  it('has CrateDB, the service built from the Dockerfile, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['cratedb', 'grafana', 'prometheus', 'service']);
    expect(services.service!.build).toBe('.');
    expect(existsSync(`${root}Dockerfile`)).toBe(true);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'service') expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/); // pinned, never :latest
      expect(service.image ?? '', name).not.toMatch(/:latest$/);
      for (const dependency of service.depends_on ?? []) expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      for (const mount of mounts(service)) {
        if (mount.bind) expect(existsSync(`${root}${mount.host}`), `${name}: ${mount.host}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${mount.host}`).toHaveProperty(mount.host);
      }
    }
  });

  it('configures the service only with variables it reads, valid together, pointing at the compose CrateDB', () => {
    const env = Object.fromEntries(Object.entries(services.service!.environment!).map(([k, v]) => [k, interpolate(String(v))]));
    const known = new Set(Object.keys(envSchema.shape));
    for (const name of Object.keys(env)) expect(known.has(name), `${name} is not read by the service (src/config/config.ts)`).toBe(true);
    const loaded = loadConfig(env);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    if (!loaded.ok) return;
    expect(new URL(loaded.config.sink.url!).host).toBe(`cratedb:${containerPort(services.cratedb!)[0]}`);
    expect(containerPort(services.service!)).toEqual([loaded.config.port]);
    expect(loaded.config.host).toBe('0.0.0.0'); // reachable from the other containers
  });

  it('has Prometheus scrape the service where it exports its metrics', async () => {
    const prometheusMount = mounts(services.prometheus!).find((m) => m.container === '/etc/prometheus/prometheus.yml');
    expect(prometheusMount).toBeDefined();
    const prometheus = parse(read(prometheusMount!.host.replace(/^\.\//, ''))) as {
      scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const loaded = loadConfig(Object.fromEntries(Object.entries(services.service!.environment!).map(([k, v]) => [k, interpolate(String(v))])));
    const port = loaded.ok ? loaded.config.port : NaN;
    const jobs = prometheus.scrape_configs.filter((job) => job.static_configs.some((s) => s.targets.includes(`service:${port}`)));
    expect(jobs).toHaveLength(1);
    const path = jobs[0]!.metrics_path ?? '/metrics';
    const { app } = appWith(stubSink());
    const response = await app.request(path);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('cdc_deliveries_in_flight');
  });

  it('has Grafana provision a Prometheus datasource at the compose Prometheus and the project dashboard', () => {
    const grafana = mounts(services.grafana!);
    const provisioning = grafana.find((m) => m.container === '/etc/grafana/provisioning')!;
    const dir = provisioning.host.replace(/^\.\//, '');
    const datasources = parse(read(`${dir}/datasources/prometheus.yml`)) as { datasources: { type: string; url: string; isDefault?: boolean }[] };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: `http://prometheus:${containerPort(services.prometheus!)[0]}`, isDefault: true }),
    ]);
    const providers = (parse(read(`${dir}/dashboards/dashboards.yml`)) as { providers: { type: string; options: { path: string } }[] }).providers;
    expect(providers).toHaveLength(1);
    const dashboards = grafana.find((m) => m.container === providers[0]!.options.path);
    expect(dashboards, 'the provider reads a mounted folder').toBeDefined();
    const files = readdirSync(`${root}${dashboards!.host.replace(/^\.\//, '')}`);
    expect(files).toContain('grafana-dynamodb-cdc-sink.json');
  });
});

// Offline check of the Kubernetes manifests: each object against the official API schema
// (kubernetes-models: JSON schemas generated from Kubernetes' OpenAPI: field types, required
// fields, formats), plus the cross-object rules this deployment relies on. `kubectl apply --dry-run=client` cannot do
// this without a reachable API server (it downloads the schema from the server).
//
//   node deploy/kubernetes/validate/validate.mjs deploy/kubernetes/*.yaml
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const problems = [];
const objects = [];

// The model class of apiVersion/kind ("apps/v1" + "Deployment"); null when unknown.
async function modelFor(apiVersion, kind) {
  try {
    return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    return null;
  }
}

for (const file of process.argv.slice(2)) {
  if (path.basename(file) === 'kustomization.yaml') continue;  // kustomize's own format
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (doc.errors.length) { problems.push(`${file}: ${doc.errors[0].message}`); continue; }
    const obj = doc.toJS();
    if (!obj) continue;
    const where = `${file}: ${obj.kind}/${obj.metadata?.name}`;
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (!Model) { problems.push(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`); continue; }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${where}: ${e.message}${e.errors ? ' ' + JSON.stringify(e.errors.slice(0, 3)) : ''}`);
    }
    objects.push({ file, obj, where });
  }
}

// Cross-object rules.
const find = (kind) => objects.filter((o) => o.obj.kind === kind);
const deployments = find('Deployment');
const matches = (selector, labels) => Object.entries(selector || {}).every(([k, v]) => labels?.[k] === v);
for (const { obj, where } of deployments) {
  const pod = obj.spec.template;
  if (!matches(obj.spec.selector.matchLabels, pod.metadata.labels)) problems.push(`${where}: selector does not match the pod labels`);
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  for (const c of pod.spec.containers) {
    const ports = new Set((c.ports || []).map((p) => p.name));
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const port = c[probe]?.httpGet?.port;
      if (typeof port === 'string' && !ports.has(port)) problems.push(`${where}: ${probe} names port ${port}, not declared`);
      if (!c[probe] && probe !== 'startupProbe') problems.push(`${where}: container ${c.name} has no ${probe}`);
    }
    if (c.readinessProbe?.httpGet?.path !== '/health') problems.push(`${where}: readiness must read /health (503 while draining)`);
    const sleep = Number((c.lifecycle?.preStop?.exec?.command || []).at(-1)) || 0;
    const cm = find('ConfigMap').find((o) => c.envFrom?.some((e) => e.configMapRef?.name === o.obj.metadata.name));
    const drainS = Number(cm?.obj.data?.CROSSENC_SHUTDOWN_GRACE_MS ?? 30000) / 1000;
    if (!(grace > sleep + drainS)) problems.push(`${where}: terminationGracePeriodSeconds ${grace} must exceed preStop ${sleep} s + drain ${drainS} s`);
    if (!c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${where}: memory request and limit are required`);
  }
}
for (const kind of ['Service', 'PodDisruptionBudget']) {
  for (const { obj, where } of find(kind)) {
    const selector = kind === 'Service' ? obj.spec.selector : obj.spec.selector.matchLabels;
    if (!deployments.some((d) => matches(selector, d.obj.spec.template.metadata.labels))) problems.push(`${where}: selects no Deployment's pods`);
  }
}
for (const { obj, where } of find('HorizontalPodAutoscaler')) {
  const target = obj.spec.scaleTargetRef;
  if (!deployments.some((d) => d.obj.metadata.name === target.name)) problems.push(`${where}: scales ${target.name}, not defined here`);
  const kinds = obj.spec.metrics.map((m) => m.type);
  if (!kinds.includes('Pods') || !kinds.includes('Resource')) problems.push(`${where}: wants the queue-depth (Pods) metric and the CPU (Resource) fallback`);
}
if (!find('Service').some((o) => o.obj.spec.clusterIP === 'None')) problems.push('no headless Service for gRPC client-side balancing');

if (problems.length) {
  for (const p of problems) console.error(`invalid: ${p}`);
  process.exit(1);
}
console.log(`kubernetes manifests valid: ${objects.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`).join(', ')}`);

// crossenc serve driven by client libraries nobody here wrote: Cohere's SDK (v1 and v2 clients)
// and grpc-js with our proto. Started and stopped here, on loopback, with an API key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CohereClient, CohereClientV2 } from "cohere-ai";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, "../..");
const cli = process.env.CROSSENC_CLI ?? path.join(source, "build/tools/crossenc");
const model = process.env.CROSSENC_MODEL ?? path.join(source, "tests/data/tiny-random");
const key = "client-test-key";
const query = "what is a flea";
const documents = ["A flea is a small wingless insect.", "Paris is the capital of France."];

let server, httpPort, grpcPort;

before(async () => {
  server = spawn(cli, ["serve", "--model", model, "--grpc-port", "0", "--http-port", "0",
                       "--threads", "1", "--api-key", key], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: server.stdout });
  [grpcPort, httpPort] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("crossenc serve did not start")), 60000);
    server.on("exit", (code) => reject(new Error(`crossenc serve exited with ${code}`)));
    lines.on("line", (line) => {
      const m = /^listening grpc=(\d+) http=(\d+)$/.exec(line);
      if (m) { clearTimeout(timer); resolve([Number(m[1]), Number(m[2])]); }
    });
  });
});

after(() => { server?.kill("SIGTERM"); });

const environment = () => `http://127.0.0.1:${httpPort}`;

test("CohereClient (v1) reranks, with id, meta and documents", async () => {
  const client = new CohereClient({ token: key, environment: environment() });
  const r = await client.rerank({ query, documents, topN: 2, returnDocuments: true });
  assert.equal(typeof r.id, "string");
  assert.equal(r.results.length, 2);
  assert.ok(r.results[0].relevanceScore >= r.results[1].relevanceScore);
  for (const item of r.results) {
    assert.ok(item.relevanceScore >= 0 && item.relevanceScore <= 1);
    assert.equal(item.document.text, documents[item.index]);
  }
  assert.equal(r.meta.billedUnits.searchUnits, 1);
});

test("CohereClientV2 reranks at /v2/rerank", async () => {
  const client = new CohereClientV2({ token: key, environment: environment() });
  const r = await client.rerank({ model: "tiny-random", query, documents, topN: 1 });
  assert.equal(r.results.length, 1);
  assert.ok(r.results[0].relevanceScore > 0 && r.results[0].relevanceScore < 1);
  assert.equal(r.meta.apiVersion.version, "2");
});

test("a wrong key is a 401 the SDK reports", async () => {
  const client = new CohereClientV2({ token: "wrong", environment: environment() });
  await assert.rejects(client.rerank({ model: "m", query, documents }),
                       (e) => e.statusCode === 401 && /API key/.test(JSON.stringify(e.body)));
});

test("maxTokensPerDoc is honoured, and out of range it is a 422 naming it", async () => {
  const client = new CohereClientV2({ token: key, environment: environment() });
  const r = await client.rerank({ model: "m", query, documents, maxTokensPerDoc: 2 });
  assert.equal(r.results.length, documents.length);
  await assert.rejects(client.rerank({ model: "m", query, documents, maxTokensPerDoc: 100000 }),
                       (e) => e.statusCode === 422 && /max_tokens_per_doc/.test(e.body.message));
});

const inference = () => {
  const definition = protoLoader.loadSync(path.join(source, "server/inference.proto"));
  const pkg = grpc.loadPackageDefinition(definition).inference;
  return new pkg.InferenceService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
};

const call = (client, metadata, request) => new Promise((resolve, reject) =>
  client.Infer(request, metadata, { deadline: Date.now() + 30000 },
               (err, res) => (err ? reject(err) : resolve(res))));

test("grpc-js Infer with the key as metadata; without it UNAUTHENTICATED", async () => {
  const client = inference();
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${key}`);
  const pairs = documents.map((document) => ({ query, document }));
  const r = await call(client, md, { pairs });
  assert.equal(r.scores.length, 2);
  assert.equal(r.numPairs, 2);
  assert.equal(r.statusCode, 200);
  await assert.rejects(call(client, new grpc.Metadata(), { pairs }),
                       (e) => e.code === grpc.status.UNAUTHENTICATED);
  client.close();
});

// One request on a reflection stream of the given package (v1 or v1alpha), via grpc-js.
const reflect = (version, metadata, request) => {
  const file = path.join(source, `server/reflection_${version}.proto`);
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file)).grpc.reflection[version];
  const client = new pkg.ServerReflection(`127.0.0.1:${grpcPort}`,
                                          grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo(metadata, { deadline: Date.now() + 30000 });
    let answer;
    stream.on("data", (r) => { answer = r; });
    stream.on("error", (e) => { client.close(); reject(e); });
    stream.on("end", () => { client.close(); resolve(answer); });
    stream.write(request);
    stream.end();
  });
};

for (const version of ["v1", "v1alpha"]) {
  test(`grpc-js reflection ${version} lists the services with the key; without it UNAUTHENTICATED`,
       async () => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${key}`);
    const r = await reflect(version, md, { listServices: "" });
    const names = r.listServicesResponse.service.map((s) => s.name).sort();
    assert.deepEqual(names, ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                             "grpc.reflection.v1alpha.ServerReflection",
                             "inference.InferenceService"]);
    const file = await reflect(version, md, { fileContainingSymbol: "inference.InferenceService" });
    assert.ok(file.fileDescriptorResponse.fileDescriptorProto.length >= 1);
    await assert.rejects(reflect(version, new grpc.Metadata(), { listServices: "" }),
                         (e) => e.code === grpc.status.UNAUTHENTICATED);
  });
}

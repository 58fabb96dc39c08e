// The outside client test: a client from another gRPC implementation (Node.js @grpc/grpc-js)
// against the real `destination` binary, knowing nothing of the project's .proto files.
//
//   node node_client_test.js DESTINATION EXAMPLE_DIR WORK_DIR     (run.sh installs the packages)
//
// 1. copies EXAMPLE_DIR (examples/trafficsplit-sample) into a temporary directory, starts
//    DESTINATION on it with gRPC and admin on ephemeral loopback ports, reads the ports from its
//    "serving" log line and waits for the admin /ready to answer 200;
// 2. lists the services by server reflection with grpc-js-reflection-client, v1 first, then
//    v1alpha when v1 is UNIMPLEMENTED;
// 3. fetches the FileDescriptorProtos of Destination and Health (and their imports) by
//    reflection and builds the stubs from them alone (@grpc/proto-loader);
// 4. opens GetProfile for the TrafficSplit's apex Service, checks the first profile's
//    dst_overrides against trafficsplit.yaml's weights, edits the weights in the temporary copy
//    and checks that the next profile on the same stream carries the new ones;
// 5. calls grpc.health.v1.Health/Check (service "") and expects SERVING;
// 6. sends SIGTERM and expects exit status 0.
// Every wait has a deadline. One "ok - ..." line per step; a failure prints one
// "node_client_test: FAIL: ..." line (the server's log is in WORK_DIR/destination.log) and exits 1.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const descriptor = require('protobufjs/ext/descriptor');
const {GrpcReflection} = require('grpc-js-reflection-client');

const WAIT_MS = 10000;       // any single wait: a log line, /ready, an RPC answer, a message
const STOP_MS = 15000;       // SIGTERM to exit (the server's -shutdown-grace is 5 s)
const TOTAL_MS = 120000;     // the whole test, whatever hangs
const CLUSTER_DOMAIN = 'cluster.local';
const DESTINATION_SERVICE = 'io.linkerd.proxy.destination.Destination';
const HEALTH_SERVICE = 'grpc.health.v1.Health';

const [destinationBin, exampleDir, workDir] = process.argv.slice(2);
if (!destinationBin || !exampleDir || !workDir) {
  console.error('usage: node node_client_test.js DESTINATION EXAMPLE_DIR WORK_DIR');
  process.exit(2);
}
const started = Date.now();
const logPath = path.join(workDir, 'destination.log');
let manifestsDir = '';
let server = null;       // the ChildProcess
let serverExit = null;   // {code, signal} once it exited
let stopping = false;
let passed = 0;

// Kills the server's process group (it is started in its own) and removes the manifests copy.
function cleanup() {
  if (server && server.pid && serverExit === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch (e) {
      server.kill('SIGKILL');
    }
  }
  if (manifestsDir) fs.rmSync(manifestsDir, {recursive: true, force: true});
}

function fail(message) {
  console.log(`node_client_test: FAIL: ${message} (server log: ${logPath})`);
  cleanup();
  process.exit(1);
}

function ok(message) {
  passed++;
  console.log(`ok - ${message}`);
}

// Resolves with `promise`, or rejects with "WHAT: no answer within N s".
function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function deadline(ms = WAIT_MS) {
  return new Date(Date.now() + ms);
}

// --- 1. the server -------------------------------------------------------------------------------

// Starts the binary on a copy of the example and resolves with {grpcPort, adminPort} from its
// "serving" log line (JSON logs, on stdout or stderr).
function startServer() {
  manifestsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-client-test-'));
  fs.cpSync(exampleDir, manifestsDir, {recursive: true});
  const log = fs.createWriteStream(logPath);
  let lastLine = '';
  return withDeadline(new Promise((resolve, reject) => {
    server = childProcess.spawn(destinationBin, [
      `-manifests=${manifestsDir}`, '-addr=127.0.0.1:0', '-admin-addr=127.0.0.1:0',
      '-log-format=json',
    ], {stdio: ['ignore', 'pipe', 'pipe'], detached: true});
    server.on('error', (e) => reject(new Error(`cannot start ${destinationBin}: ${e.message}`)));
    server.on('exit', (code, signal) => {
      serverExit = {code, signal};
      if (!stopping) {
        fail(`destination exited unexpectedly (status ${code}, signal ${signal}); ` +
             `last log line: ${lastLine}`);
      }
    });
    for (const stream of [server.stdout, server.stderr]) {
      readline.createInterface({input: stream}).on('line', (line) => {
        log.write(line + '\n');
        lastLine = line;
        let entry;
        try {
          entry = JSON.parse(line);
        } catch (e) {
          return;
        }
        if (entry.msg === 'serving') {
          resolve({grpcPort: Number(entry.grpc_port), adminPort: Number(entry.admin_port)});
        }
      });
    }
  }), WAIT_MS, 'the "serving" log line');
}

function httpStatus(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({host: '127.0.0.1', port, path: urlPath, timeout: 2000}, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitReady(adminPort) {
  const end = Date.now() + WAIT_MS;
  let status = 0;
  while (Date.now() < end) {
    status = await httpStatus(adminPort, '/ready');
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`admin /ready did not answer 200 within ${WAIT_MS / 1000} s (last: ${status})`);
}

// --- 2. and 3. reflection and the stubs ----------------------------------------------------------

// Lists the services with the newest reflection version the server answers: v1, else v1alpha
// (only when v1 is UNIMPLEMENTED: any other v1 failure is a failure).
async function reflect(address) {
  const notes = [];
  for (const version of ['v1', 'v1alpha']) {
    const client = new GrpcReflection(address, grpc.credentials.createInsecure(), {}, version);
    try {
      const services = await withDeadline(
          client.listServices('*', new grpc.Metadata(), {deadline: deadline()}), WAIT_MS,
          `reflection ${version} ListServices`);
      return {version, client, services, notes};
    } catch (e) {
      client.client.close();
      if (version === 'v1' && /UNIMPLEMENTED/.test(e.message)) {
        notes.push('v1 UNIMPLEMENTED');
        continue;
      }
      throw new Error(`reflection ${version} ListServices: ${e.message}`);
    }
  }
}

// The serialized FileDescriptorProtos defining `symbols`, with every file they import, as the
// server serves them: {name -> bytes}.
async function servedFiles(client, symbols) {
  const files = new Map();
  const call = (what, request) => withDeadline(
      request(new grpc.Metadata(), {deadline: deadline()}), WAIT_MS, `reflection ${what}`);
  const add = async (protos) => {
    for (const bytes of protos) {
      const file = descriptor.FileDescriptorProto.decode(bytes);
      if (files.has(file.name)) continue;
      files.set(file.name, Buffer.from(bytes));
      for (const dep of file.dependency || []) {
        if (files.has(dep)) continue;
        await add(await call(`file_by_filename ${dep}`,
                             (m, o) => client.getProtoDescriptorByFileName(dep, m, o)));
      }
    }
  };
  for (const symbol of symbols) {
    await add(await call(`file_containing_symbol ${symbol}`,
                         (m, o) => client.getProtoDescriptorBySymbol(symbol, m, o)));
  }
  return files;
}

// A FileDescriptorSet of the files' own bytes (field 1, repeated FileDescriptorProto).
function fileDescriptorSet(files) {
  const parts = [];
  for (const bytes of files.values()) {
    const length = [];
    for (let n = bytes.length; ; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    parts.push(Buffer.from([0x0a, ...length]), bytes);
  }
  return Buffer.concat(parts);
}

function lookup(root, fullName) {
  const found = fullName.split('.').reduce((node, part) => node && node[part], root);
  if (typeof found !== 'function') {
    throw new Error(`no stub for ${fullName} in the served descriptors`);
  }
  return found;
}

// --- 4. the profile stream -----------------------------------------------------------------------

// The TrafficSplit of trafficsplit.yaml: {namespace, service, backends: [{service, weight}]}.
function readSplit(file) {
  const text = fs.readFileSync(file, 'utf8');
  const namespace = /^\s+namespace:\s*(\S+)\s*$/m.exec(text);
  const service = /^spec:\s*\n\s+service:\s*(\S+)\s*$/m.exec(text);
  const backends = [...text.matchAll(/^\s+- service:\s*(\S+)\s*\n\s+weight:\s*(\d+)\s*$/gm)]
      .map((m) => ({service: m[1], weight: Number(m[2])}));
  if (!namespace || !service || backends.length === 0) {
    throw new Error(`cannot read namespace, service and backends from ${file}`);
  }
  return {text, namespace: namespace[1], service: service[1], backends};
}

// The dst_overrides a split of plain integer weights gives (weight N is the quantity N: wire
// weight = milli-value x 10), sorted, as "authority=weight" strings.
function expectedOverrides(split, port) {
  return split.backends
      .map((b) => `${b.service}.${split.namespace}.svc.${CLUSTER_DOMAIN}.:${port}=` +
                  `${b.weight * 10000}`)
      .sort();
}

function overrides(profile) {
  return (profile.dst_overrides || []).map((o) => `${o.authority}=${o.weight}`).sort();
}

// The messages of a server stream, one at a time, each with a deadline.
class StreamReader {
  constructor(call) {
    this.call = call;
    this.queue = [];
    this.waiter = null;
    this.error = null;
    call.on('data', (m) => {
      this.queue.push(m);
      this.wake();
    });
    call.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    call.on('end', () => {
      this.error = this.error || new Error('stream ended');
      this.wake();
    });
  }
  wake() {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }
  next(what) {
    return withDeadline(new Promise((resolve, reject) => {
      const take = () => {
        if (this.queue.length > 0) return resolve(this.queue.shift());
        if (this.error) return reject(new Error(`${what}: ${this.error.message}`));
        this.waiter = take;
      };
      take();
    }), WAIT_MS, what);
  }
}

// Writes then renames, as editors and kubectl do, so the watcher never sees half a file.
function writeFileAtomic(file, content) {
  fs.writeFileSync(file + '.tmp~', content);
  fs.renameSync(file + '.tmp~', file);
}

// --- the test ------------------------------------------------------------------------------------

async function main() {
  setTimeout(() => fail(`the whole test took more than ${TOTAL_MS / 1000} s`), TOTAL_MS).unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => fail(`got ${signal}`));
  }
  fs.mkdirSync(workDir, {recursive: true});

  // 1.
  const {grpcPort, adminPort} = await startServer();
  await waitReady(adminPort);
  const address = `127.0.0.1:${grpcPort}`;
  ok(`destination serving: gRPC ${address}, admin /ready 200 on port ${adminPort}`);

  // 2.
  const reflection = await reflect(address);
  for (const want of [DESTINATION_SERVICE, HEALTH_SERVICE]) {
    if (!reflection.services.includes(want)) {
      throw new Error(`reflection ${reflection.version} does not list ${want}: ` +
                      `[${reflection.services.join(', ')}]`);
    }
  }
  const fallback = reflection.notes.length ? ` (${reflection.notes.join(', ')})` : '';
  ok(`reflection ${reflection.version} answered${fallback}: ${reflection.services.join(', ')}`);

  // 3.
  const files = await servedFiles(reflection.client, [DESTINATION_SERVICE, HEALTH_SERVICE]);
  reflection.client.client.close();
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(fileDescriptorSet(files), {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const root = grpc.loadPackageDefinition(definition);
  const Destination = lookup(root, DESTINATION_SERVICE);
  const Health = lookup(root, HEALTH_SERVICE);
  ok(`stubs built from ${files.size} served files: ${[...files.keys()].join(', ')}`);

  // 4.
  const splitFile = path.join(manifestsDir, 'trafficsplit.yaml');
  const split = readSplit(splitFile);
  const port = 8080;  // backend-svc's port in backend.yaml
  const fqdn = `${split.service}.${split.namespace}.svc.${CLUSTER_DOMAIN}`;
  const authority = `${fqdn}:${port}`;
  const destination = new Destination(address, grpc.credentials.createInsecure());
  const stream = new StreamReader(
      destination.GetProfile({scheme: 'k8s', path: authority, context_token: ''}));
  const first = await stream.next(`first GetProfile message for ${authority}`);
  const want = expectedOverrides(split, port);
  if (first.fully_qualified_name !== fqdn) {
    throw new Error(`first profile: fully_qualified_name "${first.fully_qualified_name}", ` +
                    `want "${fqdn}"`);
  }
  if (overrides(first).join(' ') !== want.join(' ')) {
    throw new Error(`first profile: dst_overrides [${overrides(first).join(' ')}], ` +
                    `want [${want.join(' ')}]`);
  }
  ok(`GetProfile ${authority}: dst_overrides ${overrides(first).join(' ')}`);

  // Shift traffic: 900 to the first backend (100 if it has 900 already), 100 to each other one.
  const firstWeight = split.backends[0].weight === 900 ? 100 : 900;
  const edited = {
    ...split, backends: split.backends.map((b, i) => ({...b, weight: i ? 100 : firstWeight})),
  };
  let i = 0;
  const editedText = split.text.replace(/^(\s+- service:\s*\S+\s*\n\s+weight:\s*)\d+/gm,
                                        (_, head) => head + edited.backends[i++].weight);
  if (editedText === split.text) throw new Error('the edit of trafficsplit.yaml changed nothing');
  writeFileAtomic(splitFile, editedText);
  const shifted = await stream.next('GetProfile message after the edit of trafficsplit.yaml');
  const wantShifted = expectedOverrides(edited, port);
  if (overrides(shifted).join(' ') !== wantShifted.join(' ')) {
    throw new Error(`profile after the edit: dst_overrides [${overrides(shifted).join(' ')}], ` +
                    `want [${wantShifted.join(' ')}]`);
  }
  ok(`edited trafficsplit.yaml, same stream: dst_overrides ${overrides(shifted).join(' ')}`);
  stream.call.cancel();
  destination.close();

  // 5.
  const health = new Health(address, grpc.credentials.createInsecure());
  const answer = await withDeadline(new Promise((resolve, reject) => {
    health.Check({service: ''}, {deadline: deadline()}, (e, response) => {
      if (e) reject(new Error(`Health/Check: ${e.message}`));
      else resolve(response);
    });
  }), WAIT_MS, 'Health/Check');
  health.close();
  if (answer.status !== 'SERVING') {
    throw new Error(`Health/Check: status ${answer.status}, want SERVING`);
  }
  ok('grpc.health.v1.Health/Check "": SERVING');

  // 6.
  stopping = true;
  const exited = serverExit ? Promise.resolve() : new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await withDeadline(exited, STOP_MS, 'exit after SIGTERM');
  if (serverExit.code !== 0) {
    throw new Error(`after SIGTERM: exit status ${serverExit.code}, signal ${serverExit.signal}`);
  }
  ok('SIGTERM: destination exited with status 0');

  cleanup();
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`node_client_test: ${passed} passed, 0 failed`);
  process.exit(0);
}

main().catch((e) => fail(e.message));

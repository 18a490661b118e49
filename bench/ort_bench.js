#!/usr/bin/env node
// bench/ort_bench.js: ONNX Runtime's latency on one ONNX model, the peer bench/compare runs.
//
//   node bench/ort_bench.js --model M.onnx --batch B [--threads 2] [--warmup 3] [--iterations 10]
//                           [--max-seconds S] [--input X.bin] [--ref R.bin] [--serve] [--profile PREFIX]
//
// CPU execution provider, intra-op threads T (inter-op 1, sequential), graphOptimizationLevel 'all'.
// W untimed runs, then N timed runs (fewer, at least 3, where N runs of the last warm-up's length would
// take more than S seconds); the median and p90 by nearest rank (as `lucid bench`). --input is
// the float32 input (B x 3 x 224 x 224, raw little-endian; random when absent); --ref the float32
// logits of image 0 from PyTorch, to report max |ORT - PyTorch|. Prints one JSON object; on error
// {"error": "..."} and exit code 1. --serve (bench/compare's interleaved rounds): after the warm-up
// print that object without timings ("ready": true), then answer each line N on stdin with the
// times of N runs as one JSON line, {"runs_ms": [...]}, until end of input. --profile (bench/profile):
// ONNX Runtime's profiler on, its trace (every run, the warm-up's too) written to PREFIX_<time>.json,
// named by "profile_file".
'use strict';
const fs = require('fs');
const path = require('path');

function fail(message) {
  console.log(JSON.stringify({ error: message }));
  process.exit(1);
}

function parseArgs(argv) {
  const o = { threads: 2, warmup: 3, iterations: 10, batch: 1, size: 224, maxSeconds: 0, serve: false };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'serve') {
      o.serve = true;
      i -= 1;  // a flag: no value
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) fail(`missing value for ${argv[i]}`);
    if (['threads', 'warmup', 'iterations', 'batch', 'size'].includes(key)) {
      o[key] = Number.parseInt(value, 10);
      if (!Number.isInteger(o[key]) || o[key] < 0) fail(`${argv[i]} takes a non-negative integer`);
    } else if (key === 'max-seconds') {
      o.maxSeconds = Number.parseFloat(value);
      if (!(o.maxSeconds >= 0)) fail('--max-seconds takes a non-negative number');
    } else if (['model', 'input', 'ref', 'profile'].includes(key)) {
      o[key] = value;
    } else {
      fail(`unknown option ${argv[i]}`);
    }
  }
  if (!o.model) fail('--model M.onnx is required');
  if (o.serve && o.profile) fail('--profile takes the timed runs of a plain run, not --serve');
  if (o.iterations < 1 || o.batch < 1 || o.threads < 1) fail('--iterations, --batch and --threads must be >= 1');
  return o;
}

function nearestRank(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function readFloats(file, count) {
  const buf = fs.readFileSync(file);
  if (buf.length !== count * 4) fail(`${file}: ${buf.length} bytes, expected ${count * 4}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    fail(`onnxruntime-node cannot be loaded (${String(e.message).split('\n')[0]}): run ` +
         '(cd bench && ONNXRUNTIME_NODE_INSTALL=skip npm ci) or scripts/install-deps.sh');
  }
  let version = null;
  try {
    version = require(path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'package.json')).version;
  } catch (e) {
    version = (ort.env && ort.env.versions && ort.env.versions.node) || null;
  }
  if (!fs.existsSync(o.model)) fail(`${o.model}: no such file`);

  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  if (o.profile) Object.assign(options, { enableProfiling: true, profileFilePrefix: o.profile });
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, options);
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const count = o.batch * 3 * o.size * o.size;
  let data;
  if (o.input) {
    data = readFloats(o.input, count);
  } else {
    data = new Float32Array(count);
    let s = 12345;  // xorshift: any values do, the work does not depend on them
    for (let i = 0; i < count; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      data[i] = ((s >>> 0) / 4294967296) * 2 - 1;
    }
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [o.batch, 3, o.size, o.size]) };
  const outputName = session.outputNames[0];

  // Each run's wall time in ms.
  const timeRuns = async (count) => {
    const runs = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      runs.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return runs;
  };
  let out;
  let warmMs = 0;
  for (let i = 0; i < o.warmup; i++) {
    const start = process.hrtime.bigint();
    out = await session.run(feeds);
    warmMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (!out) out = await session.run(feeds);  // --warmup 0: one untimed run for the logits
  const result = {
    ort_version: version,
    threads: o.threads,
    graph_optimization_level: 'all',
    execution_providers: ['cpu'],
    session_create_ms: createMs,
    warm_ms: warmMs,
  };
  if (o.ref) {
    const logits = out[outputName].data;
    const classes = logits.length / o.batch;
    const ref = readFloats(o.ref, classes);
    let diff = 0;
    for (let i = 0; i < classes; i++) diff = Math.max(diff, Math.abs(logits[i] - ref[i]));
    result.max_abs_diff_vs_torch = diff;
  }
  if (o.serve) {
    console.log(JSON.stringify({ ready: true, ...result }));
    const lines = require('readline').createInterface({ input: process.stdin, terminal: false });
    for await (const line of lines) {
      const count = /^[0-9]+$/.test(line.trim()) ? Number.parseInt(line, 10) : 0;
      if (count < 1) fail(`--serve: expected a positive count of runs per line, got '${line}'`);
      console.log(JSON.stringify({ runs_ms: await timeRuns(count) }));
    }
    return;
  }
  // bench/compare's rule for every peer: N timed runs, or fewer (at least 3) where N runs of the
  // last warm-up's length would take more than --max-seconds.
  let iterations = o.iterations;
  if (warmMs > 0 && o.maxSeconds > 0 && iterations > 3) {
    iterations = Math.max(3, Math.min(iterations, Math.floor((o.maxSeconds * 1e3) / warmMs)));
  }
  const runs = await timeRuns(iterations);
  const sorted = [...runs].sort((a, b) => a - b);
  const median = nearestRank(sorted, 0.5);
  Object.assign(result, {
    iterations: runs.length,
    latency_ms_median: median,
    latency_ms_p90: nearestRank(sorted, 0.9),
    latency_ms_min: sorted[0],
    images_per_s: o.batch / (median / 1e3),
    runs_ms: runs,
  });
  if (o.profile) {  // the trace is written when profiling ends; the name has a time in it
    session.endProfiling();
    const dir = path.dirname(o.profile), base = path.basename(o.profile) + '_';
    const traces = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'));
    if (traces.length === 0) fail(`--profile: no trace ${o.profile}_*.json was written`);
    result.profile_file = path.join(dir, traces.sort().pop());
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => fail(String((e && e.message) || e).split('\n')[0]));

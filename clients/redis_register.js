#!/usr/bin/node
// A faultline exec client for Redis, in JavaScript (Node.js 20, no npm
// packages): the same protocol and behaviour as redis_register.py.
// faultline writes one operation per line on stdin and reads one answer per
// line on stdout (docs/clients.md). Usage: redis_register.js HOST PORT [REGION]
'use strict';
const net = require('node:net');
const readline = require('node:readline');

const [host, port, region] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
// Compare-and-set in one step on the server: expected "" means "no value".
const CAS = "local v = redis.call('GET', KEYS[1]) " +
  "if (v == false and ARGV[1] == '') or v == ARGV[1] then " +
  "redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";

class NotSent extends Error {}

// RESP over one TCP connection, opened lazily and dropped on any error. One
// request at a time: faultline sends the next operation after the answer.
class Redis {
  constructor() { this.socket = null; this.buffer = Buffer.alloc(0); this.waiting = null; }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      const timer = setTimeout(() => { socket.destroy(); reject(new NotSent('connect timeout')); }, 500);
      socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
      socket.once('error', (e) => { clearTimeout(timer); reject(new NotSent(e.message)); });
    }).then((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (chunk) => { this.buffer = Buffer.concat([this.buffer, chunk]); this.parse(); });
      socket.on('error', (e) => this.fail(e));
      socket.on('close', () => this.fail(new Error('connection closed')));
      this.socket = socket;
    });
  }

  close() { if (this.socket) this.socket.destroy(); this.socket = null; this.buffer = Buffer.alloc(0); }

  fail(e) { const w = this.waiting; this.waiting = null; this.close(); if (w) w.reject(e); }

  // One complete reply at the front of the buffer, or undefined.
  reply(at) {
    const end = this.buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const kind = String.fromCharCode(this.buffer[at]);
    const rest = this.buffer.toString('utf8', at + 1, end);
    if (kind === '+') return { value: rest, next: end + 2 };
    if (kind === '-') return { value: new Error(rest), next: end + 2 };
    if (kind === ':') return { value: Number(rest), next: end + 2 };
    if (kind === '$') {
      const n = Number(rest);
      if (n < 0) return { value: null, next: end + 2 };
      if (this.buffer.length < end + 2 + n + 2) return undefined;
      return { value: this.buffer.toString('utf8', end + 2, end + 2 + n), next: end + 2 + n + 2 };
    }
    return { value: new Error('unexpected reply ' + kind), next: end + 2 };
  }

  parse() {
    const r = this.reply(0);
    if (r === undefined || !this.waiting) return;
    this.buffer = this.buffer.subarray(r.next);
    const w = this.waiting; this.waiting = null;
    clearTimeout(w.timer);
    if (r.value instanceof Error) w.reject(Object.assign(r.value, { refused: true })); else w.resolve(r.value);
  }

  async call(...args) {
    if (!this.socket) await this.connect();
    let out = `*${args.length}\r\n`;
    for (const a of args) { const s = String(a); out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`; }
    return new Promise((resolve, reject) => {
      // Below faultline's operation timeout (2 s in the experiments).
      const timer = setTimeout(() => this.fail(new Error('timed out')), 1000);
      this.waiting = { resolve, reject, timer };
      this.socket.write(out);
    });
  }
}

async function perform(redis, op) {
  if (op.f === 'read') {
    const got = await redis.call('GET', op.key);
    return { type: 'ok', value: got === null ? null : Number(got) };
  }
  if (op.f === 'write') { await redis.call('SET', op.key, op.value); return { type: 'ok' }; }
  if (op.f === 'cas') {
    const [expected, next] = op.value;
    const done = await redis.call('EVAL', CAS, 1, op.key, expected === null ? '' : expected, next);
    return done === 1 ? { type: 'ok' } : { type: 'fail', error: 'precondition' };
  }
  return { type: 'fail', error: 'unknown f ' + op.f };
}

async function main() {
  const redis = new Redis();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const op = JSON.parse(line);
    let answer;
    try {
      answer = await perform(redis, op);
    } catch (e) {
      if (e instanceof NotSent || e.refused) answer = { type: 'fail', error: e.message };
      else answer = { type: op.f === 'read' ? 'fail' : 'info', error: e.message };  // sent, then lost
    }
    answer.id = op.id;
    if (region) answer.served_by = region;
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  redis.close();
}

main();

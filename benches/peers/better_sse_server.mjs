// Peer server for the fan-out benchmark: npm `better-sse` broadcasting the same `frame` events
// (one base64 payload per line of the events file) to every session, at a given rate.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createChannel, createSession } from 'better-sse';

const [file, rate] = [process.argv[2], Number(process.argv[3])];
const payloads = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
const channel = createChannel();
const server = http.createServer(async (req, res) => {
  const session = await createSession(req, res, { serializer: (data) => data });
  channel.register(session);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
// Start broadcasting on the first line of stdin ("go"), at `rate` events per second.
process.stdin.once('data', () => {
  const start = performance.now();
  let next = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (next <= due && next < payloads.length) {
      channel.broadcast(payloads[next], 'frame', { eventId: String(next) });
      next++;
    }
    if (next < payloads.length) setTimeout(tick, 2);
  };
  tick();
});

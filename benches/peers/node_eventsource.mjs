// Peer client for the SSE benchmark: npm `eventsource` v4 on Node. Counts `frame` events
// and base64-decodes each, then prints the count and exits.
import { EventSource } from 'eventsource';

const [url, wanted] = [process.argv[2], Number(process.argv[3])];
let count = 0;
let bytes = 0;
const source = new EventSource(url);
source.addEventListener('frame', (event) => {
  bytes += Buffer.from(event.data, 'base64').length;
  if (++count === wanted) {
    source.close();
    console.log(JSON.stringify({ events: count, decoded_bytes: bytes }));
    process.exit(0);
  }
});
source.onerror = (e) => {
  if (count < wanted) {
    console.error('error', e.message ?? e);
  }
};

"""Peer client for the SSE benchmark: PyPI `httpx-sse`. Counts `frame` events and
base64-decodes each, then prints the count and exits."""
import base64
import json
import sys

import httpx
from httpx_sse import connect_sse

url, wanted = sys.argv[1], int(sys.argv[2])
count = decoded = 0
with httpx.Client(timeout=None) as client:
    with connect_sse(client, "GET", url) as source:
        for event in source.iter_sse():
            if event.event != "frame":
                continue
            decoded += len(base64.b64decode(event.data))
            count += 1
            if count == wanted:
                break
print(json.dumps({"events": count, "decoded_bytes": decoded}))
